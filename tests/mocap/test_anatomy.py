"""Human3.6M's joints from a skeleton's landmarks, in closed form, and Human3.6M's proportions."""

import numpy as np
import pytest
from bvh_files import POS, ROT, joint_block, write_bvh

from vidpose.mocap.anatomy import SPINE_SHARE, point_along
from vidpose.mocap.convert import y_up_to_z_up
from vidpose.mocap.importer import ImportOptions, import_file
from vidpose.mocap.proportions import (
    leg_lengths,
    mean_bone_lengths,
    rescale_bones,
    subject_bone_lengths,
)
from vidpose.pose.skeleton import H36M_BONE_LENGTHS_MM, PARENTS, bone_lengths, bone_vectors


def _cgspeed_like() -> str:
    """A cmu-bvh (cgspeed) hierarchy in metres, y up: the hip joint centres 0.1 m below and
    0.08 m beside the root, a 0.85 m leg, the trunk bone between Spine1 and the neck and
    shoulders dropped (zero OFFSETs), arms hanging down."""

    def block(name, offset, children="", end=None, depth=1):
        return joint_block(name, offset, ROT, children, end=end, depth=depth)

    def leg(side, sign):
        foot = block(f"{side}Foot", (0, -0.43, 0), end=(0, 0, 0.1), depth=4)
        knee = block(f"{side}Leg", (0, -0.42, 0), foot, depth=3)
        hip = block(f"{side}UpLeg", (0.08 * sign, -0.1, 0), knee, depth=2)
        return block(f"{side[0]}HipJoint", (0, 0, 0), hip)

    def arm(side, sign):
        hand = block(f"{side}Hand", (0, -0.25, 0), end=(0, -0.05, 0), depth=6)
        elbow = block(f"{side}ForeArm", (0, -0.28, 0), hand, depth=5)
        shoulder = block(f"{side}Arm", (0.15 * sign, 0, 0), elbow, depth=4)
        return block(f"{side}Shoulder", (0, 0, 0), shoulder, depth=3)

    head = block("Head", (0, 0.09, 0), end=(0, 0.1, 0), depth=5)
    neck = block("Neck", (0, 0, 0), block("Neck1", (0, 0.08, 0), head, depth=4), depth=3)
    spine1 = block("Spine1", (0, 0.12, 0), neck + arm("Left", 1) + arm("Right", -1), depth=2)
    back = block("LowerBack", (0, 0, 0), block("Spine", (0, 0.1, 0), spine1, depth=1))
    children = leg("Left", 1) + leg("Right", -1) + back
    return joint_block("Hips", (0, 0, 0), POS + ROT, children, root=True)


def _take(tmp_path, bones="source"):
    """Two frames at 50 fps: at rest, then with the head nodded 90° forward (about x)."""
    hierarchy = _cgspeed_like()
    names = [line.split()[1] for line in hierarchy.splitlines() if "JOINT" in line]
    rows = np.zeros((2, 6 + 3 * len(names)))
    rows[:, 1] = 1.0  # the root 1 m up
    rows[1, 6 + 3 * names.index("Head") + 2] = 90.0  # Xrotation, the last of Z Y X
    path = write_bvh(tmp_path / "01_01.bvh", hierarchy, rows, frame_time=0.02)
    return import_file(path, [], ImportOptions(fps=50.0, bones=bones))


def test_cgspeed_like_skeleton_gives_human36m_joints_exactly(tmp_path):
    converted = _take(tmp_path)
    assert converted.family == "cmu-bvh" and converted.units.startswith("metres")
    assert converted.dropped == 0 and converted.positions.shape == (2, 17, 3)
    size = 0.85 / 0.899  # this body's leg over Human3.6M's
    thorax_y = 1.0 + 0.1 + 0.12 + 0.11  # + the dropped bone: the mean of 0.1 and 0.12
    trunk = 0.1 + (thorax_y - 1.0)  # pelvis (0.9) → root → Spine → Spine1 → thorax, straight
    expected = np.array(
        [
            [0, 0.9, 0],
            [-0.136 * size, 0.9, 0], [-0.08, 0.48, 0], [-0.08, 0.05, 0],
            [0.136 * size, 0.9, 0], [0.08, 0.48, 0], [0.08, 0.05, 0],
            [0, 0.9 + SPINE_SHARE * trunk, 0],
            [0, thorax_y, 0],
            [0, thorax_y + 0.17, 0],
            [0, thorax_y + 0.17 + 0.115 * size, 0],
            [0.15, thorax_y, 0], [0.15, thorax_y - 0.28, 0], [0.15, thorax_y - 0.53, 0],
            [-0.15, thorax_y, 0], [-0.15, thorax_y - 0.28, 0], [-0.15, thorax_y - 0.53, 0],
        ]
    )  # fmt: skip
    nodded = expected.copy()
    nodded[10] = expected[9] + [0, 0, 0.115 * size]  # the head top turns with the head
    np.testing.assert_allclose(converted.positions[0], y_up_to_z_up(expected), atol=1e-12)
    np.testing.assert_allclose(converted.positions[1], y_up_to_z_up(nodded), atol=1e-12)
    assert abs(SPINE_SHARE - 242 / 498) < 1e-15
    # how far each built joint moved from the renamed one (Hips, RightUpLeg, ..., Head)
    moved = converted.moved_mm
    assert moved[0] == pytest.approx(100.0) and moved[8] == pytest.approx(0.0)
    assert moved[1] == pytest.approx(136 * size - 80) and moved[9] == pytest.approx(90.0)
    assert moved[10] == pytest.approx(115 * size)


