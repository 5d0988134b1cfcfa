"""Motions on a chair: ``Sitting`` (seated the whole take, busy with the upper body, leaning,
crossing the legs, moving a foot) and ``SittingDown`` (sitting down and standing up again).

The chair's seat is 0.40-0.50 m high; seated, the pelvis joint is :data:`PELVIS_ABOVE_SEAT_M`
above it, the feet stay where they stood, and the knees bend 75-105 degrees. Sitting down and
standing up take 1-2 s each, with the trunk leaning forward on the way (as people shift their
weight over the feet).
"""

from __future__ import annotations

import numpy as np

from vidpose.synth import limbs
from vidpose.synth.activities import talk, upper_body
from vidpose.synth.body import Subject, hip_offset
from vidpose.synth.postures import SIDES, leg_channels, pelvis_rotation, relaxed_arms, stand
from vidpose.synth.staging import FEET, KNEE_PREFERRED, Performance, Script, long_enough, perform

#: Height of the pelvis joint above a seat it sits on (metres).
PELVIS_ABOVE_SEAT_M = 0.10

SEAT_HEIGHT_M = (0.40, 0.50)
SIT_DOWN_S = (1.0, 2.0)
SEATED_KNEE = (1.3, 1.85)

SEATED = FEET | {"seat"}


def seated(subject: Subject, standing: dict, seat: float, rng: np.random.Generator) -> dict:
    """A seated key over ``standing``'s feet: the pelvis ``seat`` + 0.10 m high, behind the
    feet where the rear leg's knee bends 75-105 degrees."""
    key = dict(standing)
    key.update(
        sway=0.0,
        yaw=rng.uniform(-0.1, 0.1),
        lean=rng.uniform(-0.15, 0.05),
        spine_bend=rng.uniform(0.0, 0.25),
        neck_pitch=rng.uniform(0.0, 0.2),
        pelvis_z=seat + PELVIS_ABOVE_SEAT_M,
        r_swivel=rng.uniform(0.0, 0.35),
        l_swivel=rng.uniform(0.0, 0.35),
    )
    key.update(relaxed_arms(rng))
    rot = pelvis_rotation(key)
    reach = limbs.reach(subject.bones["thigh"], subject.bones["shin"], rng.uniform(*SEATED_KNEE))
    rear = min("rl", key=lambda side: key[f"{side}_ankle_y"])
    hip = rot @ hip_offset(subject, 1.0 if rear == "r" else -1.0)
    rise = key["pelvis_z"] + hip[2] - key[f"{rear}_ankle_z"]
    across = key["pelvis_x"] + hip[0] - key[f"{rear}_ankle_x"]
    back = np.sqrt(max(reach**2 - rise**2 - across**2, 0.0))
    key["pelvis_y"] = key[f"{rear}_ankle_y"] - back - hip[1]
    return key


def _stand_up_key(standing: dict, rng: np.random.Generator) -> dict:
    return {**standing, **relaxed_arms(rng), "yaw": standing["yaw"] + rng.uniform(-0.1, 0.1)}


def cross_legs(script: Script, rng: np.random.Generator) -> None:
    """Seated: one leg crosses over the other (knee over knee, or the ankles crossed with the
    legs forward), 1-2 upper-body activities, then it uncrosses to where the foot was."""
    start = script.last
    side, sign = SIDES[int(rng.integers(2))]
    other = "l" if side == "r" else "r"
    key = {**start, f"{other}_swivel": rng.uniform(-0.1, 0.1)}  # the other knee turns in
    frame = script.frame(key)
    hip = frame.joints[1 if side == "r" else 4]
    thigh, shin = script.subject.bones["thigh"], script.subject.bones["shin"]
    if rng.random() < 0.65:  # knee over knee: the shin hangs beside the other shin
        other_knee = frame.joints[5 if side == "r" else 2]
        over = other_knee + np.array([0.0, rng.uniform(-0.04, 0.02), 0.13])
        over[0] = 0.5 * (other_knee[0] + frame.joints[0, 0])
        knee = hip + thigh * (over - hip) / np.linalg.norm(over - hip)
        down = frame.pelvis @ np.array([-sign * 0.2, rng.uniform(-0.3, 0.0), -1.0])
        ankle = knee + shin * down / np.linalg.norm(down)
    else:  # ankles crossed, the crossing heel resting on the other foot
        other_ankle = np.array([key[f"{other}_ankle_{a}"] for a in "xyz"])
        ankle = other_ankle + np.array([-sign * 0.02, rng.uniform(0.0, 0.05), 0.07])
        knee = frame.joints[2 if side == "r" else 5]
    crossed = leg_channels(side, hip, knee, ankle, frame.pelvis @ KNEE_PREFERRED)
    crossed[f"{other}_swivel"] = key[f"{other}_swivel"]
    lift = {f"{side}_ankle_z": 0.12}
    loads = {"seat", f"{other}_foot"}
    script.move("cross legs", rng.uniform(0.9, 1.6), loads, bumps=lift, **crossed)
    for _ in range(int(rng.integers(1, 3))):
        if rng.random() < 0.5:
            talk(script, rng, loads)
        else:
            upper_body(script, rng, 0.1, loads, False)
    back = {name: start[name] for name in crossed}
    script.move("uncross legs", rng.uniform(0.9, 1.6), loads, bumps=lift, **back)


