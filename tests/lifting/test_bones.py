"""One skeleton per sequence (vidpose.lifting.bones), in closed form."""

from __future__ import annotations

import numpy as np

from vidpose.lifting.bones import (
    TWIN_BONE,
    constant_bones,
    sequence_bone_lengths,
    with_bone_lengths,
)
from vidpose.pose.skeleton import ANCESTORS, BONES, bone_lengths, bone_vectors


def _poses(lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(F, 17, 3) poses with bone lengths ``lengths`` (F, 16) along random directions."""
    directions = rng.normal(size=(*lengths.shape, 3))
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    bones = np.zeros((len(lengths), 17, 3))
    bones[:, 1:] = directions * lengths[..., None]
    return np.einsum("jk,fkd->fjd", ANCESTORS.astype(np.float64), bones)


def test_twins_are_left_right_pairs():
    children = BONES[:, 0]
    assert [int(children[TWIN_BONE[b]]) for b in range(16)] == [
        4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13,
    ]  # fmt: skip


def test_lengths_are_exact_and_directions_kept():
    rng = np.random.default_rng(0)
    true = rng.uniform(0.1, 0.5, 16)
    true = 0.5 * (true + true[TWIN_BONE])  # a symmetric skeleton
    stretched = true * rng.uniform(0.8, 1.2, (31, 16))
    poses = _poses(stretched, rng)
    out = constant_bones(poses)
    expected = np.median(stretched, axis=0)
    expected = 0.5 * (expected + expected[TWIN_BONE])
    np.testing.assert_allclose(bone_lengths(out), np.tile(expected, (31, 1)), rtol=1e-6)
    before, after = bone_vectors(poses), bone_vectors(out.astype(np.float64))
    cosine = np.sum(before * after, -1) / (
        np.linalg.norm(before, axis=-1) * np.linalg.norm(after, axis=-1)
    )
    np.testing.assert_allclose(cosine, 1.0, atol=1e-6)
    np.testing.assert_array_equal(out[:, 0], 0.0)


def test_a_pose_with_constant_symmetric_bones_is_unchanged():
    rng = np.random.default_rng(1)
    true = rng.uniform(0.1, 0.5, 16)
    true = 0.5 * (true + true[TWIN_BONE])
    poses = _poses(np.tile(true, (12, 1)), rng)
    np.testing.assert_allclose(constant_bones(poses), poses, atol=1e-6)


def test_lengths_come_from_known_frames_only_and_resist_outliers():
    rng = np.random.default_rng(2)
    lengths = np.full((9, 16), 0.3)
    lengths[3] = 2.0  # one wild frame
    poses = _poses(lengths, rng)
    np.testing.assert_allclose(sequence_bone_lengths(poses), 0.3)
    known = np.zeros(9, bool)
    known[3] = True
    np.testing.assert_allclose(sequence_bone_lengths(poses, known), 2.0)
    np.testing.assert_allclose(sequence_bone_lengths(poses, np.zeros(9, bool)), 0.3)


def test_a_zero_length_bone_leaves_its_joint_on_its_parent():
    poses = np.zeros((1, 17, 3))
    poses[0, 1:] = np.arange(1, 17)[:, None] * [0.0, 0.0, 0.1]
    poses[0, 2] = poses[0, 1]  # the right knee on the right hip
    out = with_bone_lengths(poses, np.full(16, 0.5))
    np.testing.assert_allclose(out[0, 2], out[0, 1])
    np.testing.assert_allclose(np.linalg.norm(out[0, 3] - out[0, 2]), 0.5)
