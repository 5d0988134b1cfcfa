"""Read video files: the first step of the video path.

Reading goes through OpenCV (mp4, avi, mov, mkv, ... whatever its FFmpeg backend decodes) and
streams frames, so a long video never has to fit in memory. Frames are RGB uint8 (H, W, 3).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError


@dataclass(frozen=True)
class VideoInfo:
    """What a video holds. ``num_frames`` is counted by decoding, not taken from the header."""

    path: Path
    num_frames: int
    fps: float
    width: int
    height: int


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block. FFmpeg inside OpenCV logs its own
    lines there while probing a file ("moov atom not found" for a text file named .mp4);
    the one-line error we raise says it better."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no file descriptor 2 to silence
        saved = None
    if saved is None:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _open_capture(path: Path):
    import cv2

    if not path.exists():
        raise UserError(f"{path}: video file does not exist")
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    with _native_stderr_silenced():
        capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise UserError(f"{path}: cannot open as a video (unreadable or unsupported format)")
    return capture


def _header_fps(capture, path: Path) -> float:
    import cv2

    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    if not np.isfinite(fps) or fps <= 0 or fps > 1000:
        raise UserError(f"{path}: the video does not state a usable frame rate ({fps})")
    return fps


def iter_source_frames(path: str | os.PathLike) -> Iterator[np.ndarray]:
    """Yield every decoded frame of ``path`` as RGB uint8 (H, W, 3)."""
    import cv2

    path = Path(path)
    capture = _open_capture(path)
    try:
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Open ``path`` and count its frames by decoding them (headers often lie).

    Raises :class:`UserError` for a missing, unreadable or empty video.
    """

    path = Path(path)
    capture = _open_capture(path)
    try:
        fps = _header_fps(capture, path)
        count, width, height = 0, 0, 0
        while capture.grab():
            if count == 0:
                ok, frame = capture.retrieve()
                if ok and frame is not None:
                    height, width = frame.shape[:2]
            count += 1
    finally:
        capture.release()
    if count == 0 or width == 0:
        raise UserError(f"{path}: the video holds no decodable frames")
    return VideoInfo(path=path, num_frames=count, fps=fps, width=width, height=height)


def resample_indices(num_frames: int, source_fps: float, target_fps: float | None) -> np.ndarray:
    """Source frame index for each output frame when resampling ``source_fps`` → ``target_fps``.

    Output frame k shows the source frame on screen at time k / target_fps: frames are dropped
    when lowering the rate and repeated when raising it. Without a target, every frame once.
    """
    if target_fps is None or abs(target_fps - source_fps) < 1e-6:
        return np.arange(num_frames, dtype=np.int64)
    if target_fps <= 0:
        raise UserError(f"--fps: must be positive, got {target_fps}")
    duration = num_frames / source_fps
    count = max(1, int(np.floor(duration * target_fps + 1e-6)))
    times = np.arange(count) / target_fps
    return np.clip(np.floor(times * source_fps + 1e-6).astype(np.int64), 0, num_frames - 1)


def iter_frames(path: str | os.PathLike, indices: np.ndarray) -> Iterator[np.ndarray]:
    """Yield the frames of ``path`` at the sorted source ``indices`` (repeats allowed)."""
    indices = np.asarray(indices, dtype=np.int64)
    position = 0
    for source_index, frame in enumerate(iter_source_frames(path)):
        while position < len(indices) and indices[position] == source_index:
            yield frame
            position += 1
        if position >= len(indices):
            return


def read_video(
    path: str | os.PathLike, target_fps: float | None = None
) -> tuple[np.ndarray, float]:
    """The whole video in memory: frames (F, H, W, 3) RGB uint8 and their frame rate."""
    info = probe_video(path)
    indices = resample_indices(info.num_frames, info.fps, target_fps)
    frames = np.stack(list(iter_frames(path, indices)))
    return frames, float(target_fps or info.fps)
