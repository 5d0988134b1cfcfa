"""Motions standing in place with the feet planted: ``Balancing`` (on one leg, arms out) and
``Standing`` (everyday things done standing: talking, phoning, eating, smoking, taking a photo,
waiting, with weight shifts and small steps).

Shifting the weight onto one foot takes 0.4-0.9 s, lifting or lowering the other foot 0.7-1.2 s;
a balance lasts 2-6 s, with the arms making small corrections.
"""

from __future__ import annotations

import numpy as np

from vidpose.synth.activities import smooth_wave, upper_body
from vidpose.synth.body import Subject
from vidpose.synth.postures import SIDES, leg_at, pelvis_height, relaxed_arms, stand
from vidpose.synth.staging import FEET, Performance, Script, long_enough, perform

BALANCE_S = (2.0, 6.0)


def over_foot(subject: Subject, key: dict, side: str, rng: np.random.Generator) -> dict:
    """``key`` with the weight shifted over foot ``side``: its hip nearly above its ankle."""
    sign = 1.0 if side == "r" else -1.0
    out = dict(key)
    out["pelvis_x"] = key[f"{side}_ankle_x"] - sign * (
        subject.bones["hip"] - rng.uniform(0.0, 0.04)
    )
    out["pelvis_y"] = key[f"{side}_ankle_y"] + rng.uniform(-0.02, 0.03)
    out["roll"] = -sign * rng.uniform(0.0, 0.06)  # the free side of the pelvis drops a little
    out["pelvis_z"] = pelvis_height(subject, out, rng.uniform(0.04, 0.15), sides=side)
    return out


def balance_key(subject: Subject, shifted: dict, stance: str, rng: np.random.Generator) -> dict:
    """On ``stance``, the other foot lifted (knee up in front, foot behind, leg out to the
    side, or leg back with the trunk forward), the arms held out to the sides."""
    free = "l" if stance == "r" else "r"
    key = dict(shifted)
    kind = int(rng.integers(4))
    if kind == 0:  # knee up in front
        leg = (
            rng.uniform(0.6, 1.5),
            rng.uniform(0.0, 0.2),
            rng.uniform(-0.2, 0.2),
            rng.uniform(0.7, 1.8),
        )
    elif kind == 1:  # foot up behind
        leg = (rng.uniform(-0.2, 0.2), rng.uniform(0.0, 0.15), 0.0, rng.uniform(1.3, 2.2))
    elif kind == 2:  # leg out to the side
        leg = (rng.uniform(0.0, 0.3), rng.uniform(0.35, 0.7), 0.0, rng.uniform(0.1, 0.5))
    else:  # trunk forward, leg stretched back
        key["lean"] = rng.uniform(0.8, 1.2)
        key["neck_pitch"] = rng.uniform(-0.6, -0.3)
        leg = (max(key["lean"] - rng.uniform(1.3, 1.6), -0.35), 0.0, 0.0, rng.uniform(0.0, 0.3))
        key["pelvis_z"] = pelvis_height(subject, key, rng.uniform(0.05, 0.2), sides=stance)
    key.update(leg_at(subject, key, free, *leg))
    key[f"{free}_ankle_z"] = max(key[f"{free}_ankle_z"], 0.3)
    for side, _ in SIDES:
        key[f"{side}_sh_abd"] = rng.uniform(1.2, 1.65)
        key[f"{side}_sh_flex"] = rng.uniform(-0.2, 0.4)
        key[f"{side}_sh_rot"] = rng.uniform(-0.3, 0.3)
        key[f"{side}_elbow"] = rng.uniform(0.0, 0.4)
    return key


def balancing(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Standing on one leg for 2-6 s with the arms out, correcting with arms and trunk."""
    standing = stand(subject, rng)
    script = Script(subject, standing)
    needed = long_enough(rng, num_frames)
    while script.now < needed:
        script.hold("stand", rng.uniform(0.5, 2.0), FEET)
        stance, _ = SIDES[int(rng.integers(2))]
        free = "l" if stance == "r" else "r"
        shifted = over_foot(subject, standing, stance, rng)
        script.move("shift weight", rng.uniform(0.4, 0.9), FEET, **shifted)
        up = balance_key(subject, shifted, stance, rng)
        script.move("lift foot", rng.uniform(0.7, 1.2), {f"{stance}_foot"}, **up)
        begin, hold = script.now, rng.uniform(*BALANCE_S)
        script.hold("balance", hold, {f"{stance}_foot"})
        for side, _ in SIDES:
            script.overlay(f"{side}_sh_abd", smooth_wave(rng, 0.2, 0.3, 1.0), begin, begin + hold)
            script.overlay(f"{side}_elbow", smooth_wave(rng, 0.15, 0.3, 1.0), begin, begin + hold)
        script.overlay("spine_side", smooth_wave(rng, 0.06, 0.2, 0.8), begin, begin + hold)
        script.overlay(f"{free}_ankle_x", smooth_wave(rng, 0.04, 0.2, 0.6), begin, begin + hold)
        script.move("put foot down", rng.uniform(0.7, 1.2), {f"{stance}_foot"}, **shifted)
        script.move("shift back", rng.uniform(0.4, 0.9), FEET, **{**standing, **relaxed_arms(rng)})
    return perform(script, num_frames, rng)


def standing(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
    """Standing in place: upper-body activities, shifting the weight, now and then a step."""
    key = stand(subject, rng)
    script = Script(subject, key)
    needed = long_enough(rng, num_frames)
    while script.now < needed:
        pick = rng.random()
        if pick < 0.6:
            upper_body(script, rng, 0.1, FEET, False)
        elif pick < 0.85:  # weight onto one foot, the other knee relaxed
            side = "rl"[int(rng.integers(2))]
            shifted = over_foot(subject, script.last, side, rng)
            shifted["pelvis_x"] = 0.5 * (shifted["pelvis_x"] + script.last["pelvis_x"])
            shifted["pelvis_z"] = pelvis_height(subject, shifted, rng.uniform(0.05, 0.15))
            script.move("shift weight", rng.uniform(0.6, 1.2), FEET, **shifted)
            upper_body(script, rng, 0.1, FEET, False)
        else:  # a small step with one foot, the other bearing the weight
            last = script.last
            side = "rl"[int(rng.integers(2))]
            other = "l" if side == "r" else "r"
            moved = dict(last)
            moved[f"{side}_ankle_x"] += rng.uniform(-0.1, 0.1)
            moved[f"{side}_ankle_y"] += rng.uniform(-0.2, 0.2)
            moved["pelvis_x"] = 0.5 * (moved["r_ankle_x"] + moved["l_ankle_x"])
            moved["pelvis_y"] = 0.5 * (moved["r_ankle_y"] + moved["l_ankle_y"]) + 0.02
            moved["yaw"] = rng.uniform(-0.2, 0.2)
            moved["pelvis_z"] = pelvis_height(subject, moved, rng.uniform(0.04, 0.14))
            lift = {f"{side}_ankle_z": rng.uniform(0.04, 0.08)}
            script.move("step", rng.uniform(0.5, 0.9), {f"{other}_foot"}, bumps=lift, **moved)
            script.hold("stand", rng.uniform(0.3, 1.5), FEET)
    return perform(script, num_frames, rng)
