"""Motions that bring the body low over planted feet or onto the knees: ``Squatting`` (squats,
heels down), ``Crouching`` (staying low, hands working near the floor, weight shifting),
``Kneeling`` (down on one knee, sometimes both, and up again) and ``Bending`` (bending and
reaching down to pick something up, then straightening with it).

Going down or up takes 1-2 s. Squat depth is set by the knee angle (1.3-2.45 rad) and the
forward lean of the shin (0.35-0.65 rad, what the ankle allows with the heel down); the pelvis
position then follows from the leg.
"""

from __future__ import annotations

import numpy as np

from vidpose.synth import limbs
from vidpose.synth.activities import smooth_wave, upper_body
from vidpose.synth.body import LIMITS, Subject, hip_offset
from vidpose.synth.postures import (
    SIDES,
    arm_pose,
    arm_to,
    bent_leg,
    leg_channels,
    pelvis_height,
    pelvis_rotation,
    relaxed_arms,
    stand,
)
from vidpose.synth.staging import (
    FEET,
    KNEE_ON_FLOOR_M,
    KNEE_PREFERRED,
    Performance,
    Script,
    key_frame,
    long_enough,
    perform,
    solve,
)

HIP_FLEX_MAX = LIMITS["r_hip_flex"][1] - 0.1  # at key poses; staging guards every frame


def wide_stance(subject: Subject, rng: np.random.Generator, low: float, high: float) -> dict:
    """A standing key with the ankles ``low``-``high`` metres either side of the pelvis."""
    key = stand(subject, rng)
    half = rng.uniform(low, high)
    key["r_ankle_x"], key["l_ankle_x"] = key["pelvis_x"] + half, key["pelvis_x"] - half
    key["pelvis_z"] = pelvis_height(subject, key, rng.uniform(0.04, 0.12))
    return key


def low_key(subject: Subject, standing: dict, knee: float, shin_tilt: float, rng) -> dict:
    """``standing`` lowered over its feet: knees bent by ``knee``, shins leaning forward by
    ``shin_tilt``, knees pointing out a little, trunk leaning forward for balance."""
    key = dict(standing)
    forward, _ = bent_leg(subject, knee, shin_tilt)
    feet_y = 0.5 * (key["r_ankle_y"] + key["l_ankle_y"])
    thigh_angle = knee - shin_tilt  # forward of straight down
    key.update(
        sway=0.3,
        pelvis_y=feet_y + forward,
        lean=min(rng.uniform(0.15, 0.5), HIP_FLEX_MAX - thigh_angle),
        spine_bend=rng.uniform(0.1, 0.4),
        neck_pitch=rng.uniform(-0.35, 0.0),
        r_swivel=rng.uniform(0.15, 0.6),
        l_swivel=rng.uniform(0.15, 0.6),
    )
    key["pelvis_z"] = pelvis_height(subject, key, knee)
    return key


