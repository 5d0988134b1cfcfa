"""The pinhole camera, once: projection (numpy and torch), the default camera of a video whose
camera is unknown, and the root translation that puts a root-relative pose on its 2D keypoints.

Conventions (docs/architecture.md §5): camera frame x right, y down, z forward, metres;
pixels x right, y down, the centre of pixel column i at x = i, so an image W pixels wide spans
[-0.5, W - 0.5] and its centre is at (W - 1) / 2. Intrinsics are (fx, fy, cx, cy) in pixels.

A video of unknown camera gets :func:`video_intrinsics`: Human3.6M's field of view (its cameras
have f ≈ 1145 px across 1000-px images, :data:`FOCAL_PER_SIDE` × the longer image side, about
47° across it) unless the user gives the focal length, and the principal point at the centre.
This is the one default both tracks use (the RGB predictor and the lifter's video path).
"""

from __future__ import annotations

import numpy as np
import torch

#: The default camera's focal length as a multiple of the image's longer side (Human3.6M:
#: 1145 px over 1000 px).
FOCAL_PER_SIDE = 1.145


def project(points: np.ndarray, intrinsics) -> np.ndarray:
    """Pinhole projection of camera-frame points (..., 3), metres → pixels (..., 2).

    ``intrinsics``: (4,) fx, fy, cx, cy for all points, or (..., 4) broadcasting against the
    points' leading dimensions. Float64 out.
    """
    points = np.asarray(points, dtype=np.float64)
    k = np.asarray(intrinsics, dtype=np.float64)
    k = k.reshape(k.shape[:-1] + (1,) * (points.ndim - 1 - (k.ndim - 1)) + (4,))
    fx, fy, cx, cy = (k[..., i] for i in range(4))
    depth = points[..., 2]
    return np.stack([fx * points[..., 0] / depth + cx, fy * points[..., 1] / depth + cy], axis=-1)


def project_torch(points: torch.Tensor, intrinsics: torch.Tensor, min_depth: float = 1e-3):
    """:func:`project` for a batch of tensors: ``points`` (B, ..., 3) camera-frame metres,
    ``intrinsics`` (B, 4) → (B, ..., 2) pixels. Depths below ``min_depth`` metres are clamped
    to it, so a point behind the camera gives a large finite value, not inf or a sign flip."""
    shape = (points.shape[0],) + (1,) * (points.ndim - 2)
    fx, fy, cx, cy = (intrinsics[:, i].reshape(shape) for i in range(4))
    depth = points[..., 2].clamp_min(min_depth)
    return torch.stack([fx * points[..., 0] / depth + cx, fy * points[..., 1] / depth + cy], dim=-1)


def video_intrinsics(width: int, height: int, focal: float | None = None) -> np.ndarray:
    """(4,) float64 fx, fy, cx, cy for a ``width`` × ``height`` video from an unknown camera:
    square pixels, focal length ``focal`` px (default :data:`FOCAL_PER_SIDE` × the longer
    side), principal point at the image centre ((W - 1) / 2, (H - 1) / 2)."""
    focal = FOCAL_PER_SIDE * max(width, height) if focal is None else float(focal)
    return np.array([focal, focal, (width - 1) / 2, (height - 1) / 2], dtype=np.float64)


def root_translation(
    poses3d: np.ndarray, keypoints: np.ndarray, intrinsics, weights: np.ndarray | None = None
) -> np.ndarray:
    """The pelvis position (F, 3) metres, camera frame, that best puts root-relative
    ``poses3d`` (F, J, 3) metres on ``keypoints`` (F, J, 2) pixels through the pinhole
    ``intrinsics`` (fx, fy, cx, cy).

    Per frame, the weighted linear least squares of ``fx (X + tx) = (u − cx)(Z + tz)`` and
    ``fy (Y + ty) = (v − cy)(Z + tz)`` over the joints (``weights`` (F, J), default all 1; a
    joint of weight 0 is not used). Exact for exact data. NaN where fewer than two joints are
    used or they do not determine the translation (joints that coincide in 2D or 3D).
    """
    fx, fy, cx, cy = (float(v) for v in np.asarray(intrinsics, dtype=np.float64))
    pose = np.asarray(poses3d, dtype=np.float64)
    u = np.asarray(keypoints[..., 0], dtype=np.float64) - cx
    v = np.asarray(keypoints[..., 1], dtype=np.float64) - cy
    weight = np.ones_like(u) if weights is None else np.asarray(weights, dtype=np.float64)
    usable = np.isfinite(u) & np.isfinite(v) & np.isfinite(pose).all(-1) & (weight > 0)
    weight = np.where(usable, weight, 0.0)
    u, v = np.where(usable, u, 0.0), np.where(usable, v, 0.0)
    pose = np.where(usable[..., None], pose, 0.0)
    zeros, ones = np.zeros_like(u), np.ones_like(u)
    # Rows (F, 2J, 3) of A [tx, ty, tz] = b, weighted by the joints' use.
    rows = np.concatenate(
        [np.stack([fx * ones, zeros, -u], -1), np.stack([zeros, fy * ones, -v], -1)], axis=1
    )
    target = np.concatenate(
        [u * pose[..., 2] - fx * pose[..., 0], v * pose[..., 2] - fy * pose[..., 1]], axis=1
    )
    w = np.concatenate([weight, weight], axis=1)[..., None]
    normal = np.einsum("fji,fjk->fik", rows * w, rows)
    right = np.einsum("fji,fj->fi", rows * w, target)
    enough = (weight > 0).sum(-1) >= 2
    enough[enough] = np.linalg.cond(normal[enough]) < 1e10
    out = np.full((len(pose), 3), np.nan)
    if enough.any():
        out[enough] = np.linalg.solve(normal[enough], right[enough][..., None])[..., 0]
    return out