def shift_foot(script: Script, rng: np.random.Generator) -> None:
    """Seated: slide one foot 10-20 cm forward or back, stay a while, and bring it back."""
    start = script.last
    side = "rl"[int(rng.integers(2))]
    other = "l" if side == "r" else "r"
    step = rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.2)
    loads = {"seat", f"{other}_foot"}
    moved = {f"{side}_ankle_y": start[f"{side}_ankle_y"] + step}
    script.move("move foot", rng.uniform(0.5, 0.9), loads, bumps={f"{side}_ankle_z": 0.04}, **moved)
    script.hold("sit", rng.uniform(1.0, 3.0), {"seat", "r_foot", "l_foot"})
    back = {f"{side}_ankle_y": start[f"{side}_ankle_y"]}
    script.move("foot back", rng.uniform(0.5, 0.9), loads, bumps={f"{side}_ankle_z": 0.04}, **back)


def sit_activities(script: Script, rng: np.random.Generator, seconds: float) -> None:
    """Seated, until ``seconds`` have passed: upper-body activities, crossed legs, a foot moved."""
    end = script.now + seconds
    while script.now < end:
        pick = rng.random()
        if pick < 0.25:
            cross_legs(script, rng)
        elif pick < 0.35:
            shift_foot(script, rng)
        else:
            upper_body(script, rng, 0.1, SEATED, True)


def sitting(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Seated on a chair for the whole take, busy with the upper body and the legs."""
    standing = stand(subject, rng)
    seat = rng.uniform(*SEAT_HEIGHT_M)
    script = Script(subject, seated(subject, standing, seat, rng))
    script.props["seat_height"] = seat
    script.hold("sit", rng.uniform(0.5, 2.0), SEATED)
    sit_activities(script, rng, long_enough(rng, num_frames))
    return perform(script, num_frames, rng)


def sitting_down(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Standing before a chair, sitting down (1-2 s), seated activities, standing up (1-2 s)."""
    standing = stand(subject, rng)
    seat = rng.uniform(*SEAT_HEIGHT_M)
    script = Script(subject, standing)
    script.props["seat_height"] = seat
    needed = long_enough(rng, num_frames)
    while script.now < needed:
        script.hold("stand", rng.uniform(0.8, 3.0), FEET)
        sit = seated(subject, standing, seat, rng)
        lean = {"lean": rng.uniform(0.3, 0.5), "spine_bend": rng.uniform(0.0, 0.15)}
        for side, _ in SIDES:
            lean[f"{side}_sh_flex"] = rng.uniform(0.1, 0.5)
        script.move("sit down", rng.uniform(*SIT_DOWN_S), FEET, bumps=lean, **sit)
        sit_activities(script, rng, rng.uniform(2.0, 6.0))
        up = {"lean": rng.uniform(0.35, 0.55), "spine_bend": rng.uniform(0.0, 0.15)}
        script.move(
            "stand up", rng.uniform(*SIT_DOWN_S), FEET, bumps=up, **_stand_up_key(standing, rng)
        )
    return perform(script, num_frames, rng)
