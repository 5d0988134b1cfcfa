"""Two-link inverse kinematics: closed-form round trips through forward kinematics."""

import numpy as np
import pytest

from vidpose.synth import limbs
from vidpose.synth.body import (
    FREE,
    LIMITS,
    body_rotations,
    clip_to_limits,
    forward_kinematics,
    make_subject,
)

LEGS = (("r", 1.0, 1, 2, 3), ("l", -1.0, 4, 5, 6))
ARMS = (("l", -1.0, 11, 12, 13), ("r", 1.0, 14, 15, 16))


def _random_pose(frames=300, seed=0):
    rng = np.random.default_rng(seed)
    params = {k: rng.uniform(low + 0.05, high - 0.05, frames) for k, (low, high) in LIMITS.items()}
    params.update({k: rng.uniform(-1.0, 1.0, frames) for k in FREE})
    return params


def test_limb_angles_recover_the_angles_that_placed_the_joints():
    subject = make_subject("S1")
    params = _random_pose()
    for side in "rl":  # one representation of an arm direction: |abduction| < 90 degrees
        params[f"{side}_sh_abd"] = np.clip(params[f"{side}_sh_abd"], -0.3, 1.5)
    joints = forward_kinematics(subject, params, pelvis_height=np.full(300, 1.0))
    pelvis, chest, _ = body_rotations(clip_to_limits(params))
    for (side, sign, root, middle, end), parent, bend_sign, names in (
        *((leg, pelvis, -1.0, ("hip_flex", "hip_abd", "hip_rot", "knee")) for leg in LEGS),
        *((arm, chest, 1.0, ("sh_flex", "sh_abd", "sh_rot", "elbow")) for arm in ARMS),
    ):
        angles = limbs.limb_angles(
            parent, joints[:, root], joints[:, middle], joints[:, end], sign, bend_sign
        )
        for ours, name in zip(("flex", "abd", "rot", "bend"), names, strict=True):
            np.testing.assert_allclose(angles[ours], params[f"{side}_{name}"], atol=1e-9)


def test_limits_pick_the_arm_raised_sideways_over_the_arm_raised_forwards():
    """An arm straight out to the side and up is 135 degrees of abduction, not 180 degrees of
    flexion (beyond the limit) with 45 of abduction."""
    subject = make_subject("S1")
    zero = {name: np.zeros(1) for name in (*LIMITS, *FREE)}
    raised = dict(zero, r_sh_abd=np.array([2.36]), r_elbow=np.array([0.5]))
    joints = forward_kinematics(subject, raised, pelvis_height=np.ones(1))
    chest = body_rotations(clip_to_limits(raised))[1]
    plain = limbs.limb_angles(chest, joints[:, 14], joints[:, 15], joints[:, 16], 1.0, 1.0)
    assert plain["flex"][0] == pytest.approx(np.pi, abs=1e-9)  # outside [-1.0, 3.1]
    limits = {"flex": LIMITS["r_sh_flex"], "abd": LIMITS["r_sh_abd"], "rot": LIMITS["r_sh_rot"]}
    chosen = limbs.limb_angles(chest, joints[:, 14], joints[:, 15], joints[:, 16], 1.0, 1.0, limits)
    assert chosen["flex"][0] == pytest.approx(0.0, abs=1e-9)
    assert chosen["abd"][0] == pytest.approx(2.36)
    assert chosen["bend"][0] == pytest.approx(0.5)


def test_middle_joint_keeps_the_segment_lengths_and_reaches_what_it_can():
    rng = np.random.default_rng(1)
    root = rng.normal(size=(200, 3))
    target = root + rng.normal(size=(200, 3)) * 0.4
    preferred = rng.normal(size=(200, 3))
    swivel = rng.uniform(-3, 3, 200)
    middle, end = limbs.middle_joint(root, target, preferred, swivel, 0.45, 0.44, 1.0)
    np.testing.assert_allclose(np.linalg.norm(middle - root, axis=-1), 0.45)
    np.testing.assert_allclose(np.linalg.norm(end - middle, axis=-1), 0.44)
    distance = np.linalg.norm(target - root, axis=-1)
    longest = limbs.reach(0.45, 0.44, limbs.MIN_BEND)
    reachable = distance <= longest
    assert 20 < reachable.sum() < 200
    np.testing.assert_allclose(end[reachable], target[reachable], atol=1e-12)
    # out of reach: as far as the limb goes, straight towards the target
    far = ~reachable
    np.testing.assert_allclose(np.linalg.norm(end[far] - root[far], axis=-1), longest)
    direction = (target[far] - root[far]) / distance[far, None]
    np.testing.assert_allclose(end[far], root[far] + longest * direction, atol=1e-12)
    # the swivel that put the middle joint there is the one swivel_of finds
    found = limbs.swivel_of(root, end, middle, preferred, 1.0)
    np.testing.assert_allclose(np.angle(np.exp(1j * (found - swivel))), 0.0, atol=1e-9)


def test_swivel_zero_points_the_middle_joint_towards_the_preferred_side():
    root, target = np.zeros((1, 3)), np.array([[0.0, 0.0, -0.7]])
    forward = np.array([[0.0, 1.0, 0.3]])
    knee = limbs.middle_joint(root, target, forward, np.zeros(1), 0.45, 0.44, 1.0)[0][0]
    assert knee[1] > 0.1 and abs(knee[0]) < 1e-12  # a knee pointing straight forward
    out = limbs.middle_joint(root, target, forward, np.array([np.pi / 2]), 0.45, 0.44, 1.0)[0][0]
    assert out[0] > 0.1 and abs(out[1]) < 1e-12  # a quarter turn points it to the side (+x)
