"""From a parsed take to vidpose motion: 17 joints, metres, world frame z up, ``fps``.

In order:

- **Units** (:mod:`.units`): ``--scale``, else stated by the file, a known figure, or the
  leg length at rest.
- **Up axis**: ``auto`` takes the rest pose's axis from the ankles to the head (y or z;
  a rest pose stands); y up turns into z up by a +90° rotation about x,
  ``(x, y, z) → (x, -z, y)``, which keeps the axes right-handed.
- **Joints** (:mod:`.anatomy`): Human3.6M's definitions built from the family's landmarks
  (the renamed joints for a user map).
- **Lead-in** (:mod:`.lead_in`): a calibration T-pose at the start is dropped.
- **Frame rate**: resampled onto ``fps`` (first frame kept, the last output frame the last one
  inside the take) bone by bone: the root position and each bone's length are interpolated
  linearly in time, each bone's direction by normalised linear interpolation, and the joints
  rebuilt down the tree. Interpolating joint positions directly would shorten bones that turn
  fast between two source frames (by over a millimetre in CMU's dance takes). A take may not
  come out longer than :data:`MAX_OUTPUT_FRAMES` frames (a wrong frame rate, not a take).
- **Bones** (:mod:`.proportions`): each bone rescaled to the requested length, keeping its
  direction (none requested: the source's lengths).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.mocap.anatomy import BUILT_JOINTS, mapped, take_h36m_joints
from vidpose.mocap.joint_maps import ResolvedMap
from vidpose.mocap.lead_in import lead_in_frames
from vidpose.mocap.proportions import H36M_LEG_MM, rescale_bones
from vidpose.mocap.skeleton_take import Take
from vidpose.mocap.units import choose_scale, figure_scale
from vidpose.pose.skeleton import PARENTS, bone_lengths, bone_vectors

#: Most frames one take may resample to (2.8 hours at 50 fps, 400 MB of float64 poses).
MAX_OUTPUT_FRAMES = 500_000


@dataclass(frozen=True)
class Converted:
    """``positions`` (F, 17, 3) metres, z up, at ``fps``; how the units and axes were chosen;
    ``dropped`` leading source frames (a calibration T-pose); ``moved_mm`` per Human3.6M joint
    the anatomy builds, its mean distance (mm, over the source frames) from the renamed
    source joint; ``source_bones_m`` (16,) median bone lengths before any rescaling."""

    positions: np.ndarray
    fps: float
    metres_per_unit: float
    units: str
    up: str
    source_fps: float
    leg_m: float
    family: str
    dropped: int = 0
    moved_mm: dict[int, float] = field(default_factory=dict)
    source_bones_m: np.ndarray | None = None


def leg_length(rest17: np.ndarray) -> float:
    """Mean over both sides of hip→knee + knee→ankle of a (17, 3) rest pose, file units."""
    legs = [(1, 2, 3), (4, 5, 6)]
    lengths = [
        np.linalg.norm(rest17[k] - rest17[h]) + np.linalg.norm(rest17[a] - rest17[k])
        for h, k, a in legs
    ]
    return float(np.mean(lengths))


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


def output_frames(count: int, source_fps: float, fps: float) -> int:
    """How many frames ``count`` source frames at ``source_fps`` resample to at ``fps``."""
    if abs(source_fps - fps) < 1e-9 * fps or count < 2:
        return count
    return int(np.floor((count - 1) / source_fps * fps + 1e-9)) + 1


def resample(positions: np.ndarray, source_fps: float, fps: float) -> np.ndarray:
    """Poses (F, 17, 3) at ``source_fps`` → (F', 17, 3) at ``fps`` (see the module docstring)."""
    count = len(positions)
    if abs(source_fps - fps) < 1e-9 * fps or count < 2:
        return positions.copy()
    where = np.arange(output_frames(count, source_fps, fps)) * (source_fps / fps)
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


def _moved_mm(built: np.ndarray, renamed: np.ndarray, resolved: ResolvedMap) -> dict[int, float]:
    if resolved.anatomy is None:
        return {}
    distance = np.linalg.norm(built[:, BUILT_JOINTS] - renamed[:, BUILT_JOINTS], axis=-1)
    return {j: float(d) * 1000 for j, d in zip(BUILT_JOINTS, distance.mean(axis=0), strict=True)}


def convert_take(
    take: Take,
    resolved: ResolvedMap,
    *,
    fps: float = 50.0,
    scale: float | None = None,
    up: str = "auto",
    bones: np.ndarray | None = None,
) -> Converted:
    """``take`` → :class:`Converted`; ``scale`` metres per unit or None for auto; ``bones``
    (16,) target bone lengths in metres or None to keep the source's."""
    rest17 = mapped(take.rest, resolved)
    leg = leg_length(rest17)
    if scale is None:
        figure = figure_scale(take.names, take.parents, take.rest)
        scale, units = choose_scale(leg, take.units_m, take.source, figure)
    else:
        units = f"--scale {scale:g} m per unit"
    if up == "auto":
        up = detect_up(rest17, take.source)
    if up not in ("y", "z"):
        raise UserError(f"--up {up!r}: choose y, z or auto")
    up_vector = np.eye(3)["xyz".index(up)]
    units_per_mm = leg / H36M_LEG_MM if leg > 0 else 0.0  # this body's size, in file units
    positions = take_h36m_joints(take, resolved, up_vector, units_per_mm) * scale
    if not np.isfinite(positions).all():
        raise UserError(f"{take.source}: the motion has NaN or inf positions")
    moved = _moved_mm(positions, mapped(take.positions, resolved) * scale, resolved)
    if up == "y":
        positions = y_up_to_z_up(positions)
    dropped = lead_in_frames(positions, take.fps)
    positions = positions[dropped:]
    count = output_frames(len(positions), take.fps, fps)
    if count > MAX_OUTPUT_FRAMES:
        raise UserError(
            f"{take.source}: {len(positions)} frames at {take.fps:.6g} fps would resample to "
            f"{count} frames at {fps:g} fps, more than the {MAX_OUTPUT_FRAMES} a take may have; "
            "is the frame rate right?"
        )
    source_bones = np.median(bone_lengths(positions), axis=0)
    positions = resample(positions, take.fps, fps)
    if bones is not None:
        positions = rescale_bones(positions, bones)
    return Converted(
        positions=positions,
        fps=fps,
        metres_per_unit=scale,
        units=units,
        up=up,
        source_fps=take.fps,
        leg_m=leg * scale,
        family=resolved.family,
        dropped=dropped,
        moved_mm=moved,
        source_bones_m=source_bones,
    )
