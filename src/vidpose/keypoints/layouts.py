"""2D keypoint layouts and how each maps to the 17 Human3.6M joints (docs/lifting_data.md).

A *layout* is an ordered tuple of joint names. The five known ones:

- ``h36m17``: Human3.6M's 17 joints in vidpose's order (:data:`vidpose.pose.skeleton.JOINT_NAMES`);
  VideoPose3D's ground-truth and CPN files (``layout_name`` ``"h36m"``).
- ``coco17``: COCO (RTMPose, Detectron2, YOLO-pose, MMPose; VideoPose3D's ``"coco"``).
- ``halpe26``: Halpe (RTMPose body-with-feet, AlphaPose): COCO-17 then head top, neck, hip
  centre and six foot points.
- ``mpii16``: MPII, the order of VideoPose3D's Stacked Hourglass files (``"mpii"``, or no
  ``layout_name`` and ``num_joints`` 16).
- ``body25``: OpenPose BODY_25.

Each layout has one table, :data:`TO_H36M17`, giving for every Human3.6M joint the source
joints it is made of. :func:`to_h36m17` places each Human3.6M joint at the **mean** of its
source joints with the **smallest** of their confidences, so a synthesised joint is only as
trusted as its least trusted part; a joint with no source is ``(0, 0, 0)`` (zero confidence).

The approximations (docs/lifting_data.md, "Keypoint layouts"): Human3.6M's ``head`` is the top of
the head and its ``neck`` sits near the nose. COCO and BODY_25 have neither, so ``neck`` is the
nose and ``head`` the mid-point of the eyes (below the true head top); ``spine`` is the mid-point
of pelvis and thorax everywhere but in ``h36m17``. These leave systematic offsets a lifter trained
on Human3.6M's own 2D will see; a lifter meant for a detector is best trained on 2D mapped the same
way.
"""

from __future__ import annotations

import numpy as np

from vidpose.pose import skeleton

H36M17: tuple[str, ...] = skeleton.JOINT_NAMES

COCO17: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)

HALPE26: tuple[str, ...] = COCO17 + (
    "head",  # top of the head
    "neck",
    "hip",  # centre of the hips
    "left_big_toe",
    "right_big_toe",
    "left_small_toe",
    "right_small_toe",
    "left_heel",
    "right_heel",
)

MPII16: tuple[str, ...] = (
    "right_ankle",
    "right_knee",
    "right_hip",
    "left_hip",
    "left_knee",
    "left_ankle",
    "pelvis",
    "thorax",
    "upper_neck",
    "head_top",
    "right_wrist",
    "right_elbow",
    "right_shoulder",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
)

BODY25: tuple[str, ...] = (
    "nose",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "mid_hip",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "right_eye",
    "left_eye",
    "right_ear",
    "left_ear",
    "left_big_toe",
    "left_small_toe",
    "left_heel",
    "right_big_toe",
    "right_small_toe",
    "right_heel",
)

LAYOUTS: dict[str, tuple[str, ...]] = {
    "h36m17": H36M17,
    "coco17": COCO17,
    "halpe26": HALPE26,
    "mpii16": MPII16,
    "body25": BODY25,
}

#: Other spellings of the layout names: VideoPose3D's ``layout_name`` values and common ones.
ALIASES: dict[str, str] = {
    "h36m": "h36m17",
    "coco": "coco17",
    "halpe": "halpe26",
    "mpii": "mpii16",
    "openpose": "body25",
    "body_25": "body25",
}

# Hips, knees, ankles, shoulders, elbows and wrists have the same names in every layout.
_LIMBS = tuple(name for name in H36M17 if name not in ("pelvis", "spine", "thorax", "neck", "head"))
_SAME_LIMBS = {name: (name,) for name in _LIMBS}

