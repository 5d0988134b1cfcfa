"""Units from the leg length, y up → z up, resampling that keeps bone lengths."""

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.mocap.convert import choose_scale, detect_up, resample, y_up_to_z_up
from vidpose.pose.skeleton import PARENTS, bone_lengths


@pytest.mark.parametrize(
    ("leg", "factor", "name"),
    [
        (0.85, 1.0, "metres"),
        (85.0, 0.01, "centimetres"),
        (850.0, 0.001, "millimetres"),
        (15.0, 0.0254 / 0.45, "CMU BVH units"),
        (33.0, 0.0254, "inches"),
    ],
)
def test_auto_scale_picks_the_unit_that_makes_a_human_leg(leg, factor, name):
    scale, why = choose_scale(leg, None, "f.bvh")
    assert scale == pytest.approx(factor) and why.startswith(name)


def test_auto_scale_fails_clearly_and_stated_units_win():
    with pytest.raises(UserError, match="f.bvh: cannot tell the units.*--scale"):
        choose_scale(4.0, None, "f.bvh")
    assert choose_scale(4.0, 0.2, "f.bvh")[0] == 0.2


def test_y_up_becomes_z_up_by_a_proper_rotation():
    points = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    turned = y_up_to_z_up(points)
    np.testing.assert_allclose(turned, [[1, -3, 2], [0, 0, 1], [0, -1, 0]])
    basis = y_up_to_z_up(np.eye(3))
    assert np.linalg.det(basis) == pytest.approx(1.0)


def test_detect_up():
    rest = np.zeros((17, 3))
    rest[10] = [0, 1.6, 0]
    rest[[3, 6]] = [[-0.1, 0.05, 0], [0.1, 0.05, 0]]
    assert detect_up(rest, "f") == "y"
    assert detect_up(rest[:, [0, 2, 1]], "f") == "z"
    with pytest.raises(UserError, match="--up"):
        detect_up(-rest, "f")


def _chain_poses(frames, fps):
    """A body whose every bone turns at its own steady rate; lengths fixed."""
    t = np.arange(frames)[:, None] / fps
    rates = np.linspace(0.5, 6.0, 16)[None, :]
    lengths = np.linspace(0.1, 0.45, 16)
    angle = rates * t
    directions = np.stack([np.cos(angle), np.sin(angle), np.full_like(angle, 0.3)], axis=-1)
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    poses = np.zeros((frames, 17, 3))
    poses[:, 0] = np.stack([t[:, 0], 0 * t[:, 0], 1 + 0 * t[:, 0]], axis=-1)
    for child in range(1, 17):
        poses[:, child] = poses[:, PARENTS[child]] + directions[:, child - 1] * lengths[child - 1]
    return poses, lengths


def test_resample_keeps_bone_lengths_and_time():
    poses, lengths = _chain_poses(121, 120.0)  # one second
    out = resample(poses, 120.0, 50.0)
    assert out.shape == (51, 17, 3)
    np.testing.assert_allclose(bone_lengths(out), np.broadcast_to(lengths, (51, 16)), atol=1e-9)
    # the root moves 1 m/s along x: frame k at k/50 s.
    np.testing.assert_allclose(out[:, 0, 0], np.arange(51) / 50, atol=1e-12)
    np.testing.assert_allclose(out[[0, -1]], poses[[0, -1]], atol=1e-12)
    assert resample(poses, 50.0, 50.0).shape == poses.shape
