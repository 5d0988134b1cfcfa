import numpy as np
import pytest

from vidpose.pose import skeleton
from vidpose.synth import limbs
from vidpose.synth.body import (
    ANKLE_HEIGHT_M,
    H36M_BONES_M,
    LIMITS,
    PARAMS,
    forward_kinematics,
    make_subject,
    sample_bones,
    subject_bone_lengths,
)
from vidpose.synth.postures import pelvis_height, stand


def _random_params(rng, frames=50, spread=1.5):
    params = {name: rng.uniform(-spread, spread, frames) for name in PARAMS}
    params["lift"] = np.zeros(frames)
    return params


@pytest.mark.parametrize("name", ["S1", "S9", "someone-else"])
def test_bones_keep_the_subject_lengths_in_any_pose(name):
    subject = make_subject(name)
    joints = forward_kinematics(subject, _random_params(np.random.default_rng(0)))
    lengths = skeleton.bone_lengths(joints)
    np.testing.assert_allclose(
        lengths, np.broadcast_to(subject_bone_lengths(subject), lengths.shape)
    )


def test_bodies_stay_within_the_range_of_human36m_subjects_and_vary_with_the_seed():
    bodies = [sample_bones(np.random.default_rng(seed)) for seed in range(400)]
    bodies += [make_subject(s).bones for s in skeleton.TRAIN_SUBJECTS + skeleton.TEST_SUBJECTS]
    for key, (mean, low, high) in H36M_BONES_M.items():
        values = np.array([b[key] for b in bodies])
        assert values.min() >= low and values.max() <= high, key
        assert abs(values.mean() - mean) < 0.006, key  # centred on the measured mean
        assert values.max() - values.min() > 0.8 * (high - low), key  # and spanning the range
    thighs = np.array([b["thigh"] for b in bodies[:400]])
    shins = np.array([b["shin"] for b in bodies[:400]])
    assert np.corrcoef(thighs, shins)[0, 1] > 0.5  # tall people have long thighs and shins
    assert sample_bones(np.random.default_rng(3)) == sample_bones(np.random.default_rng(3))
    assert make_subject("S9") == make_subject("S9")
    given = sample_bones(np.random.default_rng(5))
    assert make_subject("S9", given).bones == given
    assert make_subject("S9", given).shirt == make_subject("S9").shirt  # same clothes


def test_angles_beyond_the_limits_are_clipped():
    subject = make_subject("S5")
    rng = np.random.default_rng(1)
    params = _random_params(rng, spread=6.0)
    clipped = {k: np.clip(v, *LIMITS[k]) if k in LIMITS else v for k, v in params.items()}
    np.testing.assert_allclose(
        forward_kinematics(subject, params), forward_kinematics(subject, clipped)
    )
    # a knee cannot bend backwards: a negative knee angle gives the straight leg
    straight = {name: np.zeros(1) for name in PARAMS}
    hyper = dict(straight, r_knee=np.array([-1.0]))
    np.testing.assert_allclose(
        forward_kinematics(subject, hyper), forward_kinematics(subject, straight)
    )


def test_feet_rest_on_the_floor_unless_lifted_or_placed():
    subject = make_subject("S6")
    params = _random_params(np.random.default_rng(2))
    joints = forward_kinematics(subject, params)
    np.testing.assert_allclose(joints[:, [3, 6], 2].min(axis=1), ANKLE_HEIGHT_M)
    params["lift"] = np.full(50, 0.2)
    lifted = forward_kinematics(subject, params)[:, [3, 6], 2].min(axis=1)
    np.testing.assert_allclose(lifted, ANKLE_HEIGHT_M + 0.2)
    placed = forward_kinematics(subject, params, pelvis_height=np.full(50, 0.4))
    np.testing.assert_allclose(placed[:, 0, 2], 0.4)


def test_joints_mean_what_human36m_joints_mean():
    subject = make_subject("S1")
    rest = forward_kinematics(subject, {name: np.zeros(1) for name in PARAMS})[0]
    b = subject.bones
    # hips straight sideways of the pelvis, at its height: 2 x 136 mm apart on average
    np.testing.assert_allclose(rest[1] - rest[0], [b["hip"], 0, 0], atol=1e-12)
    np.testing.assert_allclose(rest[4] - rest[0], [-b["hip"], 0, 0], atol=1e-12)
    # standing straight: ankles at 0.10 m, the pelvis a leg's length above them
    np.testing.assert_allclose(rest[[3, 6], 2], ANKLE_HEIGHT_M)
    assert rest[0, 2] == pytest.approx(ANKLE_HEIGHT_M + b["thigh"] + b["shin"])
    # spine and thorax straight above the pelvis; the neck joint at the nose, in front of the
    # thorax; the head joint at the top of the head, the highest point
    np.testing.assert_allclose(rest[7] - rest[0], [0, 0, b["spine"]], atol=1e-12)
    np.testing.assert_allclose(rest[8] - rest[7], [0, 0, b["thorax"]], atol=1e-12)
    assert rest[9, 1] > rest[8, 1] + 0.03 and rest[10, 2] == rest[:, 2].max()
    assert rest[10, 2] - rest[8, 2] > 0.2


