"""Key poses shared by the staged motions: standing, the pelvis height a leg allows, arms
reaching for points, and the geometry of a bent leg.

Keys are dicts over :data:`vidpose.synth.staging.CHANNELS` in the take frame (metres, z up,
floor at 0, facing +y); angles are radians.
"""

from __future__ import annotations

import numpy as np

from vidpose.synth import limbs
from vidpose.synth.body import (
    ANKLE_HEIGHT_M,
    LIMITS,
    Subject,
    body_rotations,
    clip_to_limits,
    forward_kinematics,
    hip_offset,
    shoulder_offset,
)
from vidpose.synth.staging import CHANNELS, KNEE_PREFERRED, KeyFrame, key_frame, solve

SIDES = (("r", 1.0), ("l", -1.0))


def relaxed_arms(rng: np.random.Generator) -> dict[str, float]:
    """Arms hanging loosely, elbows a little bent."""
    out = {}
    for side, _ in SIDES:
        out[f"{side}_sh_flex"] = rng.uniform(-0.1, 0.15)
        out[f"{side}_sh_abd"] = rng.uniform(0.08, 0.22)
        out[f"{side}_sh_rot"] = rng.uniform(-0.1, 0.4)
        out[f"{side}_elbow"] = rng.uniform(0.1, 0.45)
    return out


def arm_pose(side: str, flex: float, abd: float, rot: float, elbow: float) -> dict[str, float]:
    """The four angle channels of arm ``side`` (radians)."""
    return {
        f"{side}_sh_flex": flex,
        f"{side}_sh_abd": abd,
        f"{side}_sh_rot": rot,
        f"{side}_elbow": elbow,
    }


def pelvis_rotation(key: dict[str, float]) -> np.ndarray:
    """The pelvis's rotation (3, 3) in the take frame for a key's yaw, lean, roll and turn."""
    params = {"heading": np.array([key["yaw"]])}
    params.update({name: np.array([key[name]]) for name in ("lean", "roll", "turn")})
    return body_rotations(clip_to_limits(params))[0][0]


def pelvis_height(subject: Subject, key: dict[str, float], knee: float, sides: str = "rl") -> float:
    """The pelvis height at which the straighter of the legs ``sides`` bends its knee by
    ``knee`` radians with its ankle where ``key`` puts it (pelvis x, y and rotation kept)."""
    rot = pelvis_rotation(key)
    distance = limbs.reach(subject.bones["thigh"], subject.bones["shin"], knee)
    heights = []
    for side, sign in SIDES:
        if side not in sides:
            continue
        hip = rot @ hip_offset(subject, sign)
        flat = np.hypot(
            key["pelvis_x"] + hip[0] - key[f"{side}_ankle_x"],
            key["pelvis_y"] + hip[1] - key[f"{side}_ankle_y"],
        )
        if flat >= distance:
            raise ValueError(f"the {side} foot is {flat:.2f} m away, beyond the leg's reach")
        heights.append(key[f"{side}_ankle_z"] + np.sqrt(distance**2 - flat**2) - hip[2])
    return float(min(heights))


def bent_leg(subject: Subject, knee: float, shin_tilt: float) -> tuple[float, float]:
    """(forward, up) of the hip from the ankle, metres, of a leg in a vertical plane whose shin
    leans ``shin_tilt`` forward of vertical and whose knee bends by ``knee``."""
    thigh, shin = subject.bones["thigh"], subject.bones["shin"]
    forward = shin * np.sin(shin_tilt) + thigh * np.sin(shin_tilt - knee)
    up = shin * np.cos(shin_tilt) + thigh * np.cos(shin_tilt - knee)
    return float(forward), float(up)


