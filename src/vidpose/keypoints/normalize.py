"""VideoPose3D's screen normalisation of 2D keypoints (docs/lifting_data.md), and its inverse.

``x_n = x / w * 2 - 1`` and ``y_n = y / w * 2 - h / w``: both axes are scaled by the image
*width*, so the aspect ratio is kept, x spans [-1, 1] and y spans [-h/w, h/w], and the image
centre maps to (0, 0). For a 1000 × 1002 Human3.6M image, pixel (0, 0) → (-1, -1.002) and
(1000, 1002) → (1, 1.002).

Both functions work on NumPy arrays and torch tensors alike (nothing here imports torch).
``width`` and ``height`` are numbers or arrays broadcasting against ``points[..., 0]``
(e.g. ``(N, 1, 1)`` for per-sequence sizes of ``(N, T, J, 2)`` keypoints). Columns after the
first two (a confidence) pass through unchanged.
"""

from __future__ import annotations


def _copy_float(points):
    if hasattr(points, "clone"):  # a torch tensor
        return points.clone() if points.is_floating_point() else points.double()
    import numpy as np

    points = np.asarray(points)
    dtype = points.dtype if np.issubdtype(points.dtype, np.floating) else np.float64
    return points.astype(dtype, copy=True)


def normalize_screen(points, width, height):
    """Pixels (..., 2 or more) → VideoPose3D's normalised coordinates (same shape, a copy)."""
    out = _copy_float(points)
    out[..., 0] = points[..., 0] / width * 2 - 1
    out[..., 1] = points[..., 1] / width * 2 - height / width
    return out


def image_coordinates(points, width, height):
    """Normalised coordinates (..., 2 or more) → pixels: the inverse of normalize_screen."""
    out = _copy_float(points)
    out[..., 0] = (points[..., 0] + 1) * width / 2
    out[..., 1] = (points[..., 1] + height / width) * width / 2
    return out