def test_standing_heights_follow_from_the_legs():
    subject = make_subject("S7")
    thigh, shin = subject.bones["thigh"], subject.bones["shin"]
    key = stand(subject, np.random.default_rng(0))
    # feet under the hips: the pelvis is the bent leg's reach above the ankles
    key.update(yaw=0.0, lean=0.0, roll=0.0, turn=0.0, pelvis_x=0.0, pelvis_y=0.0)
    key.update(r_ankle_x=subject.bones["hip"], l_ankle_x=-subject.bones["hip"])
    key.update(r_ankle_y=0.0, l_ankle_y=0.0)
    height = pelvis_height(subject, key, 0.3)
    assert height == pytest.approx(ANKLE_HEIGHT_M + limbs.reach(thigh, shin, 0.3))
    # a foot 0.2 m ahead: Pythagoras on the reach
    key["r_ankle_y"] = 0.2
    reach = limbs.reach(thigh, shin, 0.3)
    assert pelvis_height(subject, key, 0.3, "r") == pytest.approx(
        ANKLE_HEIGHT_M + np.sqrt(reach**2 - 0.2**2)
    )
    # a relaxed standing body of Human3.6M's mean proportions: pelvis about 1 m up, head 1.7 m
    mean_body = make_subject("S1", {k: m for k, (m, _, _) in H36M_BONES_M.items()})
    from vidpose.synth.staging import key_frame

    joints = key_frame(mean_body, stand(mean_body, np.random.default_rng(1))).joints
    assert 0.97 < joints[0, 2] < 1.0 and 1.65 < joints[10, 2] < 1.74


def test_direction_conventions():
    subject = make_subject("S1")
    zero = {name: np.zeros(1) for name in PARAMS}
    rest = forward_kinematics(subject, zero)[0]
    assert rest[1, 0] > 0 > rest[4, 0]  # right hip on +x, facing +y
    assert rest[14, 0] > 0 > rest[11, 0]
    assert rest[10, 2] > rest[9, 2] > rest[8, 2] > rest[7, 2] > rest[0, 2] > rest[2, 2]
    flexed = forward_kinematics(subject, dict(zero, r_hip_flex=np.array([0.8])))[0]
    assert flexed[2, 1] > rest[2, 1] + 0.2  # hip flexion brings the knee forward
    bent = forward_kinematics(subject, dict(zero, r_knee=np.array([1.0])))[0]
    assert bent[3, 1] < bent[2, 1] - 0.2  # knee flexion takes the ankle back
    # internal hip rotation of a bent right knee swings the foot outwards (+x)
    turned_in = forward_kinematics(
        subject, dict(zero, r_knee=np.array([1.5]), r_hip_rot=np.array([0.5]))
    )[0]
    assert turned_in[3, 0] > bent[2, 0] + 0.15
    leaning = forward_kinematics(subject, dict(zero, spine_bend=np.array([0.8])))[0]
    assert leaning[8, 1] > rest[8, 1] + 0.1  # bending forward moves the thorax forward
    raised = forward_kinematics(subject, dict(zero, r_sh_abd=np.array([1.57])))[0]
    assert raised[15, 0] > rest[15, 0] + 0.2  # abduction lifts the right arm out to +x
    turned = forward_kinematics(subject, dict(zero, heading=np.array([np.pi / 2])))[0]
    assert turned[9, 0] < turned[8, 0]  # heading 90 degrees faces -x
    # lying back (lean -90 degrees) puts the head behind (-y), the face up; a quarter turn
    # about the body's long axis then rolls it onto its left side (right side up)
    supine = dict(zero, lean=np.array([-np.pi / 2]))
    lying = forward_kinematics(subject, supine, pelvis_height=np.array([0.1]))[0]
    trunk = subject.bones["spine"] + subject.bones["thorax"]
    np.testing.assert_allclose(lying[8] - lying[0], [0, -trunk, 0], atol=1e-12)
    assert lying[9, 2] > lying[8, 2]
    on_side = forward_kinematics(
        subject, dict(supine, turn=np.array([np.pi / 2])), pelvis_height=np.array([0.2])
    )[0]
    assert on_side[1, 2] == pytest.approx(0.2 + subject.bones["hip"])  # right hip on top