def stand(subject: Subject, rng: np.random.Generator, x: float = 0.0, y: float = 0.0) -> dict:
    """A relaxed standing key at (x, y): feet about hip width apart, knees nearly straight."""
    key = dict.fromkeys(CHANNELS, 0.0)
    half_width, stagger = rng.uniform(0.08, 0.15), rng.uniform(-0.08, 0.08)
    key.update(
        pelvis_x=x + rng.uniform(-0.02, 0.02),
        pelvis_y=y + rng.uniform(-0.01, 0.04),
        sway=1.0,
        yaw=rng.uniform(-0.1, 0.1),
        lean=rng.uniform(-0.04, 0.08),
        spine_bend=rng.uniform(-0.05, 0.12),
        neck_pitch=rng.uniform(-0.05, 0.15),
        r_ankle_x=x + half_width,
        r_ankle_y=y + stagger / 2,
        r_ankle_z=ANKLE_HEIGHT_M,
        l_ankle_x=x - half_width,
        l_ankle_y=y - stagger / 2,
        l_ankle_z=ANKLE_HEIGHT_M,
        r_swivel=rng.uniform(0.0, 0.3),
        l_swivel=rng.uniform(0.0, 0.3),
    )
    key.update(relaxed_arms(rng))
    key["pelvis_z"] = pelvis_height(subject, key, rng.uniform(0.04, 0.14))
    return key


_ARM_JOINTS = (("flex", "sh_flex"), ("abd", "sh_abd"), ("rot", "sh_rot"), ("bend", "elbow"))


def _arm_solutions(subject: Subject, frame, side: str, target, elbow_towards, swivels):
    """Arm angles (n,), clipped 0.1 rad inside the limits, for each of ``swivels`` (n,), and
    how far (radians, summed) they had to be clipped (n,)."""
    sign = 1.0 if side == "r" else -1.0
    count = len(swivels)
    shoulder = frame.joints[8] + frame.chest @ shoulder_offset(subject, sign)
    preferred = frame.chest @ (np.array(elbow_towards, np.float64) * np.array([sign, 1.0, 1.0]))
    target = np.asarray(target, np.float64)
    lateral = frame.chest @ np.array([sign, 0.0, 0.0])
    outward = 1.0 if np.dot(np.cross(target - shoulder, preferred), lateral) >= 0 else -1.0
    repeat = np.ones((count, 1))
    upper, lower = subject.bones["upper_arm"], subject.bones["forearm"]
    swivels = np.asarray(swivels, np.float64)
    elbow, wrist = limbs.middle_joint(
        shoulder * repeat, target * repeat, preferred * repeat, swivels, upper, lower, outward
    )
    limits = {a: LIMITS[f"{side}_{j}"] for a, j in _ARM_JOINTS[:3]}
    chest = np.broadcast_to(frame.chest, (count, 3, 3))
    angles = limbs.limb_angles(chest, shoulder * repeat, elbow, wrist, sign, 1.0, limits)
    out, clipped = {}, np.zeros(count)
    for name, joint in _ARM_JOINTS:
        low, high = LIMITS[f"{side}_{joint}"]
        out[f"{side}_{joint}"] = np.clip(angles[name], low + 0.1, high - 0.1)
        clipped += np.abs(out[f"{side}_{joint}"] - angles[name])
    return out, clipped


#: Swivels tried, in order, until the arm's angles fit inside its limits.
_SWIVELS = np.array([0.0, 0.4, -0.4, 0.8, -0.8, 1.2, -1.2, 1.6, -1.6, 2.0, -2.0])


def arm_to(
    subject: Subject,
    key: dict[str, float],
    side: str,
    target: np.ndarray,
    elbow_towards: tuple[float, float, float],
    swivel: float = 0.0,
    frame: KeyFrame | None = None,
) -> dict[str, float]:
    """The four angles of arm ``side`` putting its wrist at ``target`` (3,) in the take frame,
    or as near as the arm reaches within its limits, for the trunk and neck of ``key``
    (``frame``, when given, is ``key`` solved: the arms do not change it).

    ``elbow_towards`` is the direction, in the chest frame with x to the arm's own side (so
    one value serves both arms), the elbow should point to; ``swivel`` turns it about the
    shoulder -> wrist axis, away from the body when positive; where the angles would leave
    the arm's limits the elbow is turned further, up to 2 rad either way.
    """
    frame = frame or key_frame(subject, key)
    swivels = swivel + _SWIVELS  # the elbow turns from where it is preferred if it must
    angles, clipped = _arm_solutions(subject, frame, side, target, elbow_towards, swivels)
    fits = np.flatnonzero(clipped == 0)
    pick = int(fits[0]) if len(fits) else int(np.argmin(clipped))
    return {name: float(value[pick]) for name, value in angles.items()}


