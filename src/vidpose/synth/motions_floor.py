"""``Lying``: getting down onto the floor and up again, lying on the back and on the side.

The way down is a squat, sitting onto the floor behind the feet (knees up, leaning back), and
lying back; the legs may stretch out and the body may roll onto one side and back. The way up
reverses it: sitting up, rocking forward onto the feet into a squat, standing up. Each stage
takes 0.8-2 s. Lying on the back the pelvis joint is :data:`PELVIS_ON_FLOOR_M` above the
floor and the trunk horizontal; on the side the lower hip joint is 0.08 m above it.
"""

from __future__ import annotations

import numpy as np

from vidpose.synth import limbs
from vidpose.synth.activities import arm_channels
from vidpose.synth.body import Subject, hip_offset
from vidpose.synth.motions_low import low_key
from vidpose.synth.postures import (
    SIDES,
    arm_above_floor,
    arm_pose,
    arm_to,
    leg_at,
    pelvis_rotation,
    relaxed_arms,
    stand,
)
from vidpose.synth.staging import FEET, FPS, Performance, Script, key_frame, perform, solve

#: Height of the pelvis joint above the floor when sitting or lying on the back (metres).
PELVIS_ON_FLOOR_M = 0.11
#: Height of an ankle joint whose heel rests on the floor with the leg stretched out.
HEEL_ON_FLOOR_M = 0.07
#: The trunk's pitch lying on the back: a quarter turn backwards.
SUPINE = -np.pi / 2


def _ready_arms(rng: np.random.Generator) -> dict:
    """Arms a little forward of the trunk, elbows soft: between lying and sitting up."""
    out = {}
    for side in "rl":
        out.update(arm_pose(side, rng.uniform(0.3, 0.6), 0.2, 0.0, rng.uniform(0.3, 0.7)))
    return out


def _roll_arms(side_key: dict, rng: np.random.Generator) -> dict:
    """Arms for rolling onto the side of ``side_key``: the lower arm reaches forward (up while
    on the back, along the floor once on the side), the upper arm lies along the body."""
    lower, upper = ("l", "r") if side_key["turn"] > 0 else ("r", "l")
    return {
        f"{lower}_sh_flex": rng.uniform(1.3, 1.7),
        f"{lower}_sh_abd": rng.uniform(-0.25, -0.1),  # towards the body: up, off the floor
        f"{lower}_sh_rot": 0.0,
        f"{lower}_elbow": rng.uniform(0.2, 0.8),
        f"{upper}_sh_flex": rng.uniform(-0.1, 0.3),
        f"{upper}_sh_abd": rng.uniform(0.0, 0.1),
        f"{upper}_sh_rot": rng.uniform(0.0, 0.3),
        f"{upper}_elbow": rng.uniform(0.1, 0.5),
    }


def floor_sit(subject: Subject, standing: dict, rng: np.random.Generator) -> dict:
    """Sitting on the floor behind ``standing``'s feet, knees up (bent 1.6-2.1 rad), leaning
    back, the hands on the floor behind or around the knees."""
    key = dict(standing)
    key.update(
        sway=0.0,
        yaw=rng.uniform(-0.1, 0.1),
        lean=rng.uniform(-0.45, -0.15),
        spine_bend=rng.uniform(0.1, 0.35),
        neck_pitch=rng.uniform(0.0, 0.25),
        pelvis_z=PELVIS_ON_FLOOR_M,
        r_swivel=rng.uniform(0.0, 0.4),
        l_swivel=rng.uniform(0.0, 0.4),
    )
    reach = limbs.reach(subject.bones["thigh"], subject.bones["shin"], rng.uniform(1.6, 2.1))
    feet_y = min(key["r_ankle_y"], key["l_ankle_y"])
    across = abs(key["r_ankle_x"] - key["pelvis_x"]) - subject.bones["hip"]
    rise = PELVIS_ON_FLOOR_M - key["r_ankle_z"]
    key["pelvis_y"] = feet_y - np.sqrt(max(reach**2 - rise**2 - across**2, 0.0))
    key["lean"] = float(
        solve(subject, {n: np.array([v]) for n, v in key.items()}, {})[1]["lean"][0]
    )
    rot = pelvis_rotation({**key, "lean": 0.0, "roll": 0.0, "turn": 0.0})
    behind = rng.random() < 0.6
    knees = key_frame(subject, key).joints[[2, 5]]
    for (side, sign), knee in zip(SIDES, knees, strict=True):
        if behind:
            spot = np.array([key["pelvis_x"], key["pelvis_y"], 0.05]) + rot @ np.array(
                [sign * rng.uniform(0.15, 0.25), -rng.uniform(0.2, 0.3), 0.0]
            )
            key.update(arm_to(subject, key, side, spot, (0.4, -1.0, 0.0)))
        else:
            spot = knee + rot @ np.array([-sign * 0.05, 0.02, -0.12])
            key.update(arm_to(subject, key, side, spot, (1.0, -0.3, -0.3)))
    return key


