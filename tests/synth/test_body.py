import numpy as np
import pytest

from vidpose import skeleton
from vidpose.synth.body import (
    ANKLE_HEIGHT_M,
    H36M_MEAN_BONES_M,
    LIMITS,
    PARAMS,
    forward_kinematics,
    make_subject,
    subject_bone_lengths,
)


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


def test_bones_are_near_human36m_means_and_differ_between_subjects():
    subjects = [make_subject(s) for s in skeleton.TRAIN_SUBJECTS + skeleton.TEST_SUBJECTS]
    for subject in subjects:
        for key, mean in H36M_MEAN_BONES_M.items():
            assert 0.85 * mean < subject.bones[key] < 1.15 * mean, (subject.name, key)
    thighs = {round(s.bones["thigh"], 4) for s in subjects}
    shirts = {s.shirt for s in subjects}
    assert len(thighs) == len(subjects) and len(shirts) == len(subjects)
    assert make_subject("S9") == make_subject("S9")


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


def test_feet_rest_on_the_floor_unless_lifted():
    subject = make_subject("S6")
    params = _random_params(np.random.default_rng(2))
    joints = forward_kinematics(subject, params)
    np.testing.assert_allclose(joints[:, [3, 6], 2].min(axis=1), ANKLE_HEIGHT_M)
    params["lift"] = np.full(50, 0.2)
    np.testing.assert_allclose(forward_kinematics(subject, params)[:, [3, 6], 2].min(axis=1), 0.28)


def test_direction_conventions():
    subject = make_subject("S1")
    zero = {name: np.zeros(1) for name in PARAMS}
    rest = forward_kinematics(subject, zero)[0]
    assert rest[1, 0] > 0 > rest[4, 0]  # right hip on +x, facing +y
    assert rest[14, 0] > 0 > rest[11, 0]
    assert rest[9, 1] > rest[8, 1]  # the nose-level neck joint is in front of the thorax
    assert rest[10, 2] > rest[9, 2] > rest[8, 2] > rest[7, 2] > rest[0, 2] > rest[2, 2]
    flexed = forward_kinematics(subject, dict(zero, r_hip_flex=np.array([0.8])))[0]
    assert flexed[2, 1] > rest[2, 1] + 0.2  # hip flexion brings the knee forward
    bent = forward_kinematics(subject, dict(zero, r_knee=np.array([1.0])))[0]
    assert bent[3, 1] < bent[2, 1] - 0.2  # knee flexion takes the ankle back
    leaning = forward_kinematics(subject, dict(zero, spine_bend=np.array([0.8])))[0]
    assert leaning[8, 1] > rest[8, 1] + 0.1  # bending forward moves the thorax forward
    raised = forward_kinematics(subject, dict(zero, r_sh_abd=np.array([1.57])))[0]
    assert raised[15, 0] > rest[15, 0] + 0.2  # abduction lifts the right arm out to +x
    turned = forward_kinematics(subject, dict(zero, heading=np.array([np.pi / 2])))[0]
    assert turned[9, 0] < turned[8, 0]  # heading 90 degrees faces -x