def squatting(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Squats: down (1-1.8 s), a pause, up; arms forward, on the knees or hands together."""
    standing = wide_stance(subject, rng, 0.12, 0.2)
    script = Script(subject, standing)
    needed = long_enough(rng, num_frames)
    while script.now < needed:
        script.hold("stand", rng.uniform(0.4, 2.0), FEET)
        knee = rng.uniform(1.3, 2.45)
        low = low_key(subject, standing, knee, rng.uniform(0.35, 0.65) * min(1.0, knee / 1.8), rng)
        arms = rng.integers(3)
        for side, sign in SIDES:
            if arms == 0:  # forward, for balance
                low.update(arm_pose(side, rng.uniform(0.9, 1.5), 0.15, 0.0, rng.uniform(0.0, 0.5)))
            elif arms == 1:  # hands together before the chest
                low.update(arm_pose(side, rng.uniform(0.4, 0.8), 0.2, 0.6, rng.uniform(1.5, 1.9)))
            else:  # hands on the knees
                knee_point = key_frame(subject, low).joints[2 if side == "r" else 5]
                target = knee_point + np.array([-sign * 0.03, 0.03, 0.07])
                low.update(arm_to(subject, low, side, target, (0.6, -0.4, -1.0)))
        script.move("squat down", rng.uniform(1.0, 1.8), FEET, **low)
        script.hold("squat", rng.uniform(0.3, 2.5), FEET)
        script.move("stand up", rng.uniform(1.0, 1.8), FEET, **{**standing, **relaxed_arms(rng)})
    return perform(script, num_frames, rng)


def crouching(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Crouching low (knees 2.1-2.45 rad) with the hands near the floor, shifting the weight
    from foot to foot and reaching to either side, then standing up."""
    standing = wide_stance(subject, rng, 0.13, 0.22)
    script = Script(subject, standing)
    needed = long_enough(rng, num_frames)
    while script.now < needed:
        script.hold("stand", rng.uniform(0.4, 2.0), FEET)
        low = low_key(subject, standing, rng.uniform(2.1, 2.45), rng.uniform(0.5, 0.65), rng)
        low.update(lean=min(low["lean"] + 0.15, 0.6), spine_bend=rng.uniform(0.4, 0.8))
        script.move("crouch down", rng.uniform(1.0, 1.8), FEET, **_hands_down(subject, low, rng))
        for _ in range(int(rng.integers(2, 5))):
            key = dict(low)
            shift = rng.uniform(-0.06, 0.06)
            key["pelvis_x"] = low["pelvis_x"] + shift
            key["spine_twist"] = rng.uniform(-0.3, 0.3)
            key["pelvis_z"] = min(low["pelvis_z"], pelvis_height(subject, key, 2.1))
            script.move("reach", rng.uniform(0.6, 1.2), FEET, **_hands_down(subject, key, rng))
            begin, hold = script.now, rng.uniform(0.8, 2.5)
            script.hold("work", hold, FEET)
            for side, _ in SIDES:  # the hands busy at the floor
                for joint in ("sh_flex", "elbow", "sh_abd"):
                    wave = smooth_wave(rng, rng.uniform(0.1, 0.3), 0.5, 1.5)
                    script.overlay(f"{side}_{joint}", wave, begin, begin + hold)
        script.move("stand up", rng.uniform(1.0, 1.8), FEET, **{**standing, **relaxed_arms(rng)})
    return perform(script, num_frames, rng)


def _hands_down(subject: Subject, key: dict, rng: np.random.Generator) -> dict:
    """``key`` with the hands reaching to points on or just above the floor before the feet."""
    key = dict(key)
    rot = pelvis_rotation(key)
    frame = key_frame(subject, key)
    for side, sign in SIDES:
        spot = np.array([key["pelvis_x"], key["pelvis_y"], 0.0]) + rot @ np.array(
            [sign * rng.uniform(0.05, 0.3), rng.uniform(0.35, 0.6), 0.0]
        )
        spot[2] = rng.uniform(0.04, 0.2)
        key.update(arm_to(subject, key, side, spot, (0.5, -0.5, -0.6), frame=frame))
    return key


def bending(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Picking something up: reaching down to the floor (1.2-2 s) with a stoop (knees nearly
    straight) or a squat, grasping, straightening with it (1.2-1.8 s), sometimes putting it
    back."""
    standing = stand(subject, rng)
    script = Script(subject, standing)
    needed = long_enough(rng, num_frames)
    while script.now < needed:
        script.hold("stand", rng.uniform(0.5, 2.5), FEET)
        down = reach_down(subject, standing, rng)
        script.move("reach down", rng.uniform(1.2, 2.0), FEET, **down)
        script.hold("grasp", rng.uniform(0.2, 0.6), FEET)
        holding = {**standing, **relaxed_arms(rng)}
        for side, _ in SIDES:
            flex, rot, elbow = rng.uniform(0.2, 0.5), rng.uniform(0.3, 0.6), rng.uniform(1.2, 1.7)
            holding.update(arm_pose(side, flex, 0.2, rot, elbow))
        script.move("lift", rng.uniform(1.2, 1.8), FEET, **holding)
        script.hold("hold", rng.uniform(0.5, 2.0), FEET)
        if rng.random() < 0.5:
            script.move("put down", rng.uniform(1.2, 2.0), FEET, **down)
            script.hold("release", rng.uniform(0.2, 0.5), FEET)
            script.move(
                "straighten", rng.uniform(1.2, 1.8), FEET, **{**standing, **relaxed_arms(rng)}
            )
    return perform(script, num_frames, rng)


def reach_down(subject: Subject, standing: dict, rng: np.random.Generator) -> dict:
    """A key reaching to an object on the floor 0.2-0.5 m before the feet, 0.05-0.2 m high:
    stooping or squatting, bending further until the arm reaches it."""
    stoop = rng.random() < 0.5
    knee = rng.uniform(0.1, 0.6) if stoop else rng.uniform(1.2, 1.9)
    feet = np.array([standing["pelvis_x"], 0.5 * (standing["r_ankle_y"] + standing["l_ankle_y"])])
    target = np.array([feet[0] + rng.uniform(-0.25, 0.25), feet[1] + rng.uniform(0.2, 0.5), 0.0])
    target[2] = rng.uniform(0.05, 0.2)
    both = rng.random() < 0.5
    side = "rl"[int(rng.integers(2))]
    key = dict(standing)
    key.update(sway=0.0, neck_pitch=rng.uniform(-0.3, 0.1))
    key["lean"] = rng.uniform(0.5, 0.8) if stoop else rng.uniform(0.2, 0.45)
    key["spine_bend"] = rng.uniform(0.3, 0.6)
    arm = 0.95 * (subject.bones["upper_arm"] + subject.bones["forearm"])
    hands = [(s, target + np.array([sign * 0.12 if both else 0.0, 0.0, 0.0])) for s, sign in SIDES]
    hands = [(s, spot) for s, spot in hands if both or s == side]
    keys = []
    for _ in range(14):  # ever deeper: the trunk first when stooping, the knees when squatting
        key["pelvis_y"] = feet[1] - 0.12 * key["lean"] - (0.1 if not stoop else 0.0)
        key["pelvis_z"] = pelvis_height(subject, key, knee)
        keys.append(dict(key))
        # the chest (pelvis pitch + spine flexion) tips at most 110 degrees, as in a toe touch
        if stoop and (key["lean"] < 1.1 or key["spine_bend"] < 0.8):
            key["lean"] = min(key["lean"] + 0.15, 1.1)
            key["spine_bend"] = min(key["spine_bend"] + 0.1, 0.8)
        elif knee < (1.6 if stoop else 2.3):
            knee = min(knee + 0.25, 1.6 if stoop else 2.3)
        else:
            key["spine_bend"] = min(key["spine_bend"] + 0.1, 0.9)
            key["lean"] = min(key["lean"] + 0.1, 0.7)
    joints, params, _ = solve(subject, {n: np.array([k[n] for k in keys]) for n in keys[0]}, {})
    reached = np.ones(len(keys), bool)
    for s, spot in hands:
        reached &= np.linalg.norm(joints[:, 14 if s == "r" else 11] - spot, axis=-1) < arm
    pick = int(np.argmax(reached)) if reached.any() else len(keys) - 1
    key = {**keys[pick], "lean": float(params["lean"][pick])}  # as far back as the hips allow
    shoulders = {"r": joints[pick, 14], "l": joints[pick, 11]}
    for i, (s, spot) in enumerate(hands):  # what is still out of reach comes nearer the feet
        shoulder = shoulders[s]
        drop = shoulder[2] - spot[2]
        flat = spot[:2] - shoulder[:2]
        most = np.sqrt(max(arm**2 - drop**2, 0.0))
        if np.linalg.norm(flat) > most:
            spot = spot.copy()
            spot[:2] = shoulder[:2] + flat * most / np.linalg.norm(flat)
            hands[i] = (s, spot)
    for s, spot in hands:
        key.update(arm_to(subject, key, s, spot, (0.6, -0.3, -0.4)))
    if not both:  # the other arm hangs
        other = "l" if side == "r" else "r"
        hang = shoulders[other] + np.array([0.0, 0.0, -0.5])
        hang[:2] += 0.1 * (target[:2] - shoulders[other][:2])
        key.update(arm_to(subject, key, other, hang, (0.3, -1.0, 0.0)))
    return key


def kneeling(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Kneeling: a step forward, the rear knee down to the floor (1-2 s), a while on one knee
    (tying a shoe, resting an arm on the knee, or upper-body activities), sometimes the other
    knee down too, then up and back."""
    standing = stand(subject, rng)
    script = Script(subject, standing)
    needed = long_enough(rng, num_frames)
    while script.now < needed:
        script.hold("stand", rng.uniform(0.5, 2.0), FEET)
        front, sign = SIDES[int(rng.integers(2))]
        back = "l" if front == "r" else "r"
        stepped = dict(standing)
        step = rng.uniform(0.3, 0.45)
        stepped[f"{front}_ankle_y"] += step
        stepped["pelvis_y"] += 0.5 * step
        stepped["pelvis_z"] = pelvis_height(subject, stepped, rng.uniform(0.05, 0.15))
        lift = {f"{front}_ankle_z": rng.uniform(0.05, 0.1)}
        script.move("step", rng.uniform(0.5, 0.9), {f"{back}_foot"}, bumps=lift, **stepped)
        half = half_kneel(subject, stepped, front, rng)
        script.move("kneel down", rng.uniform(1.0, 2.0), {f"{front}_foot"}, **half)
        loads = {f"{front}_foot", f"{back}_knee"}
        if rng.random() < 0.4:  # tie a shoe on the front foot
            ankle = np.array([half[f"{front}_ankle_{a}"] for a in "xyz"])
            tie = {**half, "spine_bend": rng.uniform(0.4, 0.7), "neck_pitch": rng.uniform(0.0, 0.4)}
            for s, _ in SIDES:
                tie.update(
                    arm_to(subject, tie, s, ankle + np.array([0, 0.08, 0.06]), (0.6, -0.3, -0.6))
                )
            script.move("reach shoe", rng.uniform(0.8, 1.3), loads, **_upper(tie))
            script.hold("tie shoe", rng.uniform(1.0, 3.0), loads)
            script.move("straighten", rng.uniform(0.8, 1.3), loads, **_upper(half))
        else:
            upper_body(script, rng, rng.uniform(1.0, 3.0), loads, False)
        if rng.random() < 0.5:
            both = both_knees(subject, half, front, rng)
            script.move("other knee down", rng.uniform(0.8, 1.5), {f"{back}_knee"}, **both)
            upper_body(script, rng, rng.uniform(1.0, 4.0), {"r_knee", "l_knee"}, False)
            script.move("knee up", rng.uniform(0.8, 1.5), {f"{back}_knee"}, **half)
        script.move("rise", rng.uniform(1.0, 2.0), {f"{front}_foot"}, **stepped)
        script.move("step back", rng.uniform(0.5, 0.9), {f"{back}_foot"}, bumps=lift, **standing)
    return perform(script, num_frames, rng)


def _upper(key: dict) -> dict:
    names = ("spine_bend", "spine_side", "spine_twist", "neck_pitch", "neck_yaw")
    return {n: key[n] for n in key if n in names or "_sh_" in n or n.endswith("_elbow")}


def _knee_leg(subject: Subject, key: dict, side: str, knee_point: np.ndarray, toes: bool):
    """Channels of leg ``side`` kneeling at ``knee_point`` (3,), the shin back along the floor
    (on the instep, or on the tucked toes, heel up)."""
    sign = 1.0 if side == "r" else -1.0
    shin = subject.bones["shin"]
    rise = 0.05 if toes else 0.01  # the ankle above the knee joint
    ankle = knee_point + np.array([0.0, -np.sqrt(shin**2 - rise**2), rise])
    rot = pelvis_rotation(key)
    hip = np.array([key["pelvis_x"], key["pelvis_y"], key["pelvis_z"]])
    hip = hip + rot @ hip_offset(subject, sign)
    return leg_channels(side, hip, knee_point, ankle, rot @ KNEE_PREFERRED)


def half_kneel(subject: Subject, stepped: dict, front: str, rng: np.random.Generator) -> dict:
    """On the rear knee, the front foot where it stepped: the rear thigh near vertical, the
    front knee bent about 75-100 degrees."""
    back = "l" if front == "r" else "r"
    key = dict(stepped)
    key.update(sway=0.0, yaw=0.0, roll=0.0, lean=rng.uniform(-0.05, 0.15))
    key.update(spine_bend=rng.uniform(0.0, 0.2), neck_pitch=rng.uniform(0.0, 0.2))
    key.update(relaxed_arms(rng))
    thigh, tilt = subject.bones["thigh"], rng.uniform(0.0, 0.25)  # hip behind the knee
    hip_z = KNEE_ON_FLOOR_M + thigh * np.cos(tilt)
    key["pelvis_z"] = hip_z
    reach = limbs.reach(thigh, subject.bones["shin"], rng.uniform(1.3, 1.75))
    sign_front = 1.0 if front == "r" else -1.0
    across = key["pelvis_x"] + sign_front * subject.bones["hip"] - key[f"{front}_ankle_x"]
    rise = hip_z - key[f"{front}_ankle_z"]
    key["pelvis_y"] = key[f"{front}_ankle_y"] - np.sqrt(max(reach**2 - rise**2 - across**2, 0.0))
    sign_back = -sign_front
    knee_x = key["pelvis_x"] + sign_back * subject.bones["hip"]
    knee_point = np.array([knee_x, key["pelvis_y"] + thigh * np.sin(tilt), KNEE_ON_FLOOR_M])
    key.update(_knee_leg(subject, key, back, knee_point, toes=rng.random() < 0.5))
    return key


def both_knees(subject: Subject, half: dict, front: str, rng: np.random.Generator) -> dict:
    """Upright on both knees: the front knee comes down beside the rear one."""
    back = "l" if front == "r" else "r"
    key = dict(half)
    sign = 1.0 if front == "r" else -1.0
    back_knee = key_frame(subject, half).joints[5 if back == "l" else 2]
    knee_point = back_knee.copy()
    knee_point[0] = key["pelvis_x"] + sign * subject.bones["hip"]
    key.update(_knee_leg(subject, key, front, knee_point, toes=rng.random() < 0.5))
    return key
