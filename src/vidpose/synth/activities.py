"""Upper-body activities appended to a :class:`~vidpose.synth.staging.Script`, standing or
seated: talking with gestures, phoning (hand at the ear), eating and drinking (hand to the
mouth), smoking, taking a photo, waiting (arms crossed, hands on the hips or behind the back)
and, seated, leaning back or forward.

Each activity moves only the trunk, neck and arms (a seated lean also tips the pelvis on the
seat), holds the contacts it is given, and ends back in the pose it started from. Durations are
drawn per activity: reaching movements 0.5-1.4 s, holds 0.3-6 s.
"""

from __future__ import annotations

import numpy as np

from vidpose.synth.postures import SIDES, arm_pose, arm_to, head_point, relaxed_arms
from vidpose.synth.staging import ARMS, Script


def _arm_channels(key: dict[str, float], side: str) -> dict[str, float]:
    return {name: key[name] for name in ARMS if name.startswith(side)}


def _sides(rng: np.random.Generator) -> tuple[str, str]:
    """(active arm, other arm), right-handed three times in four."""
    return ("r", "l") if rng.random() < 0.75 else ("l", "r")


def smooth_wave(rng: np.random.Generator, amplitude: float, low: float, high: float):
    """A smooth random signal: two sines of random frequencies in [low, high] Hz."""
    freqs = rng.uniform(low, high, size=2)
    phases = rng.uniform(0, 2 * np.pi, size=2)
    weights = rng.dirichlet([2.0, 2.0]) * amplitude

    def signal(t: np.ndarray) -> np.ndarray:
        return sum(
            w * np.sin(2 * np.pi * f * t + p)
            for w, f, p in zip(weights, freqs, phases, strict=True)
        )

    return signal


def _gesture_arm(rng: np.random.Generator, side: str) -> dict[str, float]:
    return {
        f"{side}_sh_flex": rng.uniform(0.3, 0.75),
        f"{side}_sh_abd": rng.uniform(0.15, 0.45),
        f"{side}_sh_rot": rng.uniform(0.1, 0.6),
        f"{side}_elbow": rng.uniform(1.1, 1.8),
    }


def talk(script: Script, rng: np.random.Generator, loads) -> None:
    """Talking: one or both hands gesturing in front of the body, the head turning."""
    start = script.last
    active, other = _sides(rng)
    arms = [active, other] if rng.random() < 0.5 else [active]
    pose = {}
    for side in arms:
        pose.update(_gesture_arm(rng, side))
    script.move("gesture up", rng.uniform(0.5, 0.9), loads, **pose)
    begin, hold = script.now, rng.uniform(2.0, 5.0)
    script.hold("talk", hold, loads)
    for side in arms:
        for joint, amplitude in (("sh_flex", 0.3), ("sh_abd", 0.2), ("elbow", 0.35)):
            wave = smooth_wave(rng, rng.uniform(0.4, 1.0) * amplitude, 0.4, 1.3)
            script.overlay(f"{side}_{joint}", wave, begin, begin + hold)
    script.overlay(
        "neck_yaw", smooth_wave(rng, rng.uniform(0.2, 0.5), 0.08, 0.3), begin, begin + hold
    )
    script.overlay("spine_twist", smooth_wave(rng, 0.1, 0.08, 0.3), begin, begin + hold)
    script.move("gesture down", rng.uniform(0.5, 0.9), loads, **arm_channels(start, arms))


def arm_channels(start: dict[str, float], sides="rl") -> dict[str, float]:
    """``start``'s arm channels (:data:`~vidpose.synth.staging.ARMS`) of ``sides``."""
    out = {}
    for side in sides:
        out.update(_arm_channels(start, side))
    return out


def phone(script: Script, rng: np.random.Generator, loads) -> None:
    """Phoning: the hand at the ear for 2-6 s, the head tilting, the free hand gesturing."""
    start = script.last
    active, other = _sides(rng)
    sign = 1.0 if active == "r" else -1.0
    key = {**start, "neck_pitch": start["neck_pitch"] + rng.uniform(0.0, 0.2)}
    frame = script.trunk(key)
    ear = head_point(script.subject, key, (sign * 0.09, rng.uniform(-0.02, 0.03), -0.1), frame)
    key.update(arm_to(script.subject, key, active, ear, (0.6, 0.4, -1.0), frame=frame))
    changes = {name: key[name] for name in ("neck_pitch", *_arm_channels(key, active))}
    script.move("hand to ear", rng.uniform(0.8, 1.3), loads, **changes)
    begin, hold = script.now, rng.uniform(2.0, 6.0)
    script.hold("phone", hold, loads)
    script.overlay(
        "neck_yaw", smooth_wave(rng, rng.uniform(0.1, 0.4), 0.05, 0.25), begin, begin + hold
    )
    if rng.random() < 0.5:
        script.overlay(f"{other}_elbow", smooth_wave(rng, 0.4, 0.3, 0.8), begin, begin + hold)
        script.overlay(f"{other}_sh_flex", smooth_wave(rng, 0.25, 0.3, 0.8), begin, begin + hold)
    down = {"neck_pitch": start["neck_pitch"], **_arm_channels(start, active)}
    script.move("hand down", rng.uniform(0.9, 1.4), loads, **down)