def supine(subject: Subject, sitting: dict, rng: np.random.Generator) -> dict:
    """Lying back from ``sitting`` (feet where they were), the arms on the floor at the sides
    or the hands on the belly."""
    key = dict(sitting)
    key.update(
        lean=SUPINE + rng.uniform(0.0, 0.08),
        spine_bend=rng.uniform(-0.05, 0.1),
        neck_pitch=rng.uniform(0.05, 0.3),
        neck_yaw=rng.uniform(-0.4, 0.4),
    )
    rot = pelvis_rotation({**key, "lean": 0.0, "roll": 0.0, "turn": 0.0})
    pelvis = np.array([key["pelvis_x"], key["pelvis_y"], 0.0])
    on_belly = rng.random() < 0.5
    for side, sign in SIDES:
        if on_belly:
            spot = pelvis + rot @ np.array([sign * 0.12, -rng.uniform(0.1, 0.2), 0])
            spot[2] = 0.2
            key.update(arm_above_floor(subject, key, side, spot, (1.0, -0.2, 0.0)))
        else:  # along the body, nearly straight, beside the hips
            spot = pelvis + rot @ np.array(
                [sign * rng.uniform(0.15, 0.25), rng.uniform(0.0, 0.1), 0]
            )
            spot[2] = 0.09
            key.update(arm_above_floor(subject, key, side, spot, (1.0, -0.3, 0.0), 0.08))
    return key


def stretched(subject: Subject, lying: dict, rng: np.random.Generator) -> dict:
    """``lying`` with the legs stretched out along the floor, heels down, knees nearly straight."""
    key = dict(lying)
    rot = pelvis_rotation(key)
    reach = limbs.reach(subject.bones["thigh"], subject.bones["shin"], rng.uniform(0.05, 0.25))
    for side, sign in SIDES:
        hip = np.array([key["pelvis_x"], key["pelvis_y"], key["pelvis_z"]])
        hip = hip + rot @ hip_offset(subject, sign)
        across = sign * rng.uniform(0.0, 0.12)
        rise = hip[2] - HEEL_ON_FLOOR_M
        along = np.sqrt(reach**2 - rise**2 - across**2)
        key[f"{side}_ankle_x"] = hip[0] + across
        key[f"{side}_ankle_y"] = hip[1] + along
        key[f"{side}_ankle_z"] = HEEL_ON_FLOOR_M
        key[f"{side}_swivel"] = rng.uniform(0.2, 0.6)
    return key


def on_side(subject: Subject, lying: dict, rng: np.random.Generator) -> dict:
    """Rolled onto one side from ``lying``: lower leg nearly straight, upper leg bent forward
    (the arms are set by :func:`_roll_arms`)."""
    key = dict(lying)
    down = 1.0 if rng.random() < 0.5 else -1.0  # +1: onto the left side
    turn = down * rng.uniform(1.35, 1.55)
    lower_hip = 0.08
    key.update(
        turn=turn,
        lean=SUPINE,
        pelvis_z=lower_hip + subject.bones["hip"] * abs(np.sin(turn)),
        pelvis_x=key["pelvis_x"] - down * 0.1,
        spine_bend=rng.uniform(0.0, 0.3),
        neck_pitch=rng.uniform(0.0, 0.3),
        neck_yaw=0.0,
    )
    lower, upper = ("l", "r") if down > 0 else ("r", "l")
    key.update(leg_at(subject, key, lower, rng.uniform(0.0, 0.4), 0.0, 0.0, rng.uniform(0.1, 0.6)))
    flex, knee = rng.uniform(0.5, 1.2), rng.uniform(0.7, 1.5)
    best = None
    for abd in np.linspace(-0.45, 0.2, 7):  # rest the upper knee near the floor
        leg = leg_at(subject, key, upper, flex, abd, 0.0, knee)
        joints = key_frame(subject, {**key, **leg}).joints
        low = min(joints[2 if upper == "r" else 5, 2], leg[f"{upper}_ankle_z"])
        if low >= 0.07 and (best is None or low < best[0]):
            best = (low, leg)
    if best is not None:
        key.update(best[1])
    else:
        key.update(leg_at(subject, key, upper, flex, 0.2, 0.0, knee))
    return key


