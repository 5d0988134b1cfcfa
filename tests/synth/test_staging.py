"""The staging machinery: minimum-jerk moves between key poses, planted feet, pelvis height."""

import numpy as np
import pytest

from vidpose.synth import limbs
from vidpose.synth.body import ANKLE_HEIGHT_M, make_subject
from vidpose.synth.postures import stand
from vidpose.synth.staging import FPS, Script, _sample, min_jerk, perform, solve


def test_min_jerk_is_the_quintic_with_rest_at_both_ends():
    tau = np.array([-1.0, 0.0, 0.25, 0.5, 0.75, 1.0, 2.0])
    expected = [0.0, 0.0, 0.103515625, 0.5, 0.896484375, 1.0, 1.0]  # 10t^3 - 15t^4 + 6t^5
    np.testing.assert_allclose(min_jerk(tau), expected)
    h = 1e-6  # velocity and acceleration vanish at the ends; peak velocity 15/8
    for end in (0.0, 1.0):
        assert abs(min_jerk(np.array([end + h]))[0] - min_jerk(np.array([end - h]))[0]) < 1e-12
    assert (min_jerk(np.array([0.5 + h])) - min_jerk(np.array([0.5 - h])))[0] / (2 * h) == (
        pytest.approx(1.875)
    )


def _script(seed=0):
    subject = make_subject("S1")
    return Script(subject, stand(subject, np.random.default_rng(seed)))


def test_channels_pass_through_the_keys_at_their_times_with_bumps_in_between():
    script = _script()
    start = script.last
    script.move("down", 1.2, {"r_foot", "l_foot"}, bumps={"lean": 0.4}, pelvis_z=0.6, lean=0.2)
    script.hold("stay", 0.8, {"r_foot", "l_foot"})
    t = np.array([0.0, 0.6, 1.2, 1.6, 2.0, 5.0])
    ch = _sample(script, t)
    middle = start["pelvis_z"] + 0.5 * (0.6 - start["pelvis_z"])
    np.testing.assert_allclose(ch["pelvis_z"], [start["pelvis_z"], middle, 0.6, 0.6, 0.6, 0.6])
    # the lean moves half way at mid-move, plus the full bump there; none at the keys
    lean_mid = start["lean"] + 0.5 * (0.2 - start["lean"]) + 0.4
    np.testing.assert_allclose(ch["lean"], [start["lean"], lean_mid, 0.2, 0.2, 0.2, 0.2])
    assert [(s.name, s.start, s.end) for s in script.segments] == [
        ("down", 0.0, 1.2),
        ("stay", 1.2, pytest.approx(2.0)),
    ]


def test_a_loaded_foot_or_knee_cannot_move():
    script = _script()
    with pytest.raises(ValueError, match="loaded r_foot would move"):
        script.move("slide", 1.0, {"r_foot"}, r_ankle_y=0.3)
    script.move("step", 1.0, {"l_foot"}, r_ankle_y=0.3)  # unloaded: fine
    with pytest.raises(ValueError, match="loaded l_knee would move"):
        script.move("shift", 1.0, {"l_knee"}, pelvis_x=0.2)
    with pytest.raises(ValueError, match="unknown contact"):
        script.hold("wait", 1.0, {"elbow"})


def test_a_loaded_leg_lowers_the_pelvis_it_cannot_reach():
    subject = make_subject("S1")
    key = stand(subject, np.random.default_rng(0))
    key.update(yaw=0.0, lean=0.0, roll=0.0, pelvis_x=0.0, pelvis_y=0.0, pelvis_z=1.5)
    key.update(r_ankle_x=subject.bones["hip"], r_ankle_y=0.3)
    ch = {name: np.array([value]) for name, value in key.items()}
    loaded = {"r_foot": np.array([True]), "l_foot": np.array([False])}
    joints, params, _ = solve(subject, ch, loaded)
    longest = limbs.reach(subject.bones["thigh"], subject.bones["shin"], 2 * limbs.MIN_BEND)
    assert params["pelvis_z"][0] == pytest.approx(ANKLE_HEIGHT_M + np.sqrt(longest**2 - 0.09))
    np.testing.assert_allclose(joints[0, 3], [subject.bones["hip"], 0.3, ANKLE_HEIGHT_M])
    unloaded = solve(subject, ch, {})[1]
    assert unloaded["pelvis_z"][0] == 1.5  # a free leg just stretches towards its target


def test_perform_is_a_rigid_placement_of_the_script_and_repeats_with_the_seed():
    script = _script(3)
    script.hold("stand", 2.0, {"r_foot", "l_foot"})
    first = perform(script, 60, np.random.default_rng(7))
    again = perform(script, 60, np.random.default_rng(7))
    other = perform(script, 60, np.random.default_rng(8))
    np.testing.assert_array_equal(first.joints, again.joints)
    assert np.abs(first.joints - other.joints).max() > 0.01
    assert first.joints.shape == (60, 17, 3) and first.contacts["r_foot"].all()
    assert not first.contacts["seat"].any()
    name, begin, end = first.phases[0]
    assert name == "stand" and end - begin == pytest.approx(2.0) and begin <= 0 <= end - 60 / FPS
