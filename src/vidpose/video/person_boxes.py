"""Where the person is in each video frame, and the square crops the model sees.

Boxes are ``(x, y, w, h)`` in source-video pixels, float, one row per frame; a row of NaN
means "not found in this frame". Three sources:

- a fixed box for every frame (``--box x,y,w,h``);
- per-frame boxes from a JSON file (``--boxes FILE``): a list with one ``[x, y, w, h]`` or
  ``null`` per source-video frame, or ``{"boxes": [...]}`` holding such a list;
- automatic: OpenCV's HOG people detector where this OpenCV has it (it was dropped from the
  main package in OpenCV 5), otherwise the moving foreground against the per-pixel median
  of the video (a static camera and a person who moves, as in Human3.6M). Neither needs a
  download.

Boxes are then filled across gaps, smoothed over time, and turned into squares padded like the
training crops: the longer side × 1.2, centred on the box (:func:`square_crops`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from vidpose.clips.crops import CROP_MARGIN
from vidpose.infra.errors import UserError
from vidpose.infra.json_files import read_json

#: Frames are shrunk to at most this many pixels on the longer side for detection.
DETECTION_SIDE = 320


def parse_box(text: str, frame_size: tuple[int, int], name: str = "--box") -> np.ndarray:
    """``"x,y,w,h"`` → (4,) float; must have positive size and overlap the (W, H) frame."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise UserError(f"{name}: expected four numbers x,y,w,h, got {text!r}") from None
    if len(values) != 4:
        raise UserError(f"{name}: expected four numbers x,y,w,h, got {text!r}")
    box = np.asarray(values, dtype=np.float64)
    check_box(box, frame_size, name)
    return box


def check_box(box: np.ndarray, frame_size: tuple[int, int], name: str) -> None:
    """Raise ``UserError`` unless ``box`` (x, y, w, h) is finite, non-empty and in the frame."""
    width, height = frame_size
    x, y, w, h = (float(v) for v in box)
    if not np.isfinite(box).all():
        raise UserError(f"{name}: box {x:g},{y:g},{w:g},{h:g} is not finite (nan or inf)")
    if w <= 0 or h <= 0:
        raise UserError(f"{name}: box {x:g},{y:g},{w:g},{h:g} has no area (w and h must be > 0)")
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise UserError(
            f"{name}: box {x:g},{y:g},{w:g},{h:g} lies outside the {width}x{height} frame"
        )


def load_boxes_file(
    path: str | os.PathLike, num_frames: int, frame_size: tuple[int, int]
) -> np.ndarray:
    """Per-frame boxes (num_frames, 4) from a JSON file; NaN rows where the file has null."""
    path = Path(path)
    data = read_json(path, missing="boxes file does not exist")
    if isinstance(data, dict):
        data = data.get("boxes")
    if not isinstance(data, list):
        raise UserError(f"{path}: expected a list of [x, y, w, h] (or null) per frame")
    if len(data) != num_frames:
        raise UserError(f"{path}: {len(data)} boxes, but the video has {num_frames} frames")
    boxes = np.full((num_frames, 4), np.nan)
    for index, entry in enumerate(data):
        if entry is None:
            continue
        ok = isinstance(entry, list) and len(entry) == 4
        if not ok or not all(isinstance(v, (int, float)) for v in entry):
            raise UserError(f"{path}: box {index} is {entry!r}, expected [x, y, w, h] or null")
        boxes[index] = entry
        check_box(boxes[index], frame_size, f"{path}: box {index}")
    if np.isnan(boxes[:, 0]).all():
        raise UserError(f"{path}: every box is null")
    return boxes


def _hog_detector():
    import cv2

    if not hasattr(cv2, "HOGDescriptor"):
        return None
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    return hog


def _detect_hog(hog, small: np.ndarray) -> np.ndarray:
    rects, weights = hog.detectMultiScale(small, winStride=(8, 8), padding=(8, 8), scale=1.05)
    if len(rects) == 0:
        return np.full(4, np.nan)
    return np.asarray(rects[int(np.argmax(np.ravel(weights)))], dtype=np.float64)


