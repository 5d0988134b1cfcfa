"""Euler angles ↔ matrices for every axis order, shortest-arc turns (closed forms)."""

import itertools

import numpy as np
import pytest

from vidpose.mocap.rotations import (
    axis_rotations,
    euler_to_matrix,
    matrix_to_euler,
    rotation_between,
)


def test_axis_rotations_are_right_handed():
    np.testing.assert_allclose(axis_rotations("Z", np.pi / 2) @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(axis_rotations("X", np.pi / 2) @ [0, 1, 0], [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(axis_rotations("Y", np.pi / 2) @ [0, 0, 1], [1, 0, 0], atol=1e-12)


def test_euler_order_is_the_written_product():
    a = euler_to_matrix([30, 40, 50], "ZYX")
    expected = (
        axis_rotations("Z", np.radians(30))
        @ axis_rotations("Y", np.radians(40))
        @ axis_rotations("X", np.radians(50))
    )
    np.testing.assert_allclose(a, expected, atol=1e-12)


@pytest.mark.parametrize("order", ["".join(p) for p in itertools.permutations("XYZ")])
def test_matrix_to_euler_inverts_every_order(order):
    rng = np.random.default_rng(0)
    angles = rng.uniform(-179, 179, (200, 3))
    angles[:, 1] = rng.uniform(-89, 89, 200)
    back = matrix_to_euler(euler_to_matrix(angles, order), order)
    np.testing.assert_allclose(back, angles, atol=1e-9)


def test_gimbal_lock_still_reproduces_the_rotation():
    rotation = euler_to_matrix([20, 90, 35], "ZYX")
    np.testing.assert_allclose(
        euler_to_matrix(matrix_to_euler(rotation, "ZYX"), "ZYX"), rotation, atol=1e-9
    )


def test_rotation_between_turns_source_onto_target_including_opposites():
    rng = np.random.default_rng(1)
    source = rng.normal(size=(50, 3))
    source /= np.linalg.norm(source, axis=1, keepdims=True)
    target = rng.normal(size=(50, 3))
    target /= np.linalg.norm(target, axis=1, keepdims=True)
    for goal in (target, -source, source):
        rotation = rotation_between(source, goal)
        np.testing.assert_allclose(np.einsum("nij,nj->ni", rotation, source), goal, atol=1e-9)
        np.testing.assert_allclose(np.linalg.det(rotation), 1.0, atol=1e-9)
