"""Staged motions: key poses joined by minimum-jerk moves, with legs solved by inverse kinematics.

A :class:`Script` is a list of *key poses* (values of :data:`CHANNELS`) and the segments between
them, each named (``"sit down"``, ``"hold"``) and listing what bears weight during it
(:data:`CONTACTS`). Channels move from one key to the next along a minimum-jerk profile
(zero velocity and acceleration at both ends, as human point-to-point movements do), so a
segment's duration is its movement time. Trunk, neck and arms are joint angles; the pelvis is a
position; each leg is the position of its ankle and a swivel (where its knee points). Keys are
described in a *take frame*: metres, z up, floor at z = 0, facing +y at yaw 0.

:func:`perform` turns a script into world joints: it samples the channels at 50 fps, adds small
per-take tremor and postural sway, solves the legs analytically (:mod:`vidpose.synth.limbs`)
so that each ankle is exactly at its channel position, lowers the pelvis where a loaded leg
could not reach its foot, tips it back where a hip would flex past its limit, and poses the
body (:func:`vidpose.synth.body.posed_joints`). A loaded foot therefore cannot skate:
:meth:`Script.move` refuses a key that moves a loaded foot or knee.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vidpose.synth import limbs
from vidpose.synth.body import (
    LIMITS,
    Subject,
    body_rotations,
    clip_to_limits,
    hip_offset,
    posed_joints,
)

FPS = 50.0

TRUNK = ("yaw", "lean", "roll", "turn", "spine_bend", "spine_side", "spine_twist")
NECK = ("neck_pitch", "neck_yaw")
ARMS = tuple(f"{s}_{j}" for s in "rl" for j in ("sh_flex", "sh_abd", "sh_rot", "elbow"))
LEGS = tuple(f"{s}_{j}" for s in "rl" for j in ("ankle_x", "ankle_y", "ankle_z", "swivel"))
#: Every channel of a key pose. ``sway`` (0 to 1) scales postural sway of the pelvis.
CHANNELS = ("pelvis_x", "pelvis_y", "pelvis_z", "sway") + TRUNK + NECK + ARMS + LEGS

#: What can bear weight: flat feet (ankle at its standing height), knees, a seat, and the
#: floor under the trunk (lying or sitting on it).
CONTACTS = ("r_foot", "l_foot", "r_knee", "l_knee", "seat", "floor")
#: Both feet: the loads of a standing segment.
FEET = frozenset({"r_foot", "l_foot"})

#: Height of a knee joint above the floor when kneeling on it (metres).
KNEE_ON_FLOOR_M = 0.06

#: Where a knee points at swivel 0, in the pelvis frame: forward and a little up, which is
#: never along the leg in a human pose (standing, sitting, kneeling or lying).
KNEE_PREFERRED = np.array([0.0, 1.0, 0.3]) / np.hypot(1.0, 0.3)

_PELVIS = ("pelvis_x", "pelvis_y", "pelvis_z", "yaw", "lean", "roll", "turn")
_UPPER = ("pelvis_x", "pelvis_y", "pelvis_z", *TRUNK, *NECK)


def long_enough(rng: np.random.Generator, num_frames: int) -> float:
    """Seconds a motion's script runs to, at least: the take's ``num_frames`` at :data:`FPS`
    and 2-8 s more (one uniform draw from ``rng``)."""
    return num_frames / FPS + rng.uniform(2.0, 8.0)


def min_jerk(tau: np.ndarray) -> np.ndarray:
    """The minimum-jerk profile 10 t^3 - 15 t^4 + 6 t^5 of t clipped to [0, 1]."""
    tau = np.clip(tau, 0.0, 1.0)
    return tau**3 * (10.0 - 15.0 * tau + 6.0 * tau**2)


@dataclass
class Segment:
    """The move (or hold) from one key pose to the next."""

    name: str
    start: float  # seconds from the script's start
    end: float
    loads: frozenset[str]
    bumps: dict[str, float] = field(default_factory=dict)  # channel -> mid-segment excursion


@dataclass(frozen=True)
class Performance:
    """A take: world joints and what made them.

    ``params``: the pose parameters of :mod:`vidpose.synth.body` (F,) before any clipping;
    ``contacts``: for each of :data:`CONTACTS`, (F,) bool, whether it bears weight;
    ``phases``: (name, start, end) of each segment in seconds from the take's first frame;
    ``props``: sizes of the furniture it uses (e.g. ``seat_height``, metres), in the world.
    """

    joints: np.ndarray  # (F, 17, 3) world metres, z up
    params: dict[str, np.ndarray]
    contacts: dict[str, np.ndarray]
    phases: tuple[tuple[str, float, float], ...]
    props: dict[str, float]


class Script:
    """Key poses of one take in the take frame, appended in time order."""

    def __init__(self, subject: Subject, start: dict[str, float]):
        missing = set(CHANNELS) - set(start)
        if missing:
            raise ValueError(f"start key lacks channels {sorted(missing)}")
        self.subject = subject
        self.keys = [{name: float(start[name]) for name in CHANNELS}]
        self.times = [0.0]
        self.segments: list[Segment] = []
        self.overlays: list[tuple[str, float, float, object]] = []
        self.props: dict[str, float] = {}
        self._trunks: dict[tuple[float, ...], KeyFrame] = {}

    @property
    def now(self) -> float:
        return self.times[-1]

    @property
    def last(self) -> dict[str, float]:
        return dict(self.keys[-1])

    def move(
        self,
        name: str,
        seconds: float,
        loads: set[str] | frozenset[str],
        bumps: dict[str, float] | None = None,
        **changes: float,
    ) -> None:
        """Append a segment of ``seconds`` ending in the last key with ``changes``.

        ``bumps`` adds a smooth excursion (amplitude * sin^2(pi t)) to channels in mid-move,
        e.g. the forward lean of sitting down. A loaded foot or knee must not move.
        """
        unknown = set(changes) - set(CHANNELS)
        if unknown or seconds <= 0:
            raise ValueError(f"{name}: bad channels {sorted(unknown)} or duration {seconds}")
        before, after = self.keys[-1], {**self.keys[-1], **changes}
        for contact in loads:
            if contact not in CONTACTS:
                raise ValueError(f"{name}: unknown contact {contact!r}")
            side = contact[0]
            fixed = [f"{side}_ankle_x", f"{side}_ankle_y", f"{side}_ankle_z"]
            if contact.endswith("_knee"):
                fixed += [f"{side}_swivel", *_PELVIS]
            if contact[1:] in ("_foot", "_knee") and any(after[c] != before[c] for c in fixed):
                raise ValueError(f"{name}: the loaded {contact} would move")
            if contact.endswith("_knee") and bumps and set(bumps) & set(_PELVIS):
                raise ValueError(f"{name}: the loaded {contact} would move")
        self.keys.append({k: float(v) for k, v in after.items()})
        self.segments.append(
            Segment(name, self.now, self.now + seconds, frozenset(loads), bumps or {})
        )
        self.times.append(self.now + seconds)

    def hold(self, name: str, seconds: float, loads: set[str] | frozenset[str]) -> None:
        """Append a segment of ``seconds`` in which the key pose stays as it is."""
        self.move(name, seconds, loads)

    def overlay(self, channel: str, signal, start: float, end: float) -> None:
        """Add ``signal(t)`` (t: seconds from ``start``, array) to ``channel`` between ``start``
        and ``end``, faded in and out over 0.3 s."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        self.overlays.append((channel, start, end, signal))

    def frame(self, key: dict[str, float] | None = None) -> KeyFrame:
        """Joints and segment rotations of ``key`` (default the last), without sway or tremor."""
        return key_frame(self.subject, key or self.keys[-1])

    def trunk(self, key: dict[str, float] | None = None) -> KeyFrame:
        """:func:`trunk_frame` of ``key`` (default the last), remembered per trunk pose."""
        key = key or self.keys[-1]
        name = tuple(key[c] for c in _UPPER)
        if name not in self._trunks:
            self._trunks[name] = trunk_frame(self.subject, key)
        return self._trunks[name]