#: layout → {Human3.6M joint: source joints averaged into it}. A joint left out has no source.
TO_H36M17: dict[str, dict[str, tuple[str, ...]]] = {
    "h36m17": {name: (name,) for name in H36M17},
    "coco17": {
        **_SAME_LIMBS,
        "pelvis": ("left_hip", "right_hip"),
        "spine": ("left_hip", "right_hip", "left_shoulder", "right_shoulder"),
        "thorax": ("left_shoulder", "right_shoulder"),
        "neck": ("nose",),
        "head": ("left_eye", "right_eye"),
    },
    "halpe26": {
        **_SAME_LIMBS,
        "pelvis": ("hip",),
        "spine": ("hip", "neck"),
        "thorax": ("neck",),
        "neck": ("nose",),
        "head": ("head",),
    },
    "mpii16": {
        **_SAME_LIMBS,
        "pelvis": ("pelvis",),
        "spine": ("pelvis", "thorax"),
        "thorax": ("thorax",),
        "neck": ("upper_neck",),
        "head": ("head_top",),
    },
    "body25": {
        **_SAME_LIMBS,
        "pelvis": ("mid_hip",),
        "spine": ("mid_hip", "neck"),
        "thorax": ("neck",),
        "neck": ("nose",),
        "head": ("left_eye", "right_eye"),
    },
}


def canonical_layout(name: str) -> str:
    """``'coco'`` → ``'coco17'``; raises ``ValueError`` naming the known layouts."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in LAYOUTS:
        known = ", ".join(LAYOUTS)
        raise ValueError(f"unknown keypoint layout {name!r} (known: {known})")
    return key


def layouts_with(num_joints: int) -> list[str]:
    """Names of the layouts with ``num_joints`` joints (17 fits both h36m17 and coco17)."""
    return [name for name, joints in LAYOUTS.items() if len(joints) == num_joints]


def _sources(layout: str) -> list[np.ndarray]:
    joints = LAYOUTS[layout]
    table = TO_H36M17[layout]
    return [np.array([joints.index(s) for s in table.get(name, ())], np.int64) for name in H36M17]


_SOURCES = {layout: _sources(layout) for layout in LAYOUTS}


def to_h36m17(keypoints: np.ndarray, layout: str) -> np.ndarray:
    """Keypoints (..., J, 2 or 3) in ``layout`` → (..., 17, 3): x, y, confidence per H36M joint.

    Coordinates keep their units (pixels in, pixels out). Without a confidence column every
    given joint has confidence 1. Each H36M joint is the mean of its source joints
    (:data:`TO_H36M17`) with their minimum confidence; one without a source is (0, 0, 0).
    The result is float32 for float32 input (float64 otherwise) and never a view of the input.
    """
    layout = canonical_layout(layout)
    points = np.asarray(keypoints)
    joints = len(LAYOUTS[layout])
    if points.ndim < 2 or points.shape[-2] != joints or points.shape[-1] not in (2, 3):
        raise ValueError(
            f"keypoints of shape {points.shape} do not fit layout {layout} "
            f"(expected (..., {joints}, 2 or 3))"
        )
    dtype = np.float32 if points.dtype == np.float32 else np.float64
    out = np.zeros((*points.shape[:-2], len(H36M17), 3), dtype)
    for target, sources in enumerate(_SOURCES[layout]):
        if not len(sources):
            continue
        if len(sources) == 1:
            out[..., target, :2] = points[..., sources[0], :2]
        else:
            out[..., target, :2] = points[..., sources, :2].mean(axis=-2)
        if points.shape[-1] == 3:
            out[..., target, 2] = points[..., sources, 2].min(axis=-1)
        else:
            out[..., target, 2] = 1.0
    return out


def flip_permutation(layout: str) -> np.ndarray:
    """Index array swapping every ``left_*`` joint of ``layout`` with its ``right_*`` twin."""
    joints = LAYOUTS[canonical_layout(layout)]
    swapped = []
    for name in joints:
        if name.startswith("left_"):
            name = "right_" + name[len("left_") :]
        elif name.startswith("right_"):
            name = "left_" + name[len("right_") :]
        swapped.append(joints.index(name))
    return np.array(swapped, dtype=np.int64)
