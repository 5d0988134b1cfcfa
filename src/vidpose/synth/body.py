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

from vidpose.pose import skeleton

#: Human3.6M's bone lengths in metres by the synthetic body's bone names: (mean, lowest and
#: highest subject mean), from :data:`vidpose.pose.skeleton.H36M_BONE_LENGTHS_MM` by each bone's
#: child joint (the right side's; the left is the same).
_CHILD_JOINTS = {
    "hip": 1,  # pelvis -> hip, sideways
    "thigh": 2,
    "shin": 3,
    "spine": 7,  # pelvis -> spine
    "thorax": 8,  # spine -> thorax
    "neck": 9,  # thorax -> neck (nose level in Human3.6M)
    "head": 10,  # neck -> top of head
    "shoulder": 14,  # thorax -> shoulder, sideways
    "upper_arm": 15,
    "forearm": 16,
}
H36M_BONES_M: dict[str, tuple[float, float, float]] = {
    name: tuple(value / 1000.0 for value in skeleton.H36M_BONE_LENGTHS_MM[child])
    for name, child in _CHILD_JOINTS.items()
}
H36M_MEAN_BONES_M = {key: mean for key, (mean, _, _) in H36M_BONES_M.items()}

#: Joint limits in radians: name -> (low, high). Every pose parameter is clipped to these.
#: ``lean`` and ``roll`` orient the whole body (lying down turns it by 90 degrees); the others
#: are anatomical ranges of motion of the joints.
LIMITS: dict[str, tuple[float, float]] = {
    "lean": (-1.75, 1.75),  # pelvis pitch in the world, forward positive
    "roll": (-1.75, 1.75),  # pelvis roll in the world, towards the right positive
    "spine_bend": (-0.5, 1.2),  # flexion (forward) positive, lumbar + thoracic
    "spine_side": (-0.6, 0.6),
    "spine_twist": (-0.7, 0.7),
    "neck_pitch": (-0.7, 0.9),  # nodding forward positive
    "neck_yaw": (-1.2, 1.2),
    "r_hip_flex": (-0.5, 2.2),  # relative to the pelvis
    "l_hip_flex": (-0.5, 2.2),
    "r_hip_abd": (-0.5, 0.9),  # adduction (across the midline) negative
    "l_hip_abd": (-0.5, 0.9),
    "r_hip_rot": (-1.0, 0.7),  # internal positive (40 deg), external to 57 deg
    "l_hip_rot": (-1.0, 0.7),
    "r_knee": (0.0, 2.7),
    "l_knee": (0.0, 2.7),
    "r_sh_flex": (-1.0, 3.1),
    "l_sh_flex": (-1.0, 3.1),
    "r_sh_abd": (-0.3, 3.0),
    "l_sh_abd": (-0.3, 3.0),
    "r_sh_rot": (-1.6, 1.2),  # humeral rotation (internal positive): turns the elbow plane
    "l_sh_rot": (-1.6, 1.2),
    "r_elbow": (0.0, 2.6),
    "l_elbow": (0.0, 2.6),
}

#: Parameters that are not joint angles: heading (yaw, any value), position and lift (metres),
#: and ``turn``, the body's rotation about its own long axis (rolling over when lying down).
FREE = ("heading", "root_x", "root_y", "lift", "turn")
PARAMS = FREE + tuple(LIMITS)

#: Height of the ankle joints above the floor when the foot stands flat (Human3.6M: 0.10 m).
ANKLE_HEIGHT_M = 0.10


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


def sample_bones(rng: np.random.Generator) -> dict[str, float]:
    """Bone lengths (metres) of one body, each within the range of Human3.6M's subject means.

    An overall size shared by all bones (weight 0.6) plus each bone's own variation (0.4), both
    uniform in [-1, 1], map the mean to the range's ends; left and right are equal.
    """
    size = rng.uniform(-1.0, 1.0)
    own = rng.uniform(-1.0, 1.0, size=len(H36M_BONES_M))
    bones = {}
    for z, (key, (mean, low, high)) in zip(
        0.6 * size + 0.4 * own, H36M_BONES_M.items(), strict=True
    ):
        bones[key] = float(mean + z * (high - mean) if z >= 0 else mean + z * (mean - low))
    return bones


def make_subject(name: str, bones: dict[str, float] | None = None) -> Subject:
    """The subject called ``name``: the same body and clothes for the same name, always.

    ``bones`` (metres, the keys of :data:`H36M_BONES_M`) replaces the body the name draws, e.g.
    one of :func:`sample_bones` per take.
    """
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    drawn = sample_bones(rng)
    bones = dict(drawn if bones is None else bones)
    leg = H36M_MEAN_BONES_M["thigh"] + H36M_MEAN_BONES_M["shin"]
    scale = (bones["thigh"] + bones["shin"]) / leg
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


def _rotation(angle: np.ndarray, axis: int) -> np.ndarray:
    """Rotations (F, 3, 3) by ``angle`` (F,) radians about coordinate axis 0, 1 or 2."""
    angle = np.asarray(angle, np.float64)
    c, s = np.cos(angle), np.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out = np.zeros((*angle.shape, 3, 3))
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def _rot_x(angle: np.ndarray) -> np.ndarray:
    return _rotation(angle, 0)


def _rot_y(angle: np.ndarray) -> np.ndarray:
    return _rotation(angle, 1)


def _rot_z(angle: np.ndarray) -> np.ndarray:
    return _rotation(angle, 2)


def _apply(rot: np.ndarray, vec) -> np.ndarray:
    return rot @ np.asarray(vec, dtype=np.float64)


