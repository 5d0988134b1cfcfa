"""Positions → BVH → our import → positions: bone directions at the median lengths, within 1 mm."""

import numpy as np
import pytest
from bvh_files import CMU_DIR

from vidpose.mocap.bvh import forward_kinematics, read_bvh
from vidpose.mocap.bvh_export import branch_residual_m, bvh_text
from vidpose.mocap.convert import y_up_to_z_up
from vidpose.mocap.importer import ImportOptions, import_file
from vidpose.mocap.rotations import euler_to_matrix
from vidpose.pose.skeleton import JOINT_NAMES, PARENTS, bone_vectors

# A standing body, y up, facing +z (left = +x), metres.
STANDING = np.array(
    [
        [0, 1.0, 0], [-0.13, 1.0, 0], [-0.13, 0.55, 0.02], [-0.13, 0.1, 0],
        [0.13, 1.0, 0], [0.13, 0.55, 0.02], [0.13, 0.1, 0], [0, 1.23, -0.01],
        [0, 1.48, 0], [0, 1.58, 0.04], [0, 1.7, 0.0], [0.15, 1.45, 0], [0.42, 1.45, 0],
        [0.67, 1.45, 0], [-0.15, 1.45, 0], [-0.42, 1.45, 0], [-0.67, 1.45, 0],
    ]
)  # fmt: skip


def _rebuild(poses, lengths):
    """``poses``' bone directions at ``lengths``, hung from its pelvis."""
    directions = bone_vectors(poses)
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    out = np.empty_like(poses)
    out[:, 0] = poses[:, 0]
    for child in range(1, 17):
        out[:, child] = out[:, PARENTS[child]] + directions[:, child - 1] * lengths[child - 1]
    return out


def _rigid_motion(frames=40, seed=0):
    """The standing body with its branches rigid and every limb joint turning freely."""
    rng = np.random.default_rng(seed)
    rest_bones = bone_vectors(STANDING[None])[0]
    angles = np.cumsum(rng.normal(0, 6, (frames, 17, 3)), axis=0)
    local = euler_to_matrix(angles, "ZYX")
    world = np.zeros_like(local)
    poses = np.zeros((frames, 17, 3))
    poses[:, 0] = np.cumsum(rng.normal(0, 0.01, (frames, 3)), axis=0) + [0, 1.0, 0]
    for joint in range(17):
        parent = PARENTS[joint]
        if joint:
            poses[:, joint] = poses[:, parent] + world[:, parent] @ rest_bones[joint - 1]
        world[:, joint] = local[:, joint] if parent < 0 else world[:, parent] @ local[:, joint]
    return poses


def _round_trip(tmp_path, poses_y_up, fps=50.0, **kwargs):
    path = tmp_path / "out.bvh"
    path.write_text(bvh_text(poses_y_up, fps, **kwargs))
    converted = import_file(path, [], ImportOptions(fps=fps))
    return converted, path


def _expected_z_up(poses_y_up):
    lengths = np.median(np.linalg.norm(bone_vectors(poses_y_up), axis=-1), axis=0)
    return y_up_to_z_up(_rebuild(poses_y_up, lengths))


@pytest.mark.parametrize("rotations_only", [False, True])
def test_rigid_body_round_trips_within_hundredth_of_a_mm(tmp_path, rotations_only):
    poses = _rigid_motion()
    converted, _ = _round_trip(tmp_path, poses, rotations_only=rotations_only)
    assert converted.family == "vidpose-h36m" and converted.up == "y"
    assert converted.metres_per_unit == 1.0
    error = np.linalg.norm(converted.positions - _expected_z_up(poses), axis=-1)
    assert error.max() < 1e-5  # the file's 6 decimals
    assert branch_residual_m(poses) < 1e-6


