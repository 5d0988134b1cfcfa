"""Styled actions: periodic motions as closed-form functions of time, varied per sequence.

Each action maps time (seconds) and a :class:`Style` (speed, amplitude, phase, heading, side,
travel) to the pose parameters of :mod:`vidpose.synth.body`; forward kinematics with the
subject's bones and joint limits then gives anatomically plausible joints, the lower ankle on
the floor. Angles are in radians; hip flexion is relative to the pelvis (thigh angle + lean).
These actions do not plan their contacts (the staged motions of :mod:`vidpose.synth.staging`
do); the supporting feet are only kept near the planned position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vidpose.synth.body import LIMITS, Subject, forward_kinematics
from vidpose.synth.staging import FPS, Performance


@dataclass(frozen=True)
class Style:
    """How one sequence performs its action."""

    speed: float  # tempo multiplier
    amplitude: float  # range-of-motion multiplier
    phase: float  # radians
    heading: float  # initial facing, radians (0 faces +y)
    side: float  # +1 right, -1 left: the leading arm or leg
    start_xy: tuple[float, float]  # metres, near the capture-area centre
    drift_xy: tuple[float, float]  # amplitude of slow wandering, metres
    radius: float  # walking circle radius, metres
    direction: float  # +1 counter-clockwise, -1 clockwise
    wobble: tuple[tuple[float, float, float], ...]  # (amp rad, freq Hz, phase) per joint angle


def sample_style(rng: np.random.Generator) -> Style:
    angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.8)
    return Style(
        speed=float(rng.uniform(0.8, 1.25)),
        amplitude=float(rng.uniform(0.75, 1.1)),
        phase=float(rng.uniform(0, 2 * np.pi)),
        heading=float(rng.uniform(0, 2 * np.pi)),
        side=float(rng.choice([-1.0, 1.0])),
        start_xy=(float(dist * np.cos(angle)), float(dist * np.sin(angle))),
        drift_xy=(float(rng.uniform(0, 0.35)), float(rng.uniform(0, 0.35))),
        radius=float(rng.uniform(1.0, 1.8)),
        direction=float(rng.choice([-1.0, 1.0])),
        wobble=tuple(
            tuple(float(v) for v in rng.uniform([0.02, 0.1, 0.0], [0.07, 0.5, 6.3])) for _ in LIMITS
        ),
    )


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def _hold(w: np.ndarray) -> np.ndarray:
    """0 → 1 → 0 over a cycle with pauses at both ends (sit, stand, ...)."""
    return np.clip(0.5 - 0.8 * np.cos(w), 0.0, 1.0)


def _relaxed(t: np.ndarray) -> dict[str, np.ndarray]:
    z = np.zeros_like(t)
    return {
        "r_sh_abd": z + 0.12,
        "l_sh_abd": z + 0.12,
        "r_elbow": z + 0.2,
        "l_elbow": z + 0.2,
        "r_knee": z + 0.05,
        "l_knee": z + 0.05,
    }


def _in_place(t: np.ndarray, s: Style) -> dict[str, np.ndarray]:
    """Standing actions wander slowly and turn a little."""
    w = 2 * np.pi * 0.07 * t + s.phase
    return {
        "root_x": s.start_xy[0] + s.drift_xy[0] * np.sin(w),
        "root_y": s.start_xy[1] + s.drift_xy[1] * np.sin(0.8 * w + 1.0),
        "heading": s.heading + 0.25 * np.sin(0.6 * w),
    }


Anchor = str | None  # which point keeps the planned root_x/root_y: "feet", "r_foot", "l_foot"


def walking(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    w = 2 * np.pi * 0.9 * s.speed * t + s.phase
    a, lean = s.amplitude, 0.06
    theta = s.heading + s.direction * 1.15 * s.speed * t / s.radius
    p = _relaxed(t)
    p.update(
        # circles around the capture-area centre, like Human3.6M's walks
        root_x=s.radius * np.cos(theta),
        root_y=s.radius * np.sin(theta),
        heading=theta + (0.0 if s.direction > 0 else np.pi),
        lean=lean + 0 * t,
        spine_twist=0.12 * a * np.sin(w),
        r_hip_flex=lean + 0.1 + 0.42 * a * np.sin(w),
        l_hip_flex=lean + 0.1 - 0.42 * a * np.sin(w),
        r_knee=0.08 + 0.85 * a * _relu(np.cos(w + 0.5)),
        l_knee=0.08 + 0.85 * a * _relu(np.cos(w + 0.5 + np.pi)),
        r_sh_flex=-0.4 * a * np.sin(w),
        l_sh_flex=0.4 * a * np.sin(w),
        r_elbow=0.3 + 0.25 * _relu(-np.sin(w)),
        l_elbow=0.3 + 0.25 * _relu(np.sin(w)),
    )
    return p, None


def turning(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    w = 2 * np.pi * 1.4 * s.speed * t + s.phase
    a = s.amplitude
    p = _relaxed(t)
    p.update(_in_place(t, s))
    p.update(
        heading=s.heading + s.direction * (1.3 * s.speed * t + 0.3 * np.sin(0.5 * w)),
        neck_yaw=0.35 * s.direction + 0 * t,
        spine_twist=0.15 * s.direction + 0 * t,
        r_hip_flex=0.3 * a * _relu(np.sin(w)),
        l_hip_flex=0.3 * a * _relu(-np.sin(w)),
        r_knee=0.05 + 0.6 * a * _relu(np.sin(w)),
        l_knee=0.05 + 0.6 * a * _relu(-np.sin(w)),
        r_sh_abd=0.2 + 0.15 * _relu(np.sin(w)),
        l_sh_abd=0.2 + 0.15 * _relu(-np.sin(w)),
        r_elbow=0.5 + 0 * t,
        l_elbow=0.5 + 0 * t,
    )
    return p, "feet"


def waving(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    w = 2 * np.pi * 1.8 * s.speed * t + s.phase
    arm, other = ("r", "l") if s.side > 0 else ("l", "r")
    p = _relaxed(t)
    p.update(_in_place(t, s))
    raise_ = np.clip(0.8 - 0.9 * np.cos(2 * np.pi * 0.15 * t + s.phase), 0.0, 1.0)
    p.update(
        {
            f"{arm}_sh_abd": 0.15 + 1.45 * raise_,
            f"{arm}_sh_flex": 0.35 * raise_,
            f"{arm}_sh_rot": -1.4 * raise_,
            f"{arm}_elbow": 0.2 + raise_ * (1.2 + 0.45 * s.amplitude * np.sin(w)),
            f"{other}_elbow": 0.3 + 0 * t,
            "spine_side": -0.08 * s.side * raise_,
            "neck_yaw": 0.3 * s.side * raise_,
        }
    )
    return p, "feet"


def reaching(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    w = 2 * np.pi * 0.3 * s.speed * t + s.phase
    r, l = _relu(np.sin(w)), _relu(-np.sin(w))
    a = s.amplitude
    p = _relaxed(t)
    p.update(_in_place(t, s))
    p.update(
        r_sh_flex=0.1 + 2.7 * a * r,
        l_sh_flex=0.1 + 2.7 * a * l,
        r_sh_abd=0.12 + 0.5 * r,
        l_sh_abd=0.12 + 0.5 * l,
        r_elbow=0.4 * (1 - r),
        l_elbow=0.4 * (1 - l),
        spine_side=0.22 * (r - l),
        spine_twist=0.25 * (l - r) * s.side,
        neck_pitch=-0.45 * (r + l),
        lift=0.05 * (r + l) ** 2,
    )
    return p, "feet"


def kicking(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    w = 2 * np.pi * 0.6 * s.speed * t + s.phase
    leg, stance = ("r", "l") if s.side > 0 else ("l", "r")
    kick = _relu(np.sin(w)) ** 2
    chamber = _relu(np.sin(w + 0.9))
    p = _relaxed(t)
    p.update(_in_place(t, s))
    p.update(
        {
            "lean": -0.2 * kick,
            f"{leg}_hip_flex": -0.25 * _relu(-np.sin(w)) + 1.55 * s.amplitude * kick,
            f"{leg}_knee": 0.1 + 1.4 * chamber * (1 - 0.9 * kick),
            f"{stance}_knee": 0.15 + 0.1 * kick,
            f"{stance}_hip_flex": 0.1 - 0.2 * kick,
            "r_sh_abd": 0.5 + 0.35 * kick,
            "l_sh_abd": 0.5 + 0.35 * kick,
            "r_elbow": 0.6 + 0 * t,
            "l_elbow": 0.6 + 0 * t,
        }
    )
    return p, f"{stance}_foot"


def jumping(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    """Jumping jacks: arms and legs out and in, airborne on each switch."""
    w = 2 * np.pi * 0.9 * s.speed * t + s.phase
    c = (1 - np.cos(w)) / 2
    air = np.abs(np.sin(w))
    p = _relaxed(t)
    p.update(_in_place(t, s))
    p.update(
        r_sh_abd=0.15 + 2.75 * s.amplitude * c,
        l_sh_abd=0.15 + 2.75 * s.amplitude * c,
        r_elbow=0.3 - 0.2 * c,
        l_elbow=0.3 - 0.2 * c,
        r_hip_abd=0.03 + 0.32 * c,
        l_hip_abd=0.03 + 0.32 * c,
        r_knee=0.1 + 0.4 * (1 - air),
        l_knee=0.1 + 0.4 * (1 - air),
        r_hip_flex=0.05 + 0.25 * (1 - air),
        l_hip_flex=0.05 + 0.25 * (1 - air),
        lean=0.1 * (1 - air),
        lift=0.12 * s.amplitude * air**2,
    )
    return p, "feet"


def boxing(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    w = 2 * np.pi * 1.1 * s.speed * t + s.phase
    pr, pl = _relu(np.sin(w)) ** 3, _relu(-np.sin(w)) ** 3
    lean = 0.15
    p = _relaxed(t)
    p.update(_in_place(t, s))
    p.update(
        lean=lean + 0 * t,
        r_hip_flex=lean + 0.25 * s.side + 0.1,
        l_hip_flex=lean - 0.25 * s.side + 0.1,
        r_knee=0.35 + 0 * t,
        l_knee=0.35 + 0 * t,
        spine_twist=0.45 * (pl - pr),
        r_sh_flex=lean + 0.75 + 0.75 * s.amplitude * pr,
        l_sh_flex=lean + 0.75 + 0.75 * s.amplitude * pl,
        r_sh_abd=0.35 - 0.2 * pr,
        l_sh_abd=0.35 - 0.2 * pl,
        r_sh_rot=0.45 * (1 - pr),
        l_sh_rot=0.45 * (1 - pl),
        r_elbow=2.1 * (1 - pr) + 0.1,
        l_elbow=2.1 * (1 - pl) + 0.1,
        neck_pitch=0.15 + 0 * t,
    )
    return p, "feet"


def stretching(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    """Both arms overhead, bending the trunk from side to side."""
    w = 2 * np.pi * 0.25 * s.speed * t + s.phase
    up = np.clip(0.5 - 1.2 * np.cos(0.5 * w), 0.0, 1.0)
    side = np.sin(w) * up
    p = _relaxed(t)
    p.update(_in_place(t, s))
    p.update(
        r_sh_abd=0.12 + 2.6 * up,
        l_sh_abd=0.12 + 2.6 * up,
        r_elbow=0.2 + 0.3 * up,
        l_elbow=0.2 + 0.3 * up,
        spine_side=0.45 * s.amplitude * side,
        roll=0.1 * side,
        r_hip_abd=0.12 + 0 * t,
        l_hip_abd=0.12 + 0 * t,
    )
    return p, "feet"


def phoning(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    """Holding a phone to the ear, shifting weight and gesturing with the free hand."""
    w = 2 * np.pi * 0.4 * s.speed * t + s.phase
    arm, other = ("r", "l") if s.side > 0 else ("l", "r")
    p = _relaxed(t)
    p.update(_in_place(t, s))
    p.update(
        {
            "heading": s.heading + 0.6 * np.sin(0.25 * w),
            f"{arm}_sh_flex": 1.4 + 0 * t,
            f"{arm}_sh_abd": 0.9 + 0 * t,
            f"{arm}_sh_rot": 0.3 + 0 * t,
            f"{arm}_elbow": 2.55 + 0 * t,
            f"{other}_sh_flex": 0.3 + 0.35 * s.amplitude * _relu(np.sin(w)),
            f"{other}_elbow": 0.4 + 0.9 * s.amplitude * _relu(np.sin(w)),
            f"{other}_sh_rot": 0.4 * _relu(np.sin(w)),
            "neck_pitch": 0.15 + 0.1 * np.sin(0.5 * w),
            "neck_yaw": -0.25 * s.side + 0 * t,
            "spine_side": 0.06 * np.sin(0.5 * w),
            "r_knee": 0.05 + 0.12 * _relu(np.sin(0.5 * w)),
            "l_knee": 0.05 + 0.12 * _relu(-np.sin(0.5 * w)),
        }
    )
    return p, "feet"


def pointing(t: np.ndarray, s: Style) -> tuple[dict, Anchor]:
    """Giving directions: an outstretched arm pointing here and there, the body following."""
    w = 2 * np.pi * 0.2 * s.speed * t + s.phase
    r, l = _hold(w), _hold(w + np.pi)
    sweep = np.sin(2.3 * w)
    p = _relaxed(t)
    p.update(_in_place(t, s))
    p.update(
        # the pointing arm stretches out; the other hand goes to the hip
        r_sh_flex=0.1 + 1.45 * r * s.amplitude - 0.3 * l,
        l_sh_flex=0.1 + 1.45 * l * s.amplitude - 0.3 * r,
        r_sh_abd=0.12 + r * (0.5 + 0.5 * sweep) + 0.5 * l,
        l_sh_abd=0.12 + l * (0.5 - 0.5 * sweep) + 0.5 * r,
        r_sh_rot=0.6 * l,
        l_sh_rot=0.6 * r,
        r_elbow=0.05 + 0.25 * (1 - r) + 1.6 * l,
        l_elbow=0.05 + 0.25 * (1 - l) + 1.6 * r,
        spine_twist=0.3 * (l - r) * (0.5 + 0.5 * sweep),
        neck_yaw=0.5 * (l - r),
        r_hip_flex=0.15 * r,
        r_knee=0.1 * r,
    )
    return p, "feet"


_ANCHOR_JOINTS = {"feet": [3, 6], "r_foot": [3], "l_foot": [6]}

StyledFn = Callable[[np.ndarray, Style], tuple[dict, Anchor]]


def action_params(fn: StyledFn, num_frames: int, style: Style) -> tuple[dict, Anchor]:
    """Pose parameters (name -> (F,)) of action ``fn`` performed in ``style``, and its anchor."""
    t = np.arange(num_frames) / FPS
    params, anchor = fn(t, style)
    params.setdefault("root_x", np.full_like(t, style.start_xy[0]))
    params.setdefault("root_y", np.full_like(t, style.start_xy[1]))
    for (name, _), (amp, freq, phase) in zip(LIMITS.items(), style.wobble, strict=True):
        scale = 4.0 if name == "neck_yaw" else 1.0
        base = params.get(name, np.zeros_like(t))
        params[name] = base + scale * amp * np.sin(2 * np.pi * freq * t + phase)
    return params, anchor


def styled(fn: StyledFn) -> Callable[[Subject, int, np.random.Generator], Performance]:
    """The action ``fn`` as a performer: ``rng`` draws its :class:`Style`."""

    def perform(subject: Subject, num_frames: int, rng: np.random.Generator) -> Performance:
        params, anchor = action_params(fn, num_frames, sample_style(rng))
        joints = forward_kinematics(subject, params)
        if anchor is not None:
            # keep the supporting feet where the plan puts the body
            planted = joints[:, _ANCHOR_JOINTS[anchor], :2].mean(axis=1)
            target = np.stack([params["root_x"], params["root_y"]], axis=-1)
            joints[..., :2] += (target - planted)[:, None, :]
        return Performance(joints, params, {}, (), {})

    perform.__doc__ = fn.__doc__
    return perform
