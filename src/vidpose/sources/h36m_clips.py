"""Cutting Human3.6M sequences into clips, and the square crop around the person in each clip.

A clip is ``T`` frames ``stride`` apart (default 8 frames at stride 4, 12.5 fps, as the
synthetic data's h36m preset); clips start every ``K`` frames of a sequence, so a sequence of
``F`` poses gives ``floor((F - span) / K) + 1`` clips, ``span = (T - 1) * stride + 1`` (29),
on average ``(F - span) / K + 1/2`` per sequence.

Default ``K`` (``--every``), chosen to give about the course report's 5,964 / 1,368 clips:

- train (S1, S5, S6, S7, S8): ≈1.56 M camera-frames in D3_Positions_mono over
  5 × 30 × 4 = 600 sequences: 1.56e6 / 275 + 600 × (1/2 − 29/275) ≈ 5,673 + 237 ≈ 5,910
  clips → ``K = 275``;
- test (S9, S11): ≈0.54 M camera-frames over 239 sequences (S11's corrupt Directions video
  left out): 0.54e6 / 425 + 239 × (1/2 − 29/425) ≈ 1,271 + 103 ≈ 1,374 clips → ``K = 425``.

``--full-rate`` sets ``K = T * stride``: clips follow each other without overlap and cover
every sequence end to end (≈48,000 train clips of 8 frames at stride 4, ≈58 GB at 224 px;
``--stride 1 --full-rate`` uses every pose: ≈195,000 clips, ≈235 GB).

The crop is one square per clip (the same for all its frames, so motion inside the clip is
visible to a video model): the bounding box of the clip's 2D joints, its longer side × 1.2,
centred on the box, in whole source pixels. Parts outside the image are black.
"""

from __future__ import annotations

import math

import numpy as np

from vidpose.clips.crops import CROP_MARGIN

DEFAULT_EVERY = {"train": 275, "test": 425}
MIN_SIZE, MAX_SIZE = 16, 1024


def clip_starts(num_poses: int, frames: int, stride: int, every: int) -> np.ndarray:
    """First frame of each clip, (N,) int64; empty when the sequence is shorter than a clip."""
    span = (frames - 1) * stride + 1
    return np.arange(0, max(num_poses - span + 1, 0), every, dtype=np.int64)


def every_for(split: str, frames: int, stride: int, every: int | None, full_rate: bool) -> int:
    if every is not None:
        return every
    if full_rate:
        return frames * stride
    return DEFAULT_EVERY[split]


def crop_square(points2d: np.ndarray, margin: float = CROP_MARGIN) -> tuple[int, int, int]:
    """(x0, y0, side) in whole source pixels: the square around ``points2d`` (..., 2)."""
    points = np.asarray(points2d, dtype=np.float64).reshape(-1, 2)
    low, high = points.min(axis=0), points.max(axis=0)
    side = max(int(math.ceil(float((high - low).max()) * margin)), 2)
    centre = (low + high) / 2
    x0, y0 = (int(round(c - side / 2)) for c in centre)
    return x0, y0, side


def to_crop_pixels(points2d: np.ndarray, square: tuple[int, int, int], size: int) -> np.ndarray:
    """Source-image pixels (..., 2) → pixels of the stored ``size`` × ``size`` frame."""
    x0, y0, side = square
    return (np.asarray(points2d, dtype=np.float64) - (x0, y0)) * (size / side)
