"""From a parsed take to vidpose motion: 17 joints, metres, world frame z up, ``fps``.

- **Joints**: each Human3.6M joint is the mean of its source joints (:mod:`.joint_maps`).
- **Units**: ``--scale auto`` decides metres per file unit from the skeleton's leg length at
  rest (hip → knee → ankle, mean of both sides): the first of :data:`UNIT_CANDIDATES` that puts
  it in :data:`LEG_RANGE_M` (any two candidates differ by a factor above the range's 2.1, so
  at most one fits), unless the file states its units (ASF ``:units length``).
- **Up axis**: ``auto`` takes the rest pose's axis from the ankles to the head (y or z;
  a rest pose stands); y up turns into z up by a +90° rotation about x,
  ``(x, y, z) → (x, -z, y)``, which keeps the axes right-handed.
- **Frame rate**: resampled onto ``fps`` (first frame kept, the last output frame the last one
  inside the take) bone by bone: the root position and each bone's length are interpolated
  linearly in time, each bone's direction by normalised linear interpolation, and the joints
  rebuilt down the tree. Interpolating joint positions directly would shorten bones that turn
  fast between two source frames (by over a millimetre in CMU's dance takes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidpose.errors import UserError
from vidpose.mocap.joint_maps import ResolvedMap
from vidpose.mocap.skeleton_take import Take
from vidpose.skeleton import PARENTS, bone_vectors

#: (name, metres per unit), tried in this order by ``--scale auto``.
UNIT_CANDIDATES: tuple[tuple[str, float], ...] = (
    ("metres", 1.0),
    ("centimetres", 0.01),
    ("millimetres", 0.001),
    ("CMU BVH units (inches / 0.45)", 0.0254 / 0.45),
    ("inches", 0.0254),
)
#: Plausible hip-to-ankle length of an adult or child in metres.
LEG_RANGE_M = (0.55, 1.15)


@dataclass(frozen=True)
class Converted:
    """``positions`` (F, 17, 3) metres, z up, at ``fps``; how the units and axes were chosen."""

    positions: np.ndarray
    fps: float
    metres_per_unit: float
    units: str
    up: str
    source_fps: float
    leg_m: float
    family: str


def mapped(points: np.ndarray, resolved: ResolvedMap) -> np.ndarray:
    """Source joints (..., J, 3) → the 17 Human3.6M joints (..., 17, 3), averaging groups."""
    return np.stack([points[..., list(group), :].mean(axis=-2) for group in resolved.sources], -2)


def leg_length(rest17: np.ndarray) -> float:
    """Mean over both sides of hip→knee + knee→ankle of a (17, 3) rest pose, file units."""
    legs = [(1, 2, 3), (4, 5, 6)]
    lengths = [
        np.linalg.norm(rest17[k] - rest17[h]) + np.linalg.norm(rest17[a] - rest17[k])
        for h, k, a in legs
    ]
    return float(np.mean(lengths))


def choose_scale(leg_units: float, stated_m: float | None, source) -> tuple[float, str]:
    """(metres per unit, a phrase saying why) for ``--scale auto``."""
    if stated_m is not None:
        return stated_m, f"stated in the file ({stated_m:.6g} m per unit)"
    for name, factor in UNIT_CANDIDATES:
        if LEG_RANGE_M[0] <= leg_units * factor <= LEG_RANGE_M[1]:
            return factor, f"{name} (leg {leg_units:.4g} units = {leg_units * factor:.3f} m)"
    raise UserError(
        f"{source}: cannot tell the units: the leg (hip to ankle) is {leg_units:.4g} units, "
        f"not {LEG_RANGE_M[0]}-{LEG_RANGE_M[1]} m in any of "
        f"{', '.join(n for n, _ in UNIT_CANDIDATES)}; pass --scale METRES_PER_UNIT"
    )


def detect_up(rest17: np.ndarray, source) -> str:
    """'y' or 'z': the axis the rest pose's ankles-to-head direction runs along (upwards)."""
    rise = rest17[10] - rest17[[3, 6]].mean(axis=0)
    axis = int(np.argmax(np.abs(rise)))
    if axis == 0 or rise[axis] <= 0:
        raise UserError(
            f"{source}: cannot tell the up axis from the rest pose (head - ankles = "
            f"{np.round(rise, 3).tolist()}); pass --up y or --up z"
        )
    return "xyz"[axis]


def y_up_to_z_up(points: np.ndarray) -> np.ndarray:
    """(..., 3) y-up points → z-up: (x, y, z) → (x, -z, y), a +90° turn about x."""
    return np.stack([points[..., 0], -points[..., 2], points[..., 1]], axis=-1)


def _lerp(values: np.ndarray, below: np.ndarray, frac: np.ndarray) -> np.ndarray:
    frac = frac.reshape(-1, *([1] * (values.ndim - 1)))
    return values[below] * (1 - frac) + values[below + 1] * frac


def resample(positions: np.ndarray, source_fps: float, fps: float) -> np.ndarray:
    """Poses (F, 17, 3) at ``source_fps`` → (F', 17, 3) at ``fps`` (see the module docstring)."""
    count = len(positions)
    if abs(source_fps - fps) < 1e-9 * fps or count < 2:
        return positions.copy()
    duration = (count - 1) / source_fps
    where = np.arange(int(np.floor(duration * fps + 1e-9)) + 1) * (source_fps / fps)
    below = np.minimum(np.floor(where).astype(np.int64), count - 2)
    frac = where - below
    bones = bone_vectors(positions)  # (F, 16, 3), bone k ends at joint k + 1
    lengths = _lerp(np.linalg.norm(bones, axis=-1), below, frac)
    directions = _lerp(bones, below, frac)
    norms = np.linalg.norm(directions, axis=-1, keepdims=True)
    directions = np.divide(directions, norms, out=np.zeros_like(directions), where=norms > 0)
    out = np.empty((len(where), *positions.shape[1:]))
    out[:, 0] = _lerp(positions[:, 0], below, frac)
    for child in range(1, positions.shape[1]):
        out[:, child] = (
            out[:, PARENTS[child]] + directions[:, child - 1] * lengths[:, child - 1, None]
        )
    return out


def convert_take(
    take: Take,
    resolved: ResolvedMap,
    *,
    fps: float = 50.0,
    scale: float | None = None,
    up: str = "auto",
) -> Converted:
    """``take`` → :class:`Converted`; ``scale`` metres per unit or None for auto."""
    rest17 = mapped(take.rest, resolved)
    leg = leg_length(rest17)
    if scale is None:
        scale, units = choose_scale(leg, take.units_m, take.source)
    else:
        units = f"--scale {scale:g} m per unit"
    if up == "auto":
        up = detect_up(rest17, take.source)
    positions = mapped(take.positions, resolved) * scale
    if not np.isfinite(positions).all():
        raise UserError(f"{take.source}: the motion has NaN or inf positions")
    if up == "y":
        positions = y_up_to_z_up(positions)
    elif up != "z":
        raise UserError(f"--up {up!r}: choose y, z or auto")
    return Converted(
        positions=resample(positions, take.fps, fps),
        fps=fps,
        metres_per_unit=scale,
        units=units,
        up=up,
        source_fps=take.fps,
        leg_m=leg * scale,
        family=resolved.family,
    )