def _foreground_box(small: np.ndarray, background: np.ndarray, threshold: float) -> np.ndarray:
    """Bounding box of the largest blob that differs from ``background``, or NaN."""
    import cv2

    difference = np.abs(small.astype(np.int16) - background.astype(np.int16)).max(axis=2)
    mask = (difference > threshold).astype(np.uint8)
    side = max(3, int(round(max(small.shape[:2]) / 60)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    # Closing with a larger element joins thin limbs to the body before picking a blob.
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3 * side, 3 * side), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count <= 1:
        return np.full(4, np.nan)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h, area = stats[largest]
    if area < 0.002 * mask.size:
        return np.full(4, np.nan)
    return np.asarray([x, y, w, h], dtype=np.float64)


def detect_person_boxes(
    frames: Iterable[np.ndarray], method: str = "auto", progress: bool = False
) -> tuple[np.ndarray, str]:
    """Find the person in each RGB frame (H, W, 3): boxes (F, 4) with NaN rows, and the method.

    ``method`` is ``"hog"``, ``"motion"`` or ``"auto"`` (HOG when this OpenCV has it).
    """
    import cv2

    from vidpose.infra.progress import progress_bar

    hog = _hog_detector() if method in ("auto", "hog") else None
    if method == "hog" and hog is None:
        raise UserError("person detector: this OpenCV has no HOG people detector (OpenCV >= 5)")
    smalls, scale = [], 1.0
    for frame in progress_bar(
        frames, desc="finding the person", unit="frame", disable=not progress
    ):
        scale = min(1.0, DETECTION_SIDE / max(frame.shape[:2]))
        size = (max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale)))
        smalls.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    if not smalls:
        raise UserError("video: no frames to find a person in")
    if hog is not None:
        # HOG's window is 64x128: upscale so a person filling the frame still fits twice over.
        boxes = np.stack([_detect_hog(hog, cv2.resize(s, None, fx=2.0, fy=2.0)) for s in smalls])
        return boxes / (2.0 * scale), "hog"
    stack = np.stack(smalls)
    sample = stack[np.linspace(0, len(stack) - 1, min(len(stack), 60)).astype(int)]
    background = np.median(sample, axis=0).astype(np.uint8)
    boxes = np.stack([_foreground_box(small, background, threshold=30.0) for small in stack])
    return boxes / scale, "motion"


def fill_gaps(boxes: np.ndarray) -> np.ndarray:
    """Replace NaN rows of (F, 4) boxes by linear interpolation (the nearest box at the ends)."""
    boxes = np.array(boxes, dtype=np.float64, copy=True)
    found = ~np.isnan(boxes).any(axis=1)
    if not found.any():
        raise UserError("video: no person found in any frame; give --box x,y,w,h or --boxes FILE")
    frames = np.arange(len(boxes))
    for column in range(4):
        boxes[:, column] = np.interp(frames, frames[found], boxes[found, column])
    return boxes


def smooth_boxes(boxes: np.ndarray, window: int = 9) -> np.ndarray:
    """Temporal smoothing of gap-free (F, 4) boxes: running median, then running mean.

    Works on centre and size so the crop neither jumps nor breathes. The median removes
    one-frame misdetections; the mean removes jitter. ``window`` frames, odd.
    """
    if window <= 1 or len(boxes) < 3:
        return np.asarray(boxes, dtype=np.float64)
    half = window // 2
    centre_size = np.concatenate([boxes[:, :2] + boxes[:, 2:] / 2, boxes[:, 2:]], axis=1)
    padded = np.pad(centre_size, ((half, half), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)
    median = np.median(windows, axis=-1)
    padded = np.pad(median, ((half, half), (0, 0)), mode="edge")
    mean = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0).mean(axis=-1)
    return np.concatenate([mean[:, :2] - mean[:, 2:] / 2, mean[:, 2:]], axis=1)


def square_crops(boxes: np.ndarray, padding: float = CROP_MARGIN) -> np.ndarray:
    """(F, 4) person boxes → (F, 3) squares ``(x0, y0, side)``: longer side × padding, centred.

    The same convention as the clip store's ``crop`` array.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    side = boxes[:, 2:].max(axis=1) * padding
    centre = boxes[:, :2] + boxes[:, 2:] / 2
    return np.concatenate([centre - side[:, None] / 2, side[:, None]], axis=1)
