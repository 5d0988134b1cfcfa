"""Which joints of a mocap skeleton become the 17 Human3.6M joints: one table per family.

Each table maps every Human3.6M joint name (:data:`vidpose.pose.skeleton.JOINT_NAMES`) to the
source joint of the same name or role (a renaming; ``"A+B"`` averages several). BVH End Sites
are named ``<joint>_end``; ASF positions are bone end points (``lfemur`` is the knee). Names
match after dropping a namespace prefix (``mixamorig:Hips`` → ``Hips``).

A renaming is right for the knees, ankles, shoulders, elbows and wrists, but a mocap
skeleton's pelvis, hips, spine and head joints sit elsewhere than Human3.6M's. Each family's
:class:`Anatomy` therefore names its landmarks (the trunk joints, the base of the neck, the
head's pivot and the joint that turns the head) from which :mod:`.anatomy` builds Human3.6M's
definitions; the table's ``left_hip``/``right_hip`` entries are the hip joint centres.

A family is recognised when the file has all its ``signature`` joints and every joint its
table and anatomy need. For other skeletons, a mapping file (JSON or YAML) gives the table:
every Human3.6M joint name → a source joint name or a list of names to average (used as
given: no anatomy).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from vidpose.infra.errors import UserError, reject_unknown_keys
from vidpose.pose.skeleton import JOINT_NAMES


@dataclass(frozen=True)
class Anatomy:
    """A family's landmarks (source joint names) for :mod:`.anatomy`.

    ``trunk``: the joints on the way from the hips up to ``neck_base``, bottom up (the spine
    is placed on that chain); ``neck_base``: the base of the neck between the shoulders
    (Human3.6M's thorax); ``head_pivot``: where the head turns on the neck (Human3.6M's
    neck/nose joint); ``head_frame``: the joint whose rotation turns the head (the head top
    is fixed in its frame); ``dropped_bone``: a BVH joint whose children all sit at a zero
    OFFSET because a conversion dropped a bone's length there (restored, see
    :func:`vidpose.mocap.bvh.restore_dropped_bone`).
    """

    trunk: tuple[str, ...]
    neck_base: str
    head_pivot: str
    head_frame: str
    dropped_bone: str | None = None

    def names(self) -> tuple[str, ...]:
        return (*self.trunk, self.neck_base, self.head_pivot, self.head_frame)


@dataclass(frozen=True)
class JointMap:
    name: str
    description: str
    signature: tuple[str, ...]
    table: dict[str, str]
    anatomy: Anatomy | None = None


def _table(**entries: str) -> dict[str, str]:
    assert tuple(entries) == JOINT_NAMES, "a table lists the 17 joints in Human3.6M order"
    return entries


#: CMU BVH as released by cgspeed (and the conversions derived from it). Hips at the pelvis,
#: zero-length LHipJoint/RHipJoint, LowerBack → Spine → Spine1 (= Neck) → Neck1 → Head.
CMU_BVH = JointMap(
    "cmu-bvh",
    "CMU Graphics Lab mocap, BVH release (cgspeed): Hips, LHipJoint, LeftUpLeg, Spine1, Neck1",
    ("LHipJoint", "RHipJoint", "Neck1"),
    _table(
        pelvis="Hips",
        right_hip="RightUpLeg",
        right_knee="RightLeg",
        right_ankle="RightFoot",
        left_hip="LeftUpLeg",
        left_knee="LeftLeg",
        left_ankle="LeftFoot",
        spine="Spine",
        thorax="Neck",
        neck="Neck1",
        head="Head",
        left_shoulder="LeftArm",
        left_elbow="LeftForeArm",
        left_wrist="LeftHand",
        right_shoulder="RightArm",
        right_elbow="RightForeArm",
        right_wrist="RightHand",
    ),
    Anatomy(("Hips", "Spine", "Spine1"), "Neck", "Head", "Head", dropped_bone="Spine1"),
)

#: Another CMU BVH conversion with anatomical joint names (takes 131_* of ../shared/mocap/cmu):
#: LHipJoint → LeftHip → LeftKnee → LeftAnkle, lowerback → Chest → Chest2 (= lowerneck, the
#: collars) → Neck → Head → head top (End Site), LeftCollar → LeftShoulder → LeftElbow.
CMU_BVH_ANATOMICAL = JointMap(
    "cmu-bvh-anatomical",
    "CMU BVH with anatomical names: LeftHip, LeftKnee, LeftAnkle, Chest2, lowerneck, LeftElbow",
    ("LeftHip", "LeftKnee", "Chest2", "lowerneck"),
    _table(
        pelvis="Hips",
        right_hip="RightHip",
        right_knee="RightKnee",
        right_ankle="RightAnkle",
        left_hip="LeftHip",
        left_knee="LeftKnee",
        left_ankle="LeftAnkle",
        spine="Chest",
        thorax="Chest2",
        neck="Head",
        head="Head_end",
        left_shoulder="LeftShoulder",
        left_elbow="LeftElbow",
        left_wrist="LeftWrist",
        right_shoulder="RightShoulder",
        right_elbow="RightElbow",
        right_wrist="RightWrist",
    ),
    Anatomy(("Hips", "Chest", "Chest2"), "lowerneck", "Head", "Head", dropped_bone="Chest2"),
)

#: CMU's original ASF/AMC: positions are bone end points (``lfemur`` ends at the knee).
CMU_ASF = JointMap(
    "cmu-asf",
    "CMU Graphics Lab mocap, ASF/AMC originals: root, lhipjoint, lfemur, ltibia, upperback",
    ("lhipjoint", "lfemur", "upperneck"),
    _table(
        pelvis="root",
        right_hip="rhipjoint",
        right_knee="rfemur",
        right_ankle="rtibia",
        left_hip="lhipjoint",
        left_knee="lfemur",
        left_ankle="ltibia",
        spine="upperback",
        thorax="thorax",
        neck="upperneck",
        head="head",
        left_shoulder="lclavicle",
        left_elbow="lhumerus",
        left_wrist="lradius",
        right_shoulder="rclavicle",
        right_elbow="rhumerus",
        right_wrist="rradius",
    ),
    Anatomy(("root", "lowerback", "upperback"), "thorax", "upperneck", "head"),
)

#: Second Life / DAZ / Poser style (CMU takes 60_01, 61_01 of ../shared/mocap/cmu use it):
#: hip, abdomen, chest, neck, head, lCollar, lShldr, lForeArm, lHand, lThigh, lShin, lFoot.
#: No head-top joint: the head takes the midpoint of the eyes.
SECOND_LIFE = JointMap(
    "second-life",
    "Second Life / DAZ / Poser style: hip, abdomen, chest, lShldr, lForeArm, lThigh, lShin",
    ("hip", "abdomen", "chest", "lThigh", "lShin"),
    _table(
        pelvis="hip",
        right_hip="rThigh",
        right_knee="rShin",
        right_ankle="rFoot",
        left_hip="lThigh",
        left_knee="lShin",
        left_ankle="lFoot",
        spine="chest",
        thorax="neck",
        neck="head",
        head="leftEye+rightEye",
        left_shoulder="lShldr",
        left_elbow="lForeArm",
        left_wrist="lHand",
        right_shoulder="rShldr",
        right_elbow="rForeArm",
        right_wrist="rHand",
    ),
    Anatomy(("abdomen", "chest"), "neck", "head", "head"),
)

#: Bandai Namco Research Motion Dataset: joint_Root, Hips, Spine, Chest, Neck, Head,
#: Shoulder_L, UpperArm_L, LowerArm_L, Hand_L, UpperLeg_L, LowerLeg_L, Foot_L, Toes_L.
BANDAI_NAMCO = JointMap(
    "bandai-namco",
    "Bandai Namco Research Motion Dataset: Hips, Chest, UpperArm_L, UpperLeg_L, LowerLeg_L",
    ("UpperLeg_L", "LowerLeg_L", "UpperArm_L"),
    _table(
        pelvis="Hips",
        right_hip="UpperLeg_R",
        right_knee="LowerLeg_R",
        right_ankle="Foot_R",
        left_hip="UpperLeg_L",
        left_knee="LowerLeg_L",
        left_ankle="Foot_L",
        spine="Chest",
        thorax="Neck",
        neck="Head",
        head="Head_end",
        left_shoulder="UpperArm_L",
        left_elbow="LowerArm_L",
        left_wrist="Hand_L",
        right_shoulder="UpperArm_R",
        right_elbow="LowerArm_R",
        right_wrist="Hand_R",
    ),
    Anatomy(("Spine", "Chest"), "Neck", "Head", "Head"),
)

#: Mixamo rigs (``mixamorig:`` prefix, dropped when matching): Spine, Spine1, Spine2, Neck,
#: Head, HeadTop_End, LeftArm, LeftForeArm, LeftHand, LeftUpLeg, LeftLeg, LeftFoot.
MIXAMO = JointMap(
    "mixamo",
    "Mixamo-style rigs: (mixamorig:)Hips, Spine2, HeadTop_End, LeftUpLeg, LeftArm",
    ("Spine2", "HeadTop_End"),
    _table(
        pelvis="Hips",
        right_hip="RightUpLeg",
        right_knee="RightLeg",
        right_ankle="RightFoot",
        left_hip="LeftUpLeg",
        left_knee="LeftLeg",
        left_ankle="LeftFoot",
        spine="Spine1",
        thorax="Neck",
        neck="Head",
        head="HeadTop_End",
        left_shoulder="LeftArm",
        left_elbow="LeftForeArm",
        left_wrist="LeftHand",
        right_shoulder="RightArm",
        right_elbow="RightForeArm",
        right_wrist="RightHand",
    ),
    Anatomy(("Spine", "Spine1", "Spine2"), "Neck", "Head", "Head"),
)

#: Ubisoft LAFAN1: Hips, Spine, Spine1, Spine2, Neck, Head, LeftShoulder, LeftArm, ...,
#: LeftUpLeg, LeftLeg, LeftFoot, LeftToe. The head top is Head's End Site where present.
LAFAN1 = JointMap(
    "lafan1",
    "Ubisoft LAFAN1: Hips, Spine, Spine1, Spine2, Neck, Head, LeftUpLeg, LeftArm",
    ("Spine2",),
    _table(
        pelvis="Hips",
        right_hip="RightUpLeg",
        right_knee="RightLeg",
        right_ankle="RightFoot",
        left_hip="LeftUpLeg",
        left_knee="LeftLeg",
        left_ankle="LeftFoot",
        spine="Spine1",
        thorax="Neck",
        neck="Head",
        head="Head_end",
        left_shoulder="LeftArm",
        left_elbow="LeftForeArm",
        left_wrist="LeftHand",
        right_shoulder="RightArm",
        right_elbow="RightForeArm",
        right_wrist="RightHand",
    ),
    Anatomy(("Spine", "Spine1", "Spine2"), "Neck", "Head", "Head"),
)

#: A CMU BVH conversion that kept the ASF's bone names (take 16_01 of the CMU collection, at
#: 30 fps): a BVH joint sits at the *start* of its ASF bone, so ``lfemur`` is the hip joint
#: centre and ``ltibia`` the knee; the ``thorax`` bone's length is dropped as in cgspeed's.
CMU_BVH_ASF_NAMES = JointMap(
    "cmu-bvh-asf-names",
    "CMU BVH with the ASF's bone names: hip, lhipjoint, lfemur, ltibia, lfoot, upperneck",
    ("hip", "lhipjoint", "lfemur", "upperneck"),
    _table(
        pelvis="hip",
        right_hip="rfemur",
        right_knee="rtibia",
        right_ankle="rfoot",
        left_hip="lfemur",
        left_knee="ltibia",
        left_ankle="lfoot",
        spine="upperback",
        thorax="lowerneck",
        neck="upperneck",
        head="head",
        left_shoulder="lhumerus",
        left_elbow="lradius",
        left_wrist="lwrist",
        right_shoulder="rhumerus",
        right_elbow="rradius",
        right_wrist="rwrist",
    ),
    Anatomy(("hip", "upperback", "thorax"), "lowerneck", "head", "head", dropped_bone="thorax"),
)

#: vidpose's own BVH export (:mod:`vidpose.mocap.bvh_export`): the 17 joints by name.
VIDPOSE = JointMap(
    "vidpose-h36m",
    "vidpose export-bvh: the 17 Human3.6M joints by name",
    ("pelvis", "thorax", "right_wrist"),
    _table(**{name: name for name in JOINT_NAMES}),
)

FAMILIES: tuple[JointMap, ...] = (
    VIDPOSE,
    CMU_ASF,
    CMU_BVH_ASF_NAMES,
    CMU_BVH,
    CMU_BVH_ANATOMICAL,
    SECOND_LIFE,
    BANDAI_NAMCO,
    MIXAMO,
    LAFAN1,
)


@dataclass(frozen=True)
class ResolvedAnatomy:
    """:class:`Anatomy` with joint indices of one file."""

    trunk: tuple[int, ...]
    neck_base: int
    head_pivot: int
    head_frame: int
    dropped_bone: int | None


@dataclass(frozen=True)
class ResolvedMap:
    """``family`` name and, per Human3.6M joint, the source joint indices to average; the
    family's landmarks (None for a user map and for skeletons that are Human3.6M's)."""

    family: str
    sources: tuple[tuple[int, ...], ...]
    anatomy: ResolvedAnatomy | None = None

    def needed(self) -> list[int]:
        """The joints whose positions the mapping reads."""
        needed = {i for group in self.sources for i in group}
        if self.anatomy is not None:
            needed.update((*self.anatomy.trunk, self.anatomy.neck_base, self.anatomy.head_pivot))
        return sorted(needed)


def _bare(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _lookup(names: list[str]) -> dict[str, int]:
    index = {}
    for i, name in enumerate(names):
        index.setdefault(_bare(name), i)
    for i, name in enumerate(names):  # exact names win over namespace-stripped ones
        index[name] = i
    return index


def _resolve_entry(entry: str, index: dict[str, int]) -> tuple[int, ...] | None:
    parts = [p.strip() for p in entry.split("+")]
    if all(p in index for p in parts):
        return tuple(index[p] for p in parts)
    return None


def _resolve_anatomy(anatomy: Anatomy | None, index: dict[str, int]) -> ResolvedAnatomy | None:
    if anatomy is None:
        return None
    dropped = None if anatomy.dropped_bone is None else index[anatomy.dropped_bone]
    return ResolvedAnatomy(
        trunk=tuple(index[name] for name in anatomy.trunk),
        neck_base=index[anatomy.neck_base],
        head_pivot=index[anatomy.head_pivot],
        head_frame=index[anatomy.head_frame],
        dropped_bone=dropped,
    )


def resolve_family(names: list[str]) -> ResolvedMap | None:
    """The first family in :data:`FAMILIES` that fits ``names``, or None."""
    index = _lookup(names)
    for family in FAMILIES:
        landmarks = () if family.anatomy is None else family.anatomy.names()
        if not all(s in index for s in (*family.signature, *landmarks)):
            continue
        if family.anatomy is not None and family.anatomy.dropped_bone not in (None, *index):
            continue
        groups = [_resolve_entry(family.table[joint], index) for joint in JOINT_NAMES]
        if all(g is not None for g in groups):
            return ResolvedMap(family.name, tuple(groups), _resolve_anatomy(family.anatomy, index))
    return None


def load_map_file(path: str | os.PathLike) -> dict[str, str]:
    """A user mapping file: JSON or YAML, ``{h36m_joint: name or [names to average]}``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--map {path}: cannot be read ({exc.strerror or exc})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except (ValueError, ImportError) as exc:
        raise UserError(f"--map {path}: not valid JSON/YAML ({exc})".splitlines()[0]) from None
    except Exception as exc:  # yaml.YAMLError does not derive from ValueError
        raise UserError(f"--map {path}: not valid YAML ({exc})".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise UserError(
            f"--map {path}: expected a mapping of joint names, got {type(data).__name__}"
        )
    reject_unknown_keys(data, list(JOINT_NAMES), section=f"--map {path}")
    missing = [j for j in JOINT_NAMES if j not in data]
    if missing:
        raise UserError(f"--map {path}: no entry for {', '.join(missing)}")
    table = {}
    for joint in JOINT_NAMES:
        value = data[joint]
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise UserError(f"--map {path}: {joint} must be a joint name or a list of names")
        table[joint] = "+".join(names)
    return table


def resolve_user_map(table: dict[str, str], names: list[str], source) -> ResolvedMap:
    """Apply a user table to a file's joint ``names``; unknown names are an error."""
    index = _lookup(names)
    groups = []
    for joint in JOINT_NAMES:
        group = _resolve_entry(table[joint], index)
        if group is None:
            wanted = [p for p in table[joint].split("+") if p not in index]
            raise UserError(
                f"{source}: the mapping's {joint} names {', '.join(wanted)}, not a joint of "
                f"this file (its joints: {', '.join(names)})"
            )
        groups.append(group)
    return ResolvedMap("user map", tuple(groups))


def resolve_map(names: list[str], source, user_table=None) -> ResolvedMap:
    """The user's table when given, else the family that fits; else a UserError listing the
    file's joints and how to pass a mapping file."""
    if user_table is not None:
        return resolve_user_map(user_table, names, source)
    resolved = resolve_family(names)
    if resolved is None:
        known = ", ".join(f.name for f in FAMILIES)
        raise UserError(
            f"{source}: unknown skeleton (not {known}); its joints are {', '.join(names)}. "
            "Pass --map FILE.json with each of the 17 joints (pelvis, right_hip, ...) mapped to "
            "one of these names or a list of them to average (see docs/mocap.md)"
        )
    return resolved
