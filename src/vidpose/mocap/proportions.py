"""Human3.6M's bone lengths, seeded per-subject bodies within their ranges, and rescaling.

Figures: :data:`vidpose.pose.skeleton.H36M_BONE_LENGTHS_MM` (the mean bone length over the five
training subjects and the range of the subjects' means, millimetres, by each bone's child
joint).

:func:`rescale_bones` gives a motion these lengths: each bone keeps its direction in every
frame and takes its target length, rebuilt down the tree from the pelvis, and the pelvis path
is scaled by the ratio of the new leg to the old so that strides and jumps keep their size
relative to the body (feet do not slide more or less than in the capture).
"""

from __future__ import annotations

import zlib

import numpy as np

from vidpose.pose.skeleton import H36M_BONE_LENGTHS_MM, NUM_JOINTS, PARENTS

#: Human3.6M's leg, hip → knee → ankle, mm: the body size that anatomy offsets scale with.
H36M_LEG_MM = H36M_BONE_LENGTHS_MM[2][0] + H36M_BONE_LENGTHS_MM[3][0]
#: Left bones and the right bones they mirror: one draw gives both the same length.
_MIRRORS = {4: 1, 5: 2, 6: 3, 11: 14, 12: 15, 13: 16}
#: Share of a subject's draw that is overall size (the rest is per bone).
SIZE_SHARE = 0.6

BONE_CHOICES = ("h36m", "h36m-mean", "source")


def mean_bone_lengths() -> np.ndarray:
    """(16,) Human3.6M mean bone lengths in metres, bone k ending at joint k + 1."""
    return np.array([H36M_BONE_LENGTHS_MM[c][0] for c in range(1, NUM_JOINTS)]) / 1000.0


def subject_bone_lengths(subject: str, seed: int = 0) -> np.ndarray:
    """(16,) bone lengths in metres of a Human3.6M-like person drawn for ``subject``.

    The same ``subject`` and ``seed`` always give the same body. One overall size ``z`` and one
    value ``e`` per bone pair, each uniform in [-1, 1], give ``v = 0.6 z + 0.4 e``; the bone is
    its mean plus ``v`` times the distance to the top (``v > 0``) or bottom of its range, so
    every length lies in the §11 range and tall people have mostly long bones.
    """
    rng = np.random.default_rng([zlib.crc32(subject.encode("utf-8")), seed])
    size = rng.uniform(-1.0, 1.0)
    own = rng.uniform(-1.0, 1.0, NUM_JOINTS)
    lengths = np.empty(NUM_JOINTS - 1)
    for child in range(1, NUM_JOINTS):
        mean, low, high = H36M_BONE_LENGTHS_MM[child]
        v = SIZE_SHARE * size + (1 - SIZE_SHARE) * own[_MIRRORS.get(child, child)]
        lengths[child - 1] = mean + v * ((high - mean) if v >= 0 else (mean - low))
    return lengths / 1000.0


def target_bone_lengths(mode: str, subject: str, seed: int = 0) -> np.ndarray | None:
    """The (16,) lengths of ``--bones mode`` for ``subject``: None keeps the source's."""
    if mode == "source":
        return None
    if mode == "h36m-mean":
        return mean_bone_lengths()
    if mode == "h36m":
        return subject_bone_lengths(subject, seed)
    raise ValueError(f"unknown bone mode {mode!r}; choose one of {', '.join(BONE_CHOICES)}")


def leg_lengths(positions: np.ndarray) -> np.ndarray:
    """(F,) mean over both sides of hip → knee → ankle of poses (F, 17, 3)."""
    legs = [(1, 2, 3), (4, 5, 6)]
    total = sum(
        np.linalg.norm(positions[:, k] - positions[:, h], axis=-1)
        + np.linalg.norm(positions[:, a] - positions[:, k], axis=-1)
        for h, k, a in legs
    )
    return total / len(legs)


def rescale_bones(positions: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Poses (F, 17, 3) metres → the same bone directions at ``lengths`` (16,) metres.

    The pelvis path is scaled about the origin by (target leg) / (median leg of the take).
    A bone of zero length in the input has no direction and stays zero (none of the mapped
    families has one).
    """
    positions = np.asarray(positions, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.float64)
    target_leg = (lengths[1] + lengths[2] + lengths[4] + lengths[5]) / 2
    source_leg = float(np.median(leg_lengths(positions)))
    ratio = target_leg / source_leg if source_leg > 0 else 1.0
    out = np.empty_like(positions)
    out[:, 0] = positions[:, 0] * ratio
    for child in range(1, NUM_JOINTS):
        parent = int(PARENTS[child])
        bone = positions[:, child] - positions[:, parent]
        norm = np.linalg.norm(bone, axis=-1, keepdims=True)
        direction = np.divide(bone, norm, out=np.zeros_like(bone), where=norm > 0)
        out[:, child] = out[:, parent] + direction * lengths[child - 1]
    return out
