"""The 17-joint Human3.6M skeleton must match the Human3.6M convention exactly."""

import numpy as np
import pytest
import torch

from vidpose.pose import skeleton

DESIGN_JOINTS = [
    ("pelvis", -1),
    ("right_hip", 0),
    ("right_knee", 1),
    ("right_ankle", 2),
    ("left_hip", 0),
    ("left_knee", 4),
    ("left_ankle", 5),
    ("spine", 0),
    ("thorax", 7),
    ("neck", 8),
    ("head", 9),
    ("left_shoulder", 8),
    ("left_elbow", 11),
    ("left_wrist", 12),
    ("right_shoulder", 8),
    ("right_elbow", 14),
    ("right_wrist", 15),
]


def test_joint_names_and_parents_match_design():
    assert skeleton.NUM_JOINTS == 17
    assert list(skeleton.JOINT_NAMES) == [name for name, _ in DESIGN_JOINTS]
    assert skeleton.PARENTS.tolist() == [parent for _, parent in DESIGN_JOINTS]
    assert skeleton.ROOT == 0


def test_left_right_sets_and_flip_permutation():
    assert skeleton.LEFT_JOINTS.tolist() == [4, 5, 6, 11, 12, 13]
    assert skeleton.RIGHT_JOINTS.tolist() == [1, 2, 3, 14, 15, 16]
    assert skeleton.FLIP_PERMUTATION.tolist() == [
        0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13
    ]  # fmt: skip
    # A flip applied twice is the identity; left names map to right names.
    perm = skeleton.FLIP_PERMUTATION
    assert perm[perm].tolist() == list(range(17))
    for left, right in zip(skeleton.LEFT_JOINTS, skeleton.RIGHT_JOINTS, strict=True):
        assert skeleton.JOINT_NAMES[left].replace("left", "right") == skeleton.JOINT_NAMES[right]


def test_bones_are_child_parent_pairs():
    assert skeleton.BONES.shape == (16, 2)
    assert skeleton.BONES[:, 0].tolist() == list(range(1, 17))
    assert skeleton.BONES[:, 1].tolist() == skeleton.PARENTS[1:].tolist()


def test_raw_32_to_17_map():
    assert skeleton.H36M_32_TO_17.tolist() == [
        0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27
    ]  # fmt: skip


def test_split_and_actions():
    assert skeleton.TRAIN_SUBJECTS == ("S1", "S5", "S6", "S7", "S8")
    assert skeleton.TEST_SUBJECTS == ("S9", "S11")
    assert len(skeleton.H36M_ACTIONS) == 15 == len(set(skeleton.H36M_ACTIONS))


def test_bone_lengths_of_a_known_pose():
    pose = np.zeros((17, 3))
    for child in range(1, 17):  # each joint one unit along x from its parent
        pose[child] = pose[skeleton.PARENTS[child]] + [1.0, 0.0, 0.0]
    pose[10] = pose[9] + [0.0, 0.0, 2.5]
    lengths = skeleton.bone_lengths(pose[None, None])
    assert lengths.shape == (1, 1, 16)
    expected = np.ones(16)
    expected[10 - 1] = 2.5
    np.testing.assert_allclose(lengths[0, 0], expected)


@pytest.mark.parametrize("axis", [0, 1])
def test_flip_poses_mirrors_and_swaps(axis):
    rng = np.random.default_rng(0)
    poses = rng.normal(size=(4, 17, 3))
    flipped = skeleton.flip_poses(poses, axis=axis)
    np.testing.assert_allclose(flipped[:, 4, axis], -poses[:, 1, axis])
    np.testing.assert_allclose(flipped[:, 16], poses[:, 13] * np.where(np.arange(3) == axis, -1, 1))
    np.testing.assert_allclose(skeleton.flip_poses(flipped, axis=axis), poses)
    # The bone ending at joint j after the flip is the mirror twin of the one ending at perm[j].
    twin_bone = skeleton.FLIP_PERMUTATION[1:] - 1
    lengths = skeleton.bone_lengths(poses)
    np.testing.assert_allclose(skeleton.bone_lengths(flipped), lengths[:, twin_bone])


def test_ancestors_sum_parent_relative_depths_to_root_relative_ones():
    depths = np.random.default_rng(1).normal(size=(5, 17))
    per_bone = depths - depths[:, skeleton.PARENTS.clip(min=0)]
    per_bone[:, skeleton.ROOT] = 0.0
    root = skeleton.ROOT
    np.testing.assert_allclose(per_bone @ skeleton.ANCESTORS.T, depths - depths[:, root : root + 1])


def test_bone_vectors_work_on_arrays_and_tensors_alike():
    pose = np.random.default_rng(0).normal(size=(2, 17, 3))
    vectors = skeleton.bone_vectors(pose)
    assert vectors.shape == (2, 16, 3)
    np.testing.assert_allclose(vectors[:, 0], pose[:, 1] - pose[:, 0])  # right hip - pelvis
    np.testing.assert_allclose(skeleton.bone_vectors(torch.from_numpy(pose)).numpy(), vectors)