def eat(script: Script, rng: np.random.Generator, loads, seated: bool) -> None:
    """Eating, drinking or smoking: 1-4 times the hand to the mouth and back."""
    start = script.last
    active, other = _sides(rng)
    sign = 1.0 if active == "r" else -1.0
    frame = script.trunk()
    pelvis = frame.joints[0]
    if seated:  # over a table or the lap, in front of the body
        rest = pelvis + frame.pelvis @ np.array([sign * 0.15, rng.uniform(0.3, 0.45), 0.25])
    else:  # holding it at the waist
        rest = pelvis + frame.pelvis @ np.array([sign * 0.18, rng.uniform(0.2, 0.35), 0.2])
    holding = {
        **start,
        **arm_to(script.subject, start, active, rest, (0.4, -0.6, -1.0), frame=frame),
    }
    if rng.random() < 0.5:  # the other hand holds a plate or a cup
        plate = pelvis + frame.pelvis @ np.array([-sign * 0.12, rng.uniform(0.25, 0.35), 0.22])
        holding.update(
            arm_to(script.subject, holding, other, plate, (0.4, -0.6, -1.0), frame=frame)
        )
    script.move("take food", rng.uniform(0.6, 1.0), loads, **arm_channels(holding, "rl"))
    mouth = head_point(script.subject, holding, (sign * 0.02, 0.12, -0.1), frame)
    to_mouth = arm_to(script.subject, holding, active, mouth, (0.5, 0.0, -1.0), frame=frame)
    for _ in range(int(rng.integers(1, 5))):
        script.move("hand to mouth", rng.uniform(0.7, 1.1), loads, **to_mouth)
        script.hold("bite", rng.uniform(0.3, 1.2), loads)
        script.move("hand down", rng.uniform(0.7, 1.1), loads, **_arm_channels(holding, active))
        script.hold("chew", rng.uniform(0.6, 2.5), loads)
    script.move("put down", rng.uniform(0.6, 1.0), loads, **arm_channels(start, "rl"))


def photo(script: Script, rng: np.random.Generator, loads) -> None:
    """Taking a photo: both hands before the face for 1-3 s."""
    start = script.last
    key = dict(start)
    for side, sign in SIDES:
        frame = script.trunk(key)
        target = head_point(script.subject, key, (sign * 0.07, 0.22, -0.06), frame)
        key.update(arm_to(script.subject, key, side, target, (0.8, 0.0, -1.0), frame=frame))
    script.move("camera up", rng.uniform(0.7, 1.2), loads, **arm_channels(key, "rl"))
    script.hold("photo", rng.uniform(1.0, 3.0), loads)
    script.move("camera down", rng.uniform(0.7, 1.2), loads, **arm_channels(start, "rl"))


def wait(script: Script, rng: np.random.Generator, loads) -> None:
    """Waiting: arms crossed, hands on the hips or behind the back, looking around."""
    start = script.last
    frame = script.trunk()
    kind = rng.integers(3)
    key = dict(start)
    for side, sign in SIDES:
        if kind == 0:  # arms crossed: forearms across the belly
            flex, rot = rng.uniform(0.35, 0.6), rng.uniform(0.9, 1.15)
            key.update(arm_pose(side, flex, 0.2, rot, 1.95))
            continue
        hip = frame.joints[1 if side == "r" else 4]
        offset = (sign * 0.06, -0.02, 0.08) if kind == 1 else (-sign * 0.02, -0.16, 0.05)
        target = hip + frame.pelvis @ np.array(offset)
        key.update(arm_to(script.subject, key, side, target, (1.0, -0.4, 0.0), frame=frame))
    script.move("settle arms", rng.uniform(0.7, 1.2), loads, **arm_channels(key, "rl"))
    begin, hold = script.now, rng.uniform(2.0, 5.0)
    script.hold("wait", hold, loads)
    script.overlay(
        "neck_yaw", smooth_wave(rng, rng.uniform(0.3, 0.8), 0.05, 0.2), begin, begin + hold
    )
    script.move("arms down", rng.uniform(0.7, 1.2), loads, **arm_channels(start, "rl"))


def lean(script: Script, rng: np.random.Generator, loads) -> None:
    """Seated: leaning back against the backrest, or forward with the hands on the knees."""
    start = script.last
    key = dict(start)
    if rng.random() < 0.5:
        key.update(lean=rng.uniform(-0.35, -0.2), spine_bend=rng.uniform(-0.1, 0.15))
        key.update(relaxed_arms(rng))
    else:
        key.update(lean=rng.uniform(0.1, 0.3), spine_bend=rng.uniform(0.3, 0.6))
        key["neck_pitch"] = rng.uniform(-0.3, 0.0)
        knees = script.frame(key).joints[[2, 5]]
        for (side, sign), knee in zip(SIDES, knees, strict=True):
            target = knee + np.array([-sign * 0.03, 0.02, 0.08])
            key.update(arm_to(script.subject, key, side, target, (0.6, -0.3, -1.0)))
    changes = {n: key[n] for n in ("lean", "spine_bend", "neck_pitch", *ARMS)}
    script.move("lean", rng.uniform(0.8, 1.4), loads, **changes)
    script.hold("leaning", rng.uniform(1.5, 4.0), loads)
    back = {n: start[n] for n in changes}
    script.move("sit up", rng.uniform(0.8, 1.4), loads, **back)


def upper_body(script: Script, rng: np.random.Generator, seconds: float, loads, seated: bool):
    """Activities, drawn at random, until ``seconds`` have passed."""
    end = script.now + seconds
    kinds = ["talk", "phone", "eat", "wait"] + (["lean", "lean"] if seated else ["photo"])
    while script.now < end:
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind == "talk":
            talk(script, rng, loads)
        elif kind == "phone":
            phone(script, rng, loads)
        elif kind == "eat":
            eat(script, rng, loads, seated)
        elif kind == "photo":
            photo(script, rng, loads)
        elif kind == "lean" and "seat" in loads:
            lean(script, rng, loads)
        else:
            wait(script, rng, loads)
