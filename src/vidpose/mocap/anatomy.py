"""Human3.6M's joint definitions built from a mocap skeleton's landmarks.

A renaming of source joints (:mod:`.joint_maps` tables) is right for the knees, ankles,
shoulders, elbows and wrists. Human3.6M's other joints mean something a mocap skeleton's
joints of the same name do not (docs/human36m.md), so they are built from the family's
landmarks (:class:`~vidpose.mocap.joint_maps.Anatomy`), with ``s`` the body's size, its rest
leg (hip → knee → ankle) over Human3.6M's 899 mm:

- **pelvis**: the midpoint of the two hip joint centres (a mocap root usually sits higher,
  CMU's 10 cm above them, Daz's 2.6 cm below);
- **hips**: on the line through the hip joint centres, 136 mm · s each side of the pelvis
  (Human3.6M's wide pelvis: 272 mm hip to hip, against 137-203 mm between the hip joint
  centres of CMU's 15 ASF skeletons and 176 mm in the Daz figure);
- **thorax**: the base of the neck between the shoulders (``neck_base``);
- **spine**: on the chain pelvis → ``trunk`` joints → thorax, at 242 / (242 + 256) of its
  length from the pelvis (mid-trunk, Human3.6M's pelvis → spine → thorax lengths);
- **neck** (Human3.6M's neck/nose joint, its mocap skeleton's ``Head`` joint): where the head
  turns on the neck (``head_pivot``);
- **head**: the top of the head, a point fixed in the head's own frame (``head_frame``'s
  world rotation): 115 mm · s above the pivot along the up axis at rest, where every BVH and
  ASF world rotation is the identity. So the head top nods and turns with the head.

Both readers give the rest-pose world rotations as the identity, so an offset written in the
rest pose's axes is an offset in the joint's own frame.
"""

from __future__ import annotations

import numpy as np

from vidpose.mocap.joint_maps import ResolvedAnatomy, ResolvedMap
from vidpose.mocap.skeleton_take import Take
from vidpose.pose.skeleton import H36M_BONE_LENGTHS_MM

#: Where Human3.6M's spine joint sits on the pelvis → thorax chain (share of its length).
SPINE_SHARE = H36M_BONE_LENGTHS_MM[7][0] / (H36M_BONE_LENGTHS_MM[7][0] + H36M_BONE_LENGTHS_MM[8][0])
#: Joints whose position the anatomy sets (the others are the renamed source joints).
BUILT_JOINTS = (0, 1, 4, 7, 8, 9, 10)


def mapped(points: np.ndarray, resolved: ResolvedMap) -> np.ndarray:
    """Source joints (..., J, 3) → the 17 renamed joints (..., 17, 3), averaging groups."""
    return np.stack([points[..., list(group), :].mean(axis=-2) for group in resolved.sources], -2)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > 0)


def point_along(chain: np.ndarray, share: float) -> np.ndarray:
    """Points (F, 3) at ``share`` (0..1) of the length of polylines ``chain`` (F, P, 3)."""
    segments = np.linalg.norm(np.diff(chain, axis=1), axis=-1)  # (F, P-1)
    ends = np.cumsum(segments, axis=1)
    target = share * ends[:, -1:]
    index = np.minimum((ends < target).sum(axis=1), segments.shape[1] - 1)  # (F,)
    rows = np.arange(len(chain))
    start_length = ends[rows, index] - segments[rows, index]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(
            segments[rows, index] > 0, (target[:, 0] - start_length) / segments[rows, index], 0.0
        )
    start, end = chain[rows, index], chain[rows, index + 1]
    return start + (end - start) * np.clip(frac, 0.0, 1.0)[:, None]


def h36m_joints(
    positions: np.ndarray,
    rotations: dict[int, np.ndarray],
    resolved: ResolvedMap,
    anatomy: ResolvedAnatomy,
    up: np.ndarray,
    units_per_mm: float,
) -> np.ndarray:
    """The 17 Human3.6M joints (F, 17, 3) in file units from source ``positions`` (F, J, 3)
    and the world rotation (F, 3, 3) of ``anatomy.head_frame`` in ``rotations``; ``up`` (3,)
    the rest pose's unit up vector; ``units_per_mm`` file units per Human3.6M millimetre for
    this body (its ``s`` over the metres per unit, over 1000)."""
    out = mapped(positions, resolved)
    left, right = out[:, 4].copy(), out[:, 1].copy()  # hip joint centres
    pelvis = (left + right) / 2
    lateral = _unit(left - right)
    half_width = H36M_BONE_LENGTHS_MM[4][0] * units_per_mm
    thorax = positions[:, anatomy.neck_base]
    chain = np.stack([pelvis, *(positions[:, j] for j in anatomy.trunk), thorax], axis=1)
    pivot = positions[:, anatomy.head_pivot]
    head_offset = np.asarray(up, dtype=np.float64) * H36M_BONE_LENGTHS_MM[10][0] * units_per_mm
    out[:, 0] = pelvis
    out[:, 4] = pelvis + lateral * half_width
    out[:, 1] = pelvis - lateral * half_width
    out[:, 7] = point_along(chain, SPINE_SHARE)
    out[:, 8] = thorax
    out[:, 9] = pivot
    out[:, 10] = pivot + rotations[anatomy.head_frame] @ head_offset
    return out


def take_h36m_joints(
    take: Take, resolved: ResolvedMap, up: np.ndarray, units_per_mm: float
) -> np.ndarray:
    """:func:`h36m_joints` of a take, or the renamed joints when its map has no anatomy."""
    if resolved.anatomy is None:
        return mapped(take.positions, resolved)
    return h36m_joints(take.positions, take.rotations, resolved, resolved.anatomy, up, units_per_mm)
