"""Synthetic subjects: bone lengths, clothing, forward kinematics and joint limits.

World frame: metres, z up, floor at z = 0. A body's own frame has x to its right, y forward and
z up (right-handed), so a subject with heading 0 faces +y.

Pose parameters are named joint angles in radians, each an array over frames (F,); see
:data:`LIMITS` for the names and their anatomical ranges. :func:`forward_kinematics` turns
them into joint positions (F, 17, 3) whose bone lengths are exactly the subject's.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from vidpose import skeleton

#: Human3.6M mean bone lengths in metres (averaged over the training subjects), by child joint.
H36M_MEAN_BONES_M = {
    "hip": 0.133,  # pelvis -> hip, sideways
    "thigh": 0.450,
    "shin": 0.440,
    "spine": 0.233,  # pelvis -> spine
    "thorax": 0.252,  # spine -> thorax
    "neck": 0.121,  # thorax -> neck (nose level in Human3.6M)
    "head": 0.115,  # neck -> top of head
    "shoulder": 0.151,  # thorax -> shoulder, sideways
    "upper_arm": 0.280,
    "forearm": 0.250,
}

#: Overall body scale of each Human3.6M subject (female subjects are smaller).
SUBJECT_SCALE = {"S1": 0.95, "S5": 0.96, "S6": 1.04, "S7": 0.97, "S8": 1.02, "S9": 1.03, "S11": 1.0}

#: Joint limits in radians: name -> (low, high). Every pose parameter is clipped to these.
LIMITS: dict[str, tuple[float, float]] = {
    "lean": (-0.35, 1.0),  # pelvis pitch, forward positive; hip flexion is relative to it
    "roll": (-0.3, 0.3),
    "spine_bend": (-0.35, 1.2),
    "spine_side": (-0.5, 0.5),
    "spine_twist": (-0.7, 0.7),
    "neck_pitch": (-0.6, 0.8),
    "neck_yaw": (-1.2, 1.2),
    "r_hip_flex": (-0.5, 2.1),
    "l_hip_flex": (-0.5, 2.1),
    "r_hip_abd": (-0.3, 0.9),
    "l_hip_abd": (-0.3, 0.9),
    "r_knee": (0.0, 2.5),
    "l_knee": (0.0, 2.5),
    "r_sh_flex": (-1.0, 3.1),
    "l_sh_flex": (-1.0, 3.1),
    "r_sh_abd": (-0.2, 3.0),
    "l_sh_abd": (-0.2, 3.0),
    "r_sh_rot": (-1.6, 1.2),  # humeral rotation (internal positive): turns the elbow plane
    "l_sh_rot": (-1.6, 1.2),
    "r_elbow": (0.0, 2.6),
    "l_elbow": (0.0, 2.6),
}

#: Parameters that are not joint angles: heading (yaw, any value), position and lift (metres).
FREE = ("heading", "root_x", "root_y", "lift")
PARAMS = FREE + tuple(LIMITS)

ANKLE_HEIGHT_M = 0.08


@dataclass(frozen=True)
class Subject:
    """A synthetic person: bone lengths (metres), limb radii (metres) and colours (RGB 0-255)."""

    name: str
    bones: dict[str, float]
    radii: dict[str, float]
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    shirt: tuple[int, int, int]
    pants: tuple[int, int, int]
    shoes: tuple[int, int, int]
    short_sleeves: bool
    shorts: bool


def _colour(rng: np.random.Generator, low: int, high: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(low, high, size=3))


def make_subject(name: str) -> Subject:
    """The subject called ``name``: the same body and clothes for the same name, always.

    Human3.6M names get their subject's overall scale; any other name (from ``--motion``) is
    scaled by a value drawn from its name.
    """
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    scale = SUBJECT_SCALE.get(name, float(rng.uniform(0.93, 1.05)))
    bones = {
        key: float(value * scale * rng.uniform(0.96, 1.04))
        for key, value in H36M_MEAN_BONES_M.items()
    }
    build = float(rng.uniform(0.85, 1.2))  # slim to broad, independent of height
    radii = {
        "thigh": 0.075 * build,
        "shin": 0.055 * build,
        "upper_arm": 0.048 * build,
        "forearm": 0.040 * build,
        "neck": 0.050,
        "head": 0.105 * scale,
        "hand": 0.045,
        "foot": 0.045,
        "torso": 0.11 * build,
    }
    skins = [(241, 204, 177), (224, 172, 140), (198, 134, 103), (141, 85, 56), (92, 58, 40)]
    hairs = [(30, 25, 20), (70, 45, 25), (120, 80, 40), (200, 170, 110), (60, 60, 60)]
    return Subject(
        name=name,
        bones=bones,
        radii=radii,
        skin=skins[int(rng.integers(len(skins)))],
        hair=hairs[int(rng.integers(len(hairs)))],
        shirt=_colour(rng, 30, 240),
        pants=_colour(rng, 20, 160),
        shoes=_colour(rng, 10, 90),
        short_sleeves=bool(rng.random() < 0.5),
        shorts=bool(rng.random() < 0.25),
    )


def _rot_x(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(angle), np.zeros_like(angle)
    return np.stack([o, z, z, z, c, -s, z, s, c], axis=-1).reshape(*angle.shape, 3, 3)


def _rot_y(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(angle), np.zeros_like(angle)
    return np.stack([c, z, s, z, o, z, -s, z, c], axis=-1).reshape(*angle.shape, 3, 3)


def _rot_z(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(angle), np.zeros_like(angle)
    return np.stack([c, -s, z, s, c, z, z, z, o], axis=-1).reshape(*angle.shape, 3, 3)


def _apply(rot: np.ndarray, vec) -> np.ndarray:
    return np.einsum("fij,j->fi", rot, np.asarray(vec, dtype=np.float64))


def clip_to_limits(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``params`` with every joint angle clipped to :data:`LIMITS` (missing ones set to 0)."""
    frames = len(params["heading"])
    out = {name: np.asarray(params.get(name, np.zeros(frames)), np.float64) for name in PARAMS}
    for name, (low, high) in LIMITS.items():
        out[name] = np.clip(out[name], low, high)
    return out


