"""The 17-joint Human3.6M skeleton used everywhere in vidpose (docs/architecture.md).

Joint order, parents and left/right sets follow the convention of VideoPose3D and most
Human3.6M work, so arrays exchange with those tools without re-ordering.
"""

from __future__ import annotations

import numpy as np

NUM_JOINTS = 17

JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "spine",
    "thorax",
    "neck",
    "head",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)

#: Parent of each joint (-1 for the root, the pelvis).
PARENTS = np.array([-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15], dtype=np.int64)

ROOT = 0
LEFT_JOINTS = np.array([4, 5, 6, 11, 12, 13], dtype=np.int64)
RIGHT_JOINTS = np.array([1, 2, 3, 14, 15, 16], dtype=np.int64)
#: The 12 limb joints (hips, knees, ankles, shoulders, elbows, wrists), in joint order: the ones
#: every keypoint layout marks as they are.
LIMB_JOINTS = np.sort(np.concatenate([LEFT_JOINTS, RIGHT_JOINTS]))

#: ``poses[..., FLIP_PERMUTATION, :]`` swaps left and right joints (for horizontal flips).
FLIP_PERMUTATION = np.arange(NUM_JOINTS, dtype=np.int64)
FLIP_PERMUTATION[LEFT_JOINTS] = RIGHT_JOINTS
FLIP_PERMUTATION[RIGHT_JOINTS] = LEFT_JOINTS

#: (child, parent) pairs, one per bone, 16 in all, in child order.
BONES = np.array([(j, int(PARENTS[j])) for j in range(1, NUM_JOINTS)], dtype=np.int64)


def _ancestors() -> np.ndarray:
    chain = np.zeros((NUM_JOINTS, NUM_JOINTS), dtype=np.float32)
    for joint in range(NUM_JOINTS):
        node = joint
        while node != ROOT:
            chain[joint, node] = 1.0
            node = int(PARENTS[node])
    return chain


#: (17, 17) 0/1: ``[j, k]`` = 1 where k is j or an ancestor of j, other than the pelvis; so
#: ``per_bone @ ANCESTORS.T`` sums values per bone (indexed by child) down the tree to each joint.
ANCESTORS = _ancestors()

#: Indices into the raw 32-joint Human3.6M pose arrays that give our 17 joints.
H36M_32_TO_17 = np.array(
    [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27], dtype=np.int64
)

#: Human3.6M subjects and the standard split.
#: Human3.6M's bone lengths, millimetres, keyed by the bone's child joint (1..16): (mean over
#: the five training subjects, lowest and highest subject mean), measured on the released pose
#: files. Human3.6M gives no range for neck/nose → head; it takes the relative range of
#: thorax → neck/nose (107-121 of 117). The one table the mocap importer and the synthetic
#: bodies draw from.
H36M_BONE_LENGTHS_MM: dict[int, tuple[float, float, float]] = {
    1: (136.0, 119.0, 147.0),  # pelvis -> right hip
    2: (452.0, 428.0, 487.0),  # hip -> knee
    3: (447.0, 438.0, 461.0),  # knee -> ankle
    4: (136.0, 119.0, 147.0),
    5: (452.0, 428.0, 487.0),
    6: (447.0, 438.0, 461.0),
    7: (242.0, 224.0, 262.0),  # pelvis -> spine
    8: (256.0, 251.0, 260.0),  # spine -> thorax
    9: (117.0, 107.0, 121.0),  # thorax -> neck/nose
    10: (115.0, 115.0 * 107.0 / 117.0, 115.0 * 121.0 / 117.0),  # neck/nose -> head top
    11: (151.0, 140.0, 169.0),  # thorax -> shoulder
    12: (282.0, 265.0, 301.0),  # shoulder -> elbow
    13: (250.0, 244.0, 258.0),  # elbow -> wrist
    14: (151.0, 140.0, 169.0),
    15: (282.0, 265.0, 301.0),
    16: (250.0, 244.0, 258.0),
}

TRAIN_SUBJECTS: tuple[str, ...] = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS: tuple[str, ...] = ("S9", "S11")

#: The 15 canonical Human3.6M action names.
H36M_ACTIONS: tuple[str, ...] = (
    "Directions",
    "Discussion",
    "Eating",
    "Greeting",
    "Phoning",
    "Photo",
    "Posing",
    "Purchases",
    "Sitting",
    "SittingDown",
    "Smoking",
    "Waiting",
    "WalkDog",
    "Walking",
    "WalkTogether",
)


def bone_vectors(poses):
    """Child minus parent joint of ``poses`` (..., 17, D) → (..., 16, D): a NumPy array or a
    torch tensor, whichever it is given."""
    return poses[..., BONES[:, 0], :] - poses[..., BONES[:, 1], :]


def bone_lengths(poses: np.ndarray) -> np.ndarray:
    """Bone lengths of ``poses`` (..., 17, 3) → (..., 16), in the units of the input."""
    return np.linalg.norm(bone_vectors(np.asarray(poses)), axis=-1)


def flip_poses(poses: np.ndarray, axis: int = 0) -> np.ndarray:
    """Mirror ``poses`` (..., 17, D) along coordinate ``axis`` and swap left/right joints."""
    flipped = np.array(poses, copy=True)[..., FLIP_PERMUTATION, :]
    flipped[..., axis] *= -1
    return flipped