def clip_to_limits(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``params`` with every joint angle clipped to :data:`LIMITS` (missing ones set to 0)."""
    frames = len(params["heading"])
    zeros = np.zeros(frames)
    out = {name: np.asarray(params.get(name, zeros), np.float64) for name in FREE}
    for name, (low, high) in LIMITS.items():
        out[name] = np.minimum(
            np.maximum(np.asarray(params.get(name, zeros), np.float64), low), high
        )
    return out


def body_rotations(p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World rotations (F, 3, 3) of the pelvis, the chest and the head for clipped ``p``."""
    # torso pitches are negated so that positive lean / bend all tip forward (+y)
    pelvis = _rot_z(p["heading"]) @ _rot_x(-p["lean"]) @ _rot_y(p["roll"]) @ _rot_z(p["turn"])
    chest = pelvis @ _rot_x(-p["spine_bend"]) @ _rot_y(p["spine_side"]) @ _rot_z(p["spine_twist"])
    head = chest @ _rot_z(p["neck_yaw"]) @ _rot_x(-p["neck_pitch"])
    return pelvis, chest, head


def hip_offset(subject: Subject, sign: float) -> np.ndarray:
    """Pelvis -> hip (3,) in the pelvis frame: straight sideways, as Human3.6M's hips are."""
    return np.array([sign * subject.bones["hip"], 0.0, 0.0])


def shoulder_offset(subject: Subject, sign: float) -> np.ndarray:
    """Thorax -> shoulder (3,) in the chest frame: sideways and a little down."""
    return _unit([sign, 0.0, -0.12]) * subject.bones["shoulder"]


def forward_kinematics(
    subject: Subject, params: dict[str, np.ndarray], pelvis_height: np.ndarray | None = None
) -> np.ndarray:
    """World joint positions (F, 17, 3), metres, z up.

    ``params`` maps the names of :data:`PARAMS` to arrays (F,); joint angles are clipped to
    :data:`LIMITS` first. Without ``pelvis_height`` the pelvis height is set so the lower ankle
    rests on the floor (at :data:`ANKLE_HEIGHT_M`), plus ``lift`` (for jumps); with it (F,),
    metres, the pelvis is put at that height and ``lift`` is ignored.
    """
    p = clip_to_limits(params)
    return posed_joints(subject, p, body_rotations(p), pelvis_height)


def posed_joints(
    subject: Subject,
    p: dict[str, np.ndarray],
    rotations: tuple[np.ndarray, np.ndarray, np.ndarray],
    pelvis_height: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`forward_kinematics` for parameters ``p`` already clipped and their
    :func:`body_rotations`."""
    b = subject.bones
    frames = len(p["heading"])
    down = np.array([0.0, 0.0, -1.0])
    up = -down
    root_rot, chest, head_rot = rotations
    lower_spine = root_rot @ _rot_x(-0.4 * p["spine_bend"])

    joints = np.zeros((frames, skeleton.NUM_JOINTS, 3))
    for side, sign, hip, knee, ankle in (("r", 1.0, 1, 2, 3), ("l", -1.0, 4, 5, 6)):
        joints[:, hip] = _apply(root_rot, hip_offset(subject, sign))
        # abduction moves the leg away from the midline: +x for the right leg, -x for the left
        thigh = (
            root_rot
            @ _rot_x(p[f"{side}_hip_flex"])
            @ _rot_y(-sign * p[f"{side}_hip_abd"])
            @ _rot_z(sign * p[f"{side}_hip_rot"])
        )
        joints[:, knee] = joints[:, hip] + _apply(thigh, down * b["thigh"])
        shin = thigh @ _rot_x(-p[f"{side}_knee"])
        joints[:, ankle] = joints[:, knee] + _apply(shin, down * b["shin"])

    joints[:, 7] = _apply(lower_spine, up * b["spine"])
    joints[:, 8] = joints[:, 7] + _apply(chest, up * b["thorax"])
    joints[:, 9] = joints[:, 8] + _apply(head_rot, _unit([0.0, 0.35, 1.0]) * b["neck"])
    joints[:, 10] = joints[:, 9] + _apply(head_rot, _unit([0.0, -0.15, 1.0]) * b["head"])
    for side, sign, shoulder, elbow, wrist in (("l", -1.0, 11, 12, 13), ("r", 1.0, 14, 15, 16)):
        joints[:, shoulder] = joints[:, 8] + _apply(chest, shoulder_offset(subject, sign))
        upper = (
            chest
            @ _rot_x(p[f"{side}_sh_flex"])
            @ _rot_y(-sign * p[f"{side}_sh_abd"])
            @ _rot_z(sign * p[f"{side}_sh_rot"])
        )
        joints[:, elbow] = joints[:, shoulder] + _apply(upper, down * b["upper_arm"])
        fore = upper @ _rot_x(p[f"{side}_elbow"])
        joints[:, wrist] = joints[:, elbow] + _apply(fore, down * b["forearm"])

    joints[..., 0] += p["root_x"][:, None]
    joints[..., 1] += p["root_y"][:, None]
    if pelvis_height is None:
        lowest_ankle = np.minimum(joints[:, 3, 2], joints[:, 6, 2])
        pelvis_height = ANKLE_HEIGHT_M - lowest_ankle + np.maximum(p["lift"], 0.0)
    joints[..., 2] += np.asarray(pelvis_height, np.float64)[:, None]
    return joints


def _unit(vec) -> np.ndarray:
    vec = np.asarray(vec, dtype=np.float64)
    return vec / np.linalg.norm(vec)


def subject_bone_lengths(subject: Subject) -> np.ndarray:
    """The subject's 16 bone lengths (metres) in :data:`vidpose.pose.skeleton.BONES` order."""
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