def forward_kinematics(subject: Subject, params: dict[str, np.ndarray]) -> np.ndarray:
    """World joint positions (F, 17, 3), metres, z up, feet on the floor (z = 0).

    ``params`` maps the names of :data:`PARAMS` to arrays (F,); joint angles are clipped to
    :data:`LIMITS` first. The pelvis height is set so the lower ankle rests on the floor, plus
    ``lift`` (for jumps).
    """
    p = clip_to_limits(params)
    b = subject.bones
    frames = len(p["heading"])
    down = np.array([0.0, 0.0, -1.0])
    up = -down
    # torso pitches are negated so that positive lean / bend / nod all tip forward (+y)
    root_rot = _rot_z(p["heading"]) @ _rot_x(-p["lean"]) @ _rot_y(p["roll"])
    lower_spine = root_rot @ _rot_x(-0.4 * p["spine_bend"])
    chest = (
        lower_spine
        @ _rot_x(-0.6 * p["spine_bend"])
        @ _rot_y(p["spine_side"])
        @ _rot_z(p["spine_twist"])
    )
    head_rot = chest @ _rot_z(p["neck_yaw"]) @ _rot_x(-p["neck_pitch"])

    joints = np.zeros((frames, skeleton.NUM_JOINTS, 3))
    for side, sign, hip, knee, ankle in (("r", 1.0, 1, 2, 3), ("l", -1.0, 4, 5, 6)):
        joints[:, hip] = _apply(root_rot, _unit([sign, 0.0, -0.08]) * b["hip"])
        # abduction moves the leg away from the midline: +x for the right leg, -x for the left
        thigh = root_rot @ _rot_x(p[f"{side}_hip_flex"]) @ _rot_y(-sign * p[f"{side}_hip_abd"])
        joints[:, knee] = joints[:, hip] + _apply(thigh, down * b["thigh"])
        shin = thigh @ _rot_x(-p[f"{side}_knee"])
        joints[:, ankle] = joints[:, knee] + _apply(shin, down * b["shin"])

    joints[:, 7] = _apply(lower_spine, up * b["spine"])
    joints[:, 8] = joints[:, 7] + _apply(chest, up * b["thorax"])
    joints[:, 9] = joints[:, 8] + _apply(head_rot, _unit([0.0, 0.35, 1.0]) * b["neck"])
    joints[:, 10] = joints[:, 9] + _apply(head_rot, _unit([0.0, -0.15, 1.0]) * b["head"])
    for side, sign, shoulder, elbow, wrist in (("l", -1.0, 11, 12, 13), ("r", 1.0, 14, 15, 16)):
        collar = _unit([sign, 0.0, -0.12]) * b["shoulder"]
        joints[:, shoulder] = joints[:, 8] + _apply(chest, collar)
        upper = (
            chest
            @ _rot_x(p[f"{side}_sh_flex"])
            @ _rot_y(-sign * p[f"{side}_sh_abd"])
            @ _rot_z(sign * p[f"{side}_sh_rot"])
        )
        joints[:, elbow] = joints[:, shoulder] + _apply(upper, down * b["upper_arm"])
        fore = upper @ _rot_x(p[f"{side}_elbow"])
        joints[:, wrist] = joints[:, elbow] + _apply(fore, down * b["forearm"])

    lowest_ankle = np.minimum(joints[:, 3, 2], joints[:, 6, 2])
    joints[..., 0] += p["root_x"][:, None]
    joints[..., 1] += p["root_y"][:, None]
    joints[..., 2] += (ANKLE_HEIGHT_M - lowest_ankle + np.maximum(p["lift"], 0.0))[:, None]
    return joints


def _unit(vec) -> np.ndarray:
    vec = np.asarray(vec, dtype=np.float64)
    return vec / np.linalg.norm(vec)


def subject_bone_lengths(subject: Subject) -> np.ndarray:
    """The subject's 16 bone lengths (metres) in :data:`vidpose.skeleton.BONES` order."""
    by_child = {
        1: "hip",
        2: "thigh",
        3: "shin",
        4: "hip",
        5: "thigh",
        6: "shin",
        7: "spine",
        8: "thorax",
        9: "neck",
        10: "head",
        11: "shoulder",
        12: "upper_arm",
        13: "forearm",
        14: "shoulder",
        15: "upper_arm",
        16: "forearm",
    }
    return np.array([subject.bones[by_child[int(child)]] for child in skeleton.BONES[:, 0]])
