"""A video's 3D poses through a lifter: the 2D stage, the tracked person's keypoints mapped to
the 17 Human3.6M joints, the lifter over the whole sequence.

- :func:`video_keypoints`: the person's 2D keypoints in every video frame, from the built-in
  detector (RTMDet + RTMPose, or RTMO) or a keypoint file, followed by
  :func:`vidpose.tracking.follow_person`.
- :func:`lift_sequence`: (F, 17, 3) pixels + confidence → (F, 17, 3) metres. Joints scored
  below ``min_score`` arrive as a dropped joint does in training (confidence 0, at (0, 0));
  frames where the person is not known at all repeat the nearest known frame (and are marked
  in the output, ``person_known``). The sequence is cut into chunks of output frames, each
  read with the lifter's context around it and the first and last frame repeated beyond the
  ends (VideoPose3D's padding, as in training and evaluation), chunks batched.
- :func:`lift_at_model_rate`: the same at the lifter's training frame rate (its temporal
  filters learned motion at that rate): the keypoints are resampled to it by linear
  interpolation (a joint's score the smaller of its two neighbours'), lifted, and the poses
  interpolated back at the video's frame times.
- :func:`load_lifter`: a lifter checkpoint, or the shipped one (package data,
  ``vidpose/weights/lifter_default.pt``) when none is given.
- :func:`save_lifted`: the npz (module docs in docs/video.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vidpose.errors import UserError
from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.tracking import PersonTrack

#: The shipped lifter, a file of the ``vidpose.weights`` package.
SHIPPED_LIFTER = "lifter_default.pt"


@dataclass
class VideoKeypoints:
    """The tracked person's 2D keypoints over every frame of a video."""

    track: PersonTrack  # keypoints (F, J, 3) in ``layout``, boxes (F, 4) x1, y1, x2, y2
    layout: str
    info: object  # vidpose.video.VideoInfo
    source: str  # "detector" or "keypoints-file"
    models: str  # the detector's model files, or the keypoint file