def leg_channels(
    side: str, hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, preferred: np.ndarray
) -> dict[str, float]:
    """The ankle and swivel channels of leg ``side`` with its hip, knee and ankle joints at
    these points (3,); ``preferred`` is :data:`~vidpose.synth.staging.KNEE_PREFERRED` in the
    world frame (turned by the pelvis)."""
    sign = 1.0 if side == "r" else -1.0
    swivel = limbs.swivel_of(hip[None], ankle[None], knee[None], preferred[None], sign)[0]
    out = {f"{side}_ankle_{axis}": float(v) for axis, v in zip("xyz", ankle, strict=True)}
    out[f"{side}_swivel"] = float(swivel)
    return out


def leg_at(
    subject: Subject,
    key: dict[str, float],
    side: str,
    flex: float,
    abd: float,
    rot: float,
    knee: float,
) -> dict[str, float]:
    """The ankle and swivel channels of leg ``side`` posed by these hip and knee angles
    (radians, as :mod:`vidpose.synth.body` names them) from ``key``'s pelvis."""
    params = {"heading": np.array([key["yaw"]])}
    for name in ("lean", "roll", "turn"):
        params[name] = np.array([key[name]])
    params["root_x"], params["root_y"] = np.array([key["pelvis_x"]]), np.array([key["pelvis_y"]])
    for name, value in (("hip_flex", flex), ("hip_abd", abd), ("hip_rot", rot), ("knee", knee)):
        params[f"{side}_{name}"] = np.array([value])
    joints = forward_kinematics(subject, params, pelvis_height=np.array([key["pelvis_z"]]))[0]
    hip, middle, ankle = joints[[1, 2, 3] if side == "r" else [4, 5, 6]]
    return leg_channels(side, hip, middle, ankle, pelvis_rotation(key) @ KNEE_PREFERRED)


def arm_above_floor(
    subject: Subject,
    key: dict[str, float],
    side: str,
    target: np.ndarray,
    elbow_towards: tuple[float, float, float],
    clearance: float = 0.07,
) -> dict[str, float]:
    """:func:`arm_to`, with the elbow swivelled (by up to 1.2 rad, the least that works) so
    that it stays ``clearance`` metres above the floor, for arms near the floor."""
    swivels = np.array(sorted(np.linspace(-1.2, 1.2, 13), key=abs))
    frame = key_frame(subject, key)
    angles, clipped = _arm_solutions(subject, frame, side, target, elbow_towards, swivels)
    options = {name: np.full(len(swivels), value) for name, value in key.items()}
    options.update(angles)
    elbow = 15 if side == "r" else 12
    height = solve(subject, options, {})[0][:, elbow, 2]  # with the angles as clipped
    # within the limits if any is: the least swivel that clears the floor, else the highest
    fits = clipped == 0
    allowed = fits if fits.any() else np.ones_like(fits)
    good = np.flatnonzero((height >= clearance) & allowed)
    pick = int(good[0]) if len(good) else int(np.argmax(np.where(allowed, height, -np.inf)))
    return {name: float(value[pick]) for name, value in angles.items()}


def head_point(
    subject: Subject,
    key: dict[str, float],
    offset: tuple[float, float, float],
    frame: KeyFrame | None = None,
):
    """A point (3,) fixed to the head of ``key``: ``offset`` metres from the head's centre
    (between the nose-level neck joint and the head top) in the head frame (x right, y
    forward, z up). ``frame``, when given, is ``key`` solved."""
    frame = frame or key_frame(subject, key)
    centre = 0.5 * (frame.joints[9] + frame.joints[10])
    return centre + frame.head @ np.asarray(offset, np.float64)
