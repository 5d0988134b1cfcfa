"""Rotation matrices from and to Euler angles, vectorised over frames (NumPy only).

Conventions: column vectors (``v' = R @ v``) and right-handed axes. An Euler ``order`` such as
``"ZYX"`` lists the axes as they are written in a BVH ``CHANNELS`` line or an ASF ``axis``
field read left to right, and the matrix is the product in that order:
``R = R_Z(a0) @ R_Y(a1) @ R_X(a2)``, so the rightmost axis acts on a vector first.
"""

from __future__ import annotations

import numpy as np

AXES = "XYZ"


def axis_rotations(axis: str, angles_rad: np.ndarray) -> np.ndarray:
    """Rotations about one coordinate ``axis`` ("X", "Y" or "Z") by ``angles_rad`` (...,)
    → (..., 3, 3)."""
    angles = np.asarray(angles_rad, dtype=np.float64)
    c, s = np.cos(angles), np.sin(angles)
    out = np.zeros((*angles.shape, 3, 3))
    i = AXES.index(axis)
    j, k = (i + 1) % 3, (i + 2) % 3
    out[..., i, i] = 1.0
    out[..., j, j] = c
    out[..., k, k] = c
    out[..., j, k] = -s
    out[..., k, j] = s
    return out


def euler_to_matrix(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """Angles (..., len(order)) in degrees, one per axis of ``order`` → rotations (..., 3, 3)."""
    angles = np.radians(np.asarray(angles_deg, dtype=np.float64))
    result = None
    for index, axis in enumerate(order):
        rotation = axis_rotations(axis, angles[..., index])
        result = rotation if result is None else result @ rotation
    if result is None:
        return np.broadcast_to(np.eye(3), (*angles.shape[:-1], 3, 3)).copy()
    return result


def matrix_to_euler(rotations: np.ndarray, order: str) -> np.ndarray:
    """Rotations (..., 3, 3) → angles (..., 3) in degrees with ``euler_to_matrix(a, order)``
    equal to the input, for any ``order`` of three distinct axes.

    The middle angle lies in [-90, 90]; at ±90 (gimbal lock) the last angle is set to 0.
    """
    i, j, k = (AXES.index(a) for a in order)
    if len({i, j, k}) != 3:
        raise ValueError(f"Euler order {order!r} must name three distinct axes")
    # For R = R_i(a) R_j(b) R_k(c) with (i, j, k) an even permutation, R[i, k] = sin b, and
    # the other angles come from the entries beside it; an odd permutation flips the signs.
    sign = 1.0 if (j - i) % 3 == 1 else -1.0
    r = np.asarray(rotations, dtype=np.float64)
    sin_b = np.clip(sign * r[..., i, k], -1.0, 1.0)
    b = np.arcsin(sin_b)
    cos_b = np.sqrt(np.maximum(0.0, 1.0 - sin_b**2))
    locked = cos_b < 1e-9
    a = np.arctan2(-sign * r[..., j, k], r[..., k, k])
    c = np.arctan2(-sign * r[..., i, j], r[..., i, i])
    # Gimbal lock: only a + c (or a - c) is defined; put it all in a.
    a_locked = np.arctan2(sign * r[..., k, j], r[..., j, j])
    a = np.where(locked, a_locked, a)
    c = np.where(locked, 0.0, c)
    return np.degrees(np.stack([a, b, c], axis=-1))


def rotation_between(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The shortest-arc rotations (..., 3, 3) turning unit vectors ``source`` (..., 3) onto
    unit vectors ``target`` (..., 3). Opposite vectors turn by 180° about an axis
    perpendicular to ``source``."""
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    shape = np.broadcast_shapes(source.shape, target.shape)
    source, target = np.broadcast_to(source, shape), np.broadcast_to(target, shape)
    axis = np.cross(source, target)
    cos = np.sum(source * target, axis=-1)
    sin = np.linalg.norm(axis, axis=-1)
    opposite = (sin < 1e-9) & (cos < 0)
    # A perpendicular to source for the 180° case: cross with the axis it is least along.
    helper = np.eye(3)[np.argmin(np.abs(source), axis=-1)]
    fallback = np.cross(source, helper)
    axis = np.where(opposite[..., None], fallback, axis)
    norm = np.linalg.norm(axis, axis=-1, keepdims=True)
    unit = np.divide(axis, norm, out=np.zeros_like(axis), where=norm > 1e-12)
    angle = np.arctan2(sin, cos)
    return axis_angle_to_matrix(unit, angle)


def axis_angle_to_matrix(unit_axis: np.ndarray, angle_rad: np.ndarray) -> np.ndarray:
    """Rodrigues' formula: unit axes (..., 3) and angles (...,) → rotations (..., 3, 3)."""
    x, y, z = unit_axis[..., 0], unit_axis[..., 1], unit_axis[..., 2]
    zero = np.zeros_like(x)
    cross = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=-1).reshape(*x.shape, 3, 3)
    s = np.sin(angle_rad)[..., None, None]
    c = np.cos(angle_rad)[..., None, None]
    return np.eye(3) + s * cross + (1 - c) * (cross @ cross)