@dataclass(frozen=True)
class KeyFrame:
    """One key pose solved: joints (17, 3) in the take frame and world rotations (3, 3)."""

    joints: np.ndarray
    pelvis: np.ndarray
    chest: np.ndarray
    head: np.ndarray


def trunk_frame(subject: Subject, key: dict[str, float]) -> KeyFrame:
    """:func:`key_frame` without solving the legs: of the joints only the pelvis, hips,
    spine, thorax, neck, head and arms are meaningful (and no hip-flexion guard is applied),
    for placing hands relative to the upper body cheaply."""
    params = _params({name: np.array([value]) for name, value in key.items()})
    clipped = clip_to_limits(params)
    rotations = body_rotations(clipped)
    joints = posed_joints(subject, clipped, rotations, pelvis_height=np.array([key["pelvis_z"]]))
    return KeyFrame(joints[0], *(rotation[0] for rotation in rotations))


def key_frame(subject: Subject, key: dict[str, float]) -> KeyFrame:
    """The joints and segment rotations of one key pose."""
    joints, _, (pelvis, chest, head) = solve(
        subject, {name: np.array([v]) for name, v in key.items()}, {}
    )
    return KeyFrame(joints[0], pelvis[0], chest[0], head[0])


def _sample(script: Script, t: np.ndarray) -> dict[str, np.ndarray]:
    """Channels (F,) at times ``t`` (seconds from the script's start)."""
    times = np.asarray(script.times)
    values = np.array([[key[name] for name in CHANNELS] for key in script.keys])
    if len(times) == 1:
        return {name: np.full(t.shape, values[0, i]) for i, name in enumerate(CHANNELS)}
    index = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    tau = (t - times[index]) / (times[index + 1] - times[index])
    s = min_jerk(tau)[:, None]
    table = values[index] + (values[index + 1] - values[index]) * s
    out = {name: table[:, i] for i, name in enumerate(CHANNELS)}
    inside = (tau >= 0) & (tau <= 1)
    bump = np.where(inside, np.sin(np.pi * np.clip(tau, 0, 1)) ** 2, 0.0)
    for k, segment in enumerate(script.segments):
        rows = index == k
        for name, amplitude in segment.bumps.items():
            out[name] = out[name] + np.where(rows, amplitude * bump, 0.0)
    for name, start, end, signal in script.overlays:
        fade = min_jerk((t - start) / 0.3) * min_jerk((end - t) / 0.3)
        live = fade > 0
        if live.any():
            add = np.zeros_like(t)
            add[live] = fade[live] * signal(t[live] - start)
            out[name] = out[name] + add
    return out