def test_human36m_mean_bones_keep_every_direction(tmp_path):
    source = _take(tmp_path)
    rescaled = _take(tmp_path, bones="h36m-mean")
    np.testing.assert_allclose(
        bone_lengths(rescaled.positions), np.tile(mean_bone_lengths(), (2, 1))
    )
    ours, theirs = bone_vectors(rescaled.positions), bone_vectors(source.positions)
    cosine = (ours * theirs).sum(-1) / np.linalg.norm(ours, axis=-1)
    np.testing.assert_allclose(cosine / np.linalg.norm(theirs, axis=-1), 1.0, atol=1e-12)
    # the pelvis path scales with the leg: 0.899 m against this body's, whose thigh now
    # starts at the widened hip
    leg = np.hypot(0.42, 0.136 * 0.85 / 0.899 - 0.08) + 0.43
    np.testing.assert_allclose(
        rescaled.positions[:, 0], source.positions[:, 0] * 0.899 / leg, atol=1e-12
    )


def test_point_along_a_polyline():
    chain = np.array([[[0, 0, 0], [0, 0, 1.0], [0, 2, 1.0]]])  # lengths 1 and 2
    np.testing.assert_allclose(point_along(chain, 0.0), [[0, 0, 0]])
    np.testing.assert_allclose(point_along(chain, 1 / 6), [[0, 0, 0.5]])
    np.testing.assert_allclose(point_along(chain, 0.5), [[0, 0.5, 1]])
    np.testing.assert_allclose(point_along(chain, 1.0), [[0, 2, 1]])


def test_subject_bodies_lie_in_the_ranges_are_seeded_and_symmetric():
    bodies = np.array([subject_bone_lengths(f"cmu{n:02d}") for n in range(60)]) * 1000
    low = np.array([H36M_BONE_LENGTHS_MM[c][1] for c in range(1, 17)])
    high = np.array([H36M_BONE_LENGTHS_MM[c][2] for c in range(1, 17)])
    assert ((bodies >= low - 1e-9) & (bodies <= high + 1e-9)).all()
    np.testing.assert_array_equal(
        bodies[:, [3, 4, 5, 10, 11, 12]], bodies[:, [0, 1, 2, 13, 14, 15]]
    )
    np.testing.assert_array_equal(subject_bone_lengths("cmu07"), subject_bone_lengths("cmu07"))
    assert not np.allclose(subject_bone_lengths("cmu07"), subject_bone_lengths("cmu07", seed=1))
    assert len({tuple(np.round(b, 3)) for b in bodies}) == 60  # sixty different people
    # the spread covers most of each range, and tall people are tall throughout
    assert ((bodies.max(0) - bodies.min(0)) > 0.6 * (high - low)).all()
    assert np.corrcoef(bodies[:, 1], bodies[:, 11])[0, 1] > 0.5


def test_rescaling_gives_the_lengths_exactly_and_keeps_directions():
    rng = np.random.default_rng(0)
    poses = rng.normal(0, 0.3, (7, 17, 3))
    lengths = rng.uniform(0.1, 0.5, 16)
    out = rescale_bones(poses, lengths)
    np.testing.assert_allclose(bone_lengths(out), np.tile(lengths, (7, 1)), rtol=1e-12)
    ours, theirs = bone_vectors(out), bone_vectors(poses)
    np.testing.assert_allclose(
        ours / np.linalg.norm(ours, axis=-1, keepdims=True),
        theirs / np.linalg.norm(theirs, axis=-1, keepdims=True),
        atol=1e-12,
    )
    ratio = (lengths[1] + lengths[2] + lengths[4] + lengths[5]) / 2 / np.median(leg_lengths(poses))
    np.testing.assert_allclose(out[:, 0], poses[:, 0] * ratio, rtol=1e-12)
    assert PARENTS[10] == 9  # bone 9 is neck → head
