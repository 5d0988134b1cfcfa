"""A lifter over one person's keypoint sequence: 2D keypoints on the 17 Human3.6M joints in,
3D poses out, one per video frame.

- :func:`lift_sequence`: (F, 17, 3) pixels + confidence → (F, 17, 3) metres. Joints without
  a position (score 0 or NaN; by default the only ones left out, :data:`LIFT_MIN_SCORE`)
  arrive as a dropped joint does in training (confidence 0, at (0, 0)); frames where the
  person is not known at all repeat the nearest known frame. The sequence is cut into chunks
  of output frames, each read with the lifter's context around it and the first and last
  frame repeated beyond the ends (VideoPose3D's padding, as in training and evaluation),
  chunks batched.
- :func:`lift_at_model_rate`: the same at the lifter's training frame rate (its temporal
  filters learned motion at that rate): the keypoints are resampled to it by linear
  interpolation (a joint's score the smaller of its two neighbours'), lifted, and the poses
  interpolated back at the video's frame times.
- :func:`load_lifter`: a lifter checkpoint, or the shipped one (package data,
  ``vidpose/weights/lifter_default.pt``) when none is given.
- :func:`lift_segments`: a video where the person is not always there: each stretch where
  they are is lifted on its own (the lifter's padding at its ends, as at a video's ends), with
  short gaps inside held at the nearest known frame; frames outside are NaN.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from vidpose.infra.errors import UserError

#: The shipped lifter, a file of the ``vidpose.weights`` package.
SHIPPED_LIFTER = "lifter_default.pt"
#: The lifter reads every joint the 2D stage placed, whatever its score, as VideoPose3D reads
#: its detectors' keypoints: a low score still comes with the detector's best position, and a
#: lifter without a confidence channel loses more from a joint at (0, 0) than from a rough
#: one (on the Sports2D clip with BlazePose's visibilities, dropping joints scored below 0.3
#: took the projection error of the walk from 4.2 % to 6.1 % of the person's height).
#: Tracking, the camera fit and the reprojection error keep ``MIN_KEYPOINT_SCORE``.
LIFT_MIN_SCORE = 0.0


def load_lifter(
    path: str | os.PathLike | None = None, device: torch.device | str = "cpu"
) -> tuple[torch.nn.Module, dict, str]:
    """(lifter in eval mode, its checkpoint, a name for it): ``path`` or the shipped lifter."""
    from vidpose.models.settings import LIFTER
    from vidpose.runs.checkpoint import load_model, require_kind

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
    require_kind(model, LIFTER, name, "vidpose predict's lifter path")
    return model, checkpoint, name


@torch.no_grad()
def lift_sequence(
    model: torch.nn.Module,
    keypoints: np.ndarray,
    image_size: tuple[int, int],
    *,
    batch_size: int = 16,
    flip_test: bool = False,
    min_score: float = LIFT_MIN_SCORE,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """H36M-17 keypoints (F, 17, 3) pixels + score in an image of ``image_size`` (width,
    height) → (poses (F, 17, 3) float32 metres, root-relative, camera frame; known (F,) bool:
    frames with at least one joint placed). Joints scored 0 or below ``min_score`` are left
    out."""
    from vidpose.infra.progress import progress_bar
    from vidpose.lifting.detector_2d import fill_unknown_frames
    from vidpose.lifting.sequence_inference import CHUNK_FRAMES, lift
    from vidpose.lifting.windows import model_input, window_frames

    points = np.array(keypoints, dtype=np.float32)
    if points.ndim != 3 or points.shape[1:] != (17, 3):
        raise ValueError(f"expected keypoints (F, 17, 3), got {points.shape}")
    points[~placed_joints(points, min_score)] = 0.0
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


def placed_joints(points: np.ndarray, min_score: float = LIFT_MIN_SCORE) -> np.ndarray:
    """(..., 17, 3) keypoints → (..., 17) bool: the joints the lifter reads, with a finite
    position and a score above 0 and at least ``min_score``."""
    scores = np.nan_to_num(points[..., 2], nan=0.0)
    return (scores > 0) & (scores >= min_score) & np.isfinite(points[..., :2]).all(-1)


def lift_at_model_rate(
    model: torch.nn.Module,
    keypoints: np.ndarray,
    image_size: tuple[int, int],
    video_fps: float,
    model_fps: float,
    **options,
) -> np.ndarray:
    """:func:`lift_sequence`'s poses (one per video frame) run at ``model_fps`` on a video at
    ``video_fps``; rates within 1 % of each other are not resampled."""
    points = np.asarray(keypoints, np.float32)
    if len(points) < 2 or abs(video_fps - model_fps) <= 0.01 * model_fps:
        return lift_sequence(model, points, image_size, **options)[0]
    duration = (len(points) - 1) / video_fps
    model_times = np.arange(0.0, duration + 0.5 / model_fps, 1.0 / model_fps)
    resampled, pairs = _interpolate(points, np.minimum(model_times * video_fps, len(points) - 1))
    resampled[..., 2] = np.minimum(points[pairs[:, 0], :, 2], points[pairs[:, 1], :, 2])
    poses, _ = lift_sequence(model, resampled.astype(np.float32), image_size, **options)
    video_times = np.arange(len(points)) / video_fps
    back, _ = _interpolate(poses, np.minimum(video_times * model_fps, len(poses) - 1))
    return back.astype(np.float32)


def segments(usable: np.ndarray, max_hold: int) -> list[tuple[int, int]]:
    """[first, last) frame ranges covering the ``usable`` (F,) frames, where a run of at most
    ``max_hold`` unusable frames between usable ones stays inside a range."""
    frames = np.flatnonzero(usable)
    if not len(frames):
        return []
    breaks = np.flatnonzero(np.diff(frames) > max_hold + 1)
    starts = np.concatenate([[frames[0]], frames[breaks + 1]])
    ends = np.concatenate([frames[breaks], [frames[-1]]]) + 1
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def lift_segments(
    model: torch.nn.Module,
    keypoints: np.ndarray,
    image_size: tuple[int, int],
    video_fps: float,
    model_fps: float,
    max_hold: int,
    min_score: float = LIFT_MIN_SCORE,
    **options,
) -> tuple[np.ndarray, np.ndarray]:
    """H36M-17 keypoints (F, 17, 3) pixels + score → (poses (F, 17, 3) float32 metres,
    root-relative, NaN outside the lifted stretches; held (F,) bool: inside a stretch but
    without a joint placed, so the pose repeats the nearest known frame).

    A frame is usable when a joint is placed (scored above 0 and at least ``min_score``);
    stretches are
    :func:`segments` with ``max_hold``; each is lifted by :func:`lift_at_model_rate`."""
    points = np.asarray(keypoints, np.float32)
    usable = placed_joints(points, min_score).any(-1)
    poses = np.full(points.shape, np.nan, np.float32)
    held = np.zeros(len(points), dtype=bool)
    for first, last in segments(usable, max_hold):
        poses[first:last] = lift_at_model_rate(
            model, points[first:last], image_size, video_fps, model_fps, min_score=min_score,
            **options,
        )  # fmt: skip
        held[first:last] = ~usable[first:last]
    return poses, held