def video_keypoints(
    video: str | os.PathLike,
    *,
    keypoints_file: str | os.PathLike | None = None,
    detector_model: str | None = None,
    pose_model: str | None = None,
    person: int | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> VideoKeypoints:
    """Run the 2D stage on ``video`` (or read ``keypoints_file``) and follow one person."""
    from vidpose.detect.person_finder import MAX_GAP_SECONDS
    from vidpose.tracking import follow_person
    from vidpose.video import probe_video

    info = probe_video(video)
    gap = max(1, int(round(MAX_GAP_SECONDS * info.fps)))
    if keypoints_file is not None:
        from vidpose.keypoints.files import read_keypoints

        if detector_model is not None or pose_model is not None:
            raise UserError("--keypoints: give the keypoints or the detector models, not both")
        found = read_keypoints(keypoints_file, info.num_frames, (info.width, info.height))
        track = follow_person(found.people, person, max_gap=gap, min_score=MIN_KEYPOINT_SCORE)
        return VideoKeypoints(track, found.layout, info, "keypoints-file", str(keypoints_file))
    from vidpose.detect.pipeline import build_detector, detect_frames
    from vidpose.video import iter_source_frames

    detector = build_detector(detector_model, pose_model, device=str(device))
    people = detect_frames(
        iter_source_frames(video), detector, progress=progress, total=info.num_frames
    )
    if not any(len(found) for found in people):
        raise UserError(f"{video}: nobody found in any frame (the detector saw no person)")
    track = follow_person(people, person, max_gap=gap, min_score=MIN_KEYPOINT_SCORE)
    return VideoKeypoints(track, detector.layout, info, "detector", detector.describe())


def load_lifter(
    path: str | os.PathLike | None = None, device: torch.device | str = "cpu"
) -> tuple[torch.nn.Module, dict, str]:
    """(lifter in eval mode, its checkpoint, a name for it): ``path`` or the shipped lifter."""
    from vidpose.checkpoint import load_model
    from vidpose.models import is_lifter

    if path is None:
        from importlib.resources import as_file, files

        resource = files("vidpose.weights").joinpath(SHIPPED_LIFTER)
        if not resource.is_file():
            raise UserError(
                f"the shipped lifter vidpose/weights/{SHIPPED_LIFTER} is missing from this "
                "installation (reinstall vidpose, or give a lifter checkpoint)"
            )
        with as_file(resource) as local:
            model, checkpoint = load_model(local, map_location=device)
        name = f"shipped:{SHIPPED_LIFTER}"
    else:
        model, checkpoint = load_model(path, map_location=device)
        name = str(path)
    if not is_lifter(model):
        raise UserError(f"{path}: not a lifter checkpoint")
    return model, checkpoint, name


@torch.no_grad()
def lift_sequence(
    model: torch.nn.Module,
    keypoints: np.ndarray,
    image_size: tuple[int, int],
    *,
    batch_size: int = 16,
    flip_test: bool = False,
    min_score: float = MIN_KEYPOINT_SCORE,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """H36M-17 keypoints (F, 17, 3) pixels + score in an image of ``image_size`` (width,
    height) → (poses (F, 17, 3) float32 metres, root-relative, camera frame; known (F,) bool:
    frames with at least one joint scored ≥ ``min_score``)."""
    from vidpose.lifting.detector_2d import fill_unknown_frames
    from vidpose.lifting.predict import CHUNK_FRAMES, lift
    from vidpose.lifting.windows import model_input, window_frames
    from vidpose.progress import progress_bar

    points = np.array(keypoints, dtype=np.float32)
    if points.ndim != 3 or points.shape[1:] != (17, 3):
        raise ValueError(f"expected keypoints (F, 17, 3), got {points.shape}")
    points[~np.isfinite(points).all(-1)] = 0.0
    points[points[..., 2] < min_score] = 0.0
    known = (points[..., 2] > 0).any(-1)
    points = fill_unknown_frames(points, known)
    device = next(model.parameters()).device
    frames = len(points)
    before, after = model.context
    chunk = model.window or CHUNK_FRAMES
    data = torch.from_numpy(points).to(device)
    size = torch.tensor([image_size], dtype=torch.float32, device=device)
    firsts = torch.arange(0, frames, chunk, device=device)
    offsets = torch.arange(-before, chunk + after, device=device)
    zero, length = torch.zeros(1, dtype=torch.int64, device=device), torch.tensor([frames])
    parts = []
    bar = progress_bar(
        total=frames, desc="lifting", unit="frame", disable=not progress, leave=False
    )
    for start in range(0, len(firsts), batch_size):
        first = firsts[start : start + batch_size]
        rows = window_frames(zero, length.to(device), first, offsets)
        inputs = model_input(data[rows], size.expand(len(first), 2), model.input_channels == 3)
        parts.append(lift(model, inputs, flip_test).float().cpu())
        bar.update(min(frames, int(first[-1]) + chunk) - int(first[0]))
    bar.close()
    poses = torch.cat(parts).reshape(-1, 17, 3)[:frames].numpy()
    return np.ascontiguousarray(poses, dtype=np.float32), known


def _interpolate(values: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (F, ...) at fractional frame ``positions`` (K,) → (linear interpolation,
    (K, 2) the two neighbours' indices)."""
    low = np.clip(np.floor(positions).astype(np.int64), 0, len(values) - 1)
    high = np.minimum(low + 1, len(values) - 1)
    weight = (positions - low).reshape(-1, *([1] * (values.ndim - 1)))
    return (1 - weight) * values[low] + weight * values[high], np.stack([low, high], 1)


def lift_at_model_rate(
    model: torch.nn.Module,
    keypoints: np.ndarray,
    image_size: tuple[int, int],
    video_fps: float,
    model_fps: float,
    **options,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lift_sequence` run at ``model_fps`` on a video at ``video_fps``: same inputs and
    outputs (one pose per video frame); rates within 1 % of each other are not resampled."""
    points = np.asarray(keypoints, np.float32)
    if len(points) < 2 or abs(video_fps - model_fps) <= 0.01 * model_fps:
        return lift_sequence(model, points, image_size, **options)
    duration = (len(points) - 1) / video_fps
    model_times = np.arange(0.0, duration + 0.5 / model_fps, 1.0 / model_fps)
    resampled, pairs = _interpolate(points, np.minimum(model_times * video_fps, len(points) - 1))
    resampled[..., 2] = np.minimum(points[pairs[:, 0], :, 2], points[pairs[:, 1], :, 2])
    poses, _ = lift_sequence(model, resampled.astype(np.float32), image_size, **options)
    video_times = np.arange(len(points)) / video_fps
    back, _ = _interpolate(poses, np.minimum(video_times * model_fps, len(poses) - 1))
    min_score = options.get("min_score", MIN_KEYPOINT_SCORE)
    known = (np.nan_to_num(points[..., 2]) >= min_score).any(-1)
    return back.astype(np.float32), known


def xywh(boxes: np.ndarray) -> np.ndarray:
    """(F, 4) x1, y1, x2, y2 → x, y, w, h (NaN rows stay NaN)."""
    out = np.array(boxes, dtype=np.float32)
    out[:, 2:] = out[:, 2:] - out[:, :2]
    return out


def save_lifted(
    path: str | os.PathLike,
    *,
    poses3d: np.ndarray,
    root: np.ndarray,
    intrinsics: np.ndarray,
    known: np.ndarray,
    found: VideoKeypoints,
    keypoints17: np.ndarray,
    model_name: str,
    source_video: str | os.PathLike,
) -> Path:
    """Write the lifter path's npz atomically (fields in docs/video.md)."""
    from vidpose.atomic import write_npz_atomic
    from vidpose.skeleton import JOINT_NAMES

    track = found.track
    return write_npz_atomic(
        path,
        dict(
            poses3d=poses3d.astype(np.float32),
            joint_names=np.asarray(JOINT_NAMES),
            root=root.astype(np.float32),
            intrinsics=intrinsics.astype(np.float32),
            keypoints2d=track.keypoints.astype(np.float32),
            layout=np.asarray(found.layout),
            keypoints2d_h36m17=keypoints17.astype(np.float32),
            boxes=xywh(track.boxes),
            person_known=known,
            detected=track.detected,
            interpolated=track.interpolated,
            fps=np.float64(found.info.fps),
            width=np.int64(found.info.width),
            height=np.int64(found.info.height),
            source_video=np.asarray(str(source_video)),
            keypoints_source=np.asarray(f"{found.source}: {found.models}"),
            model=np.asarray(model_name),
            person=np.int64(track.track_id),
            tracks=np.asarray(json.dumps(track.tracks)),
        ),
    )