def lying(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Down onto the floor, lying on the back (and maybe the side), and up again."""
    standing = stand(subject, rng)
    script = Script(subject, standing)
    needed = num_frames / FPS + rng.uniform(2.0, 10.0)
    while script.now < needed:
        script.hold("stand", rng.uniform(0.5, 2.0), FEET)
        squat = low_key(subject, standing, rng.uniform(2.1, 2.4), rng.uniform(0.5, 0.65), rng)
        for side, _ in SIDES:
            squat[f"{side}_sh_flex"], squat[f"{side}_elbow"] = rng.uniform(0.6, 1.2), 0.3
        sit = floor_sit(subject, standing, rng)
        back = supine(subject, sit, rng)
        script.move("squat down", rng.uniform(1.0, 1.6), FEET, **squat)
        script.move("sit on floor", rng.uniform(0.8, 1.5), FEET, bumps={"lean": -0.2}, **sit)
        script.hold("sit", rng.uniform(0.5, 3.0), FEET | {"floor"})
        clear = {f"{side}_sh_flex": 0.4 for side in "rl"}  # the hands clear the floor
        ready = {**back, **_ready_arms(rng)}
        script.move("lie back", rng.uniform(1.2, 2.0), FEET | {"floor"}, bumps=clear, **ready)
        script.move("arms down", rng.uniform(0.8, 1.2), FEET | {"floor"}, **arm_channels(back))
        script.hold("lie", rng.uniform(1.0, 4.0), FEET | {"floor"})
        if rng.random() < 0.7:
            flat = stretched(subject, back, rng)
            script.move("stretch legs", rng.uniform(0.8, 1.5), {"floor"}, **flat)
            script.hold("lie", rng.uniform(1.0, 4.0), {"floor"})
            if rng.random() < 0.6:
                side = on_side(subject, flat, rng)
                roll = rng.uniform(1.0, 1.8)
                arms = _roll_arms(side, rng)
                script.move("arms for rolling", rng.uniform(0.9, 1.4), {"floor"}, **arms)
                script.move("roll onto side", roll, {"floor"}, **{**side, **arms})
                script.hold("lie on side", rng.uniform(1.0, 4.0), {"floor"})
                script.move("roll back", roll, {"floor"}, **{**flat, **arms})
                script.move("arms down", rng.uniform(0.9, 1.4), {"floor"}, **arm_channels(flat))
            script.move("knees up", rng.uniform(0.8, 1.5), {"floor"}, **back)
        curl = {"spine_bend": rng.uniform(0.2, 0.4), "neck_pitch": rng.uniform(0.2, 0.4), **clear}
        script.move("arms ready", rng.uniform(0.8, 1.2), FEET | {"floor"}, **_ready_arms(rng))
        script.move("sit up", rng.uniform(1.2, 2.0), FEET | {"floor"}, bumps=curl, **sit)
        script.hold("sit", rng.uniform(0.5, 2.0), FEET | {"floor"})
        rock = {"spine_bend": rng.uniform(0.2, 0.4), "lean": -0.15}
        script.move("onto feet", rng.uniform(1.0, 1.8), FEET, bumps=rock, **squat)
        script.move("stand up", rng.uniform(1.0, 1.6), FEET, **{**standing, **relaxed_arms(rng)})
    return perform(script, num_frames, rng)