def _params(ch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Body parameters of the trunk, neck and arms (legs come from :func:`solve`)."""
    params = {"heading": ch["yaw"], "root_x": ch["pelvis_x"], "root_y": ch["pelvis_y"]}
    for name in TRUNK[1:] + NECK + ARMS:
        params[name] = ch[name]
    return params


#: The most a hip flexes in a staged motion (radians): the pelvis tips back instead, as it does
#: at the bottom of a deep squat.
HIP_FLEX_GUARD = LIMITS["r_hip_flex"][1] - 0.02


def solve(
    subject: Subject, ch: dict[str, np.ndarray], loaded: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Joints (F, 17, 3), body parameters (F,) and the pelvis, chest and head rotations
    (F, 3, 3) of channels ``ch`` (take frame).

    The legs reach their ankle channels exactly; where a leg whose foot is ``loaded`` (F,)
    could not, the pelvis is lowered until it can (its height follows from the leg). Where a
    hip would flex beyond :data:`HIP_FLEX_GUARD`, the pelvis leans back by the excess.
    """
    params = _params(ch)
    clipped = clip_to_limits(params)
    rotations = body_rotations(clipped)
    pelvis, legs = _legs(subject, ch, rotations[0], loaded)
    for _ in range(3):  # exact in one pass unless the pelvis rolls or turns
        excess = np.maximum(legs["r_hip_flex"], legs["l_hip_flex"]) - HIP_FLEX_GUARD
        if not np.any(excess > 0):
            break
        params["lean"] = params["lean"] - np.maximum(excess, 0.0)
        clipped = clip_to_limits(params)
        rotations = body_rotations(clipped)
        pelvis, legs = _legs(subject, ch, rotations[0], loaded)
    for name, value in legs.items():
        params[name] = value
        low, high = LIMITS[name]
        clipped[name] = np.minimum(np.maximum(value, low), high)
    for name, value in (("root_x", pelvis[:, 0]), ("root_y", pelvis[:, 1])):
        params[name] = clipped[name] = value
    params["pelvis_z"] = pelvis[:, 2]
    joints = posed_joints(subject, clipped, rotations, pelvis_height=pelvis[:, 2])
    return joints, params, rotations


def _legs(
    subject: Subject, ch: dict[str, np.ndarray], pelvis_rot: np.ndarray, loaded
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The pelvis position (F, 3), lowered where a loaded leg cannot reach its foot, and the
    leg angles (F,) that put the ankles on their channels."""
    pelvis = np.stack([ch["pelvis_x"], ch["pelvis_y"], ch["pelvis_z"]], axis=-1)
    thigh, shin = subject.bones["thigh"], subject.bones["shin"]
    longest = limbs.reach(thigh, shin, 2 * limbs.MIN_BEND)
    ankles, hips = {}, {}
    for side, sign in (("r", 1.0), ("l", -1.0)):
        ankles[side] = np.stack([ch[f"{side}_ankle_{a}"] for a in "xyz"], axis=-1)
        hips[side] = pelvis_rot @ hip_offset(subject, sign)
        on = loaded.get(f"{side}_foot", False)
        if np.any(on):
            flat = np.sum((pelvis[:, :2] + hips[side][:, :2] - ankles[side][:, :2]) ** 2, -1)
            highest = ankles[side][:, 2] + np.sqrt(np.maximum(longest**2 - flat, 0.0))
            too_high = pelvis[:, 2] + hips[side][:, 2] - highest
            pelvis[:, 2] -= np.where(on, np.maximum(too_high, 0.0), 0.0)
    preferred = pelvis_rot @ KNEE_PREFERRED
    legs = {}
    for side, sign in (("r", 1.0), ("l", -1.0)):
        hip = pelvis + hips[side]
        knee, ankle = limbs.middle_joint(
            hip, ankles[side], preferred, ch[f"{side}_swivel"], thigh, shin, sign
        )
        angles = limbs.limb_angles(pelvis_rot, hip, knee, ankle, sign, -1.0)
        for name, key in (("hip_flex", "flex"), ("hip_abd", "abd"), ("hip_rot", "rot")):
            legs[f"{side}_{name}"] = angles[key]
        legs[f"{side}_knee"] = angles["bend"]
    return pelvis, legs


def _tremor(
    rng: np.random.Generator, t: np.ndarray, ch: dict[str, np.ndarray], calm: np.ndarray
) -> None:
    """Small per-take tremor of trunk, neck and arm angles, scaled by ``calm`` (F,), and
    postural sway, in place."""
    for name in TRUNK[4:] + NECK + ARMS:
        amp, freq, phase = rng.uniform([0.01, 0.1, 0.0], [0.04, 0.5, 2 * np.pi])
        scale = calm * (3.0 if name == "neck_yaw" else 1.0)
        ch[name] = ch[name] + scale * amp * np.sin(2 * np.pi * freq * t + phase)
    for name, high in (("pelvis_x", 0.015), ("pelvis_y", 0.015), ("yaw", 0.05), ("roll", 0.02)):
        amp, freq, phase = rng.uniform([0.3 * high, 0.1, 0.0], [high, 0.35, 2 * np.pi])
        ch[name] = ch[name] + ch["sway"] * amp * np.sin(2 * np.pi * freq * t + phase)


def perform(script: Script, num_frames: int, rng: np.random.Generator) -> Performance:
    """The take: ``num_frames`` frames at 50 fps from a random point of ``script``, placed at
    a random heading and spot within 0.8 m of the capture area's centre."""
    seconds = num_frames / FPS
    lead = rng.uniform(0.0, max(script.now - seconds, 0.0))
    t = lead + np.arange(num_frames) / FPS
    ch = _sample(script, t)
    times = np.asarray(script.times)
    index = np.clip(np.searchsorted(times, t, side="right") - 1, 0, max(len(times) - 2, 0))
    contacts = {name: np.zeros(num_frames, bool) for name in CONTACTS}
    for k, segment in enumerate(script.segments):
        for name in segment.loads:
            contacts[name] |= index == k
    _tremor(rng, t, ch, np.where(contacts["floor"], 0.3, 1.0))  # calmer lying on the floor
    for name in TRUNK[4:] + NECK + ARMS:  # overlays and tremor stay within the joints' range
        ch[name] = np.clip(ch[name], *LIMITS[name])
    joints, params, _ = solve(script.subject, ch, contacts)
    heading = rng.uniform(0.0, 2 * np.pi)
    angle, dist = rng.uniform(0.0, 2 * np.pi), rng.uniform(0.0, 0.8)
    base = np.array([dist * np.cos(angle), dist * np.sin(angle)])
    c, s = np.cos(heading), np.sin(heading)
    turn = np.array([[c, -s], [s, c]])
    joints[..., :2] = joints[..., :2] @ turn.T + base
    params["heading"] = params["heading"] + heading
    root = np.stack([params["root_x"], params["root_y"]], axis=-1) @ turn.T + base
    params["root_x"], params["root_y"] = root[:, 0], root[:, 1]
    phases = tuple((seg.name, seg.start - lead, seg.end - lead) for seg in script.segments)
    return Performance(joints, params, contacts, phases, dict(script.props))