def test_noisy_predictions_round_trip_within_1mm(tmp_path):
    """Non-rigid input like a model's output: bone lengths and branch angles jitter."""
    rng = np.random.default_rng(3)
    poses = _rigid_motion(60, seed=1) + rng.normal(0, 0.015, (60, 17, 3))
    converted, _ = _round_trip(tmp_path, poses)
    error_mm = np.linalg.norm(converted.positions - _expected_z_up(poses), axis=-1) * 1000
    assert error_mm.max() < 1.0
    # Without position channels the branch bones cannot follow; the limbs below still do.
    converted, _ = _round_trip(tmp_path, poses, rotations_only=True)
    assert branch_residual_m(poses) > 0.005
    expected = _expected_z_up(poses)
    for joint, parent in ((2, 1), (3, 2), (12, 11), (13, 12), (10, 9)):
        got = converted.positions[:, joint] - converted.positions[:, parent]
        want = expected[:, joint] - expected[:, parent]
        assert np.linalg.norm(got - want, axis=-1).max() < 1e-5


def test_rest_pose_and_channels(tmp_path):
    poses = _rigid_motion(10)
    bvh = read_bvh(_round_trip(tmp_path, poses)[1])
    assert [n for n in bvh.names if not n.endswith("_end")] == list(JOINT_NAMES)
    assert bvh.channels[0] == ("Xposition", "Yposition", "Zposition", *ROT_ZYX)
    assert bvh.channels[bvh.names.index("right_knee")] == ROT_ZYX
    assert len(bvh.channels[bvh.names.index("left_hip")]) == 6  # a branch joint
    offsets = {n: bvh.offsets[i] for i, n in enumerate(bvh.names)}
    lengths = np.median(np.linalg.norm(bone_vectors(poses), axis=-1), axis=0)
    np.testing.assert_allclose(offsets["left_elbow"], [lengths[11], 0, 0], atol=1e-6)
    np.testing.assert_allclose(offsets["right_knee"], [0, -lengths[1], 0], atol=1e-6)
    np.testing.assert_allclose(offsets["thorax"], [0, lengths[7], 0], atol=1e-6)
    # the T-pose rest faces +z: left hip at +x
    assert offsets["left_hip"][0] > 0 > offsets["right_hip"][0]
    np.testing.assert_allclose(bvh.frame_time, 0.02)
    np.testing.assert_allclose(forward_kinematics(bvh)[:, 0], poses[:, 0], atol=1e-6)


ROT_ZYX = ("Zrotation", "Yrotation", "Xrotation")


def test_independent_reader_parses_the_export(tmp_path):
    bvh_package = pytest.importorskip("bvh")
    poses = _rigid_motion(12)
    path = _round_trip(tmp_path, poses)[1]
    mocap = bvh_package.Bvh(path.read_text())
    assert mocap.get_joints_names() == list(JOINT_NAMES)
    assert mocap.nframes == 12
    assert mocap.frame_time == pytest.approx(0.02)
    assert mocap.joint_channels("left_elbow") == list(ROT_ZYX)
    ours = read_bvh(path)
    columns = ours.channel_columns()[ours.names.index("left_elbow")]
    theirs = mocap.frames_joint_channels("left_elbow", list(ROT_ZYX))
    np.testing.assert_allclose(np.array(theirs, dtype=float), ours.motion[:, columns], atol=1e-6)
    assert mocap.joint_parent("left_elbow").name == "left_shoulder"


@pytest.mark.skipif(not (CMU_DIR / "05_06.bvh").is_file(), reason="../shared/mocap/cmu is absent")
@pytest.mark.parametrize("take", ["02_01", "05_06"])
def test_cmu_takes_round_trip_within_1mm(tmp_path, take):
    imported = import_file(CMU_DIR / f"{take}.bvh", [], ImportOptions()).positions
    y_up = np.stack([imported[..., 0], imported[..., 2], -imported[..., 1]], axis=-1)
    converted, _ = _round_trip(tmp_path, y_up)
    error_mm = np.linalg.norm(converted.positions - _expected_z_up(y_up), axis=-1) * 1000
    assert error_mm.max() < 1.0
