"""One skeleton per sequence: a person's bones do not change length from frame to frame.

A lifter predicts every frame on its own, so its bones stretch and shrink (on real video the
shipped lifter's thigh varied between 0.17 and 0.43 m within one clip). :func:`constant_bones`
keeps each frame's bone *directions* and gives every frame the same bone *lengths*:

1. the sequence's length of each bone is the median over its frames (over the frames marked
   ``known`` when given: frames lifted from real keypoints, not filled ones), robust to the
   frames where a limb was mis-detected;
2. left and right twins (thighs, shins, upper arms, forearms, hip and shoulder bones) get the
   mean of their two medians: people are left/right symmetric, and one side is often the
   occluded, worse-detected one;
3. each frame is rebuilt from the pelvis (kept at the origin) outwards: a joint is its parent
   plus the bone's length along the predicted direction from parent to joint.

The rebuilt pose has exactly those lengths in every frame and the predicted direction of every
bone; a bone predicted with zero length (no direction) leaves its joint on its parent.
"""

from __future__ import annotations

import numpy as np

from vidpose.pose.skeleton import ANCESTORS, BONES, FLIP_PERMUTATION, bone_vectors

#: For each bone (indexed by its child joint, 1 … 16), the index of its left/right twin.
TWIN_BONE = FLIP_PERMUTATION[BONES[:, 0]] - 1


def sequence_bone_lengths(poses: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """Poses (F, 17, 3) → (16,) bone lengths in the units of the input: the per-bone median
    over the ``known`` (F,) frames (all when None or none known), twins averaged."""
    lengths = np.linalg.norm(bone_vectors(np.asarray(poses, np.float64)), axis=-1)
    if known is not None and np.any(known):
        lengths = lengths[np.asarray(known, bool)]
    median = np.median(lengths, axis=0)
    return 0.5 * (median + median[TWIN_BONE])


def with_bone_lengths(poses: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Poses (..., 17, 3), pelvis at the origin → the same bone directions with ``lengths``
    (16,) (or (..., 16)), rebuilt from the pelvis out; float64."""
    vectors = bone_vectors(np.asarray(poses, np.float64))
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    directions = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    bones = np.zeros((*vectors.shape[:-2], 17, 3))
    bones[..., 1:, :] = directions * np.asarray(lengths, np.float64)[..., None]
    return np.einsum("jk,...kd->...jd", ANCESTORS.astype(np.float64), bones)


def constant_bones(poses: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """A sequence's poses (F, 17, 3) metres, root-relative → float32 poses with its
    :func:`sequence_bone_lengths` in every frame and each frame's bone directions."""
    return with_bone_lengths(poses, sequence_bone_lengths(poses, known)).astype(np.float32)
