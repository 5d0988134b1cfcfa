"""Keypoint layouts and their tables to the 17 Human3.6M joints, checked in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from vidpose.keypoints import layouts
from vidpose.keypoints.layouts import LAYOUTS, TO_H36M17, canonical_layout, to_h36m17
from vidpose.pose import skeleton

H36M = {name: i for i, name in enumerate(skeleton.JOINT_NAMES)}


def coco_pose() -> np.ndarray:
    """(17, 3) COCO keypoints with round pixel values and distinct confidences."""
    pose = np.zeros((17, 3), np.float32)
    points = {
        "nose": (500, 100),
        "left_eye": (510, 90),
        "right_eye": (490, 94),
        "left_ear": (520, 96),
        "right_ear": (480, 96),
        "left_shoulder": (560, 200),
        "right_shoulder": (440, 204),
        "left_elbow": (580, 300),
        "right_elbow": (420, 300),
        "left_wrist": (590, 380),
        "right_wrist": (410, 380),
        "left_hip": (540, 420),
        "right_hip": (460, 428),
        "left_knee": (545, 560),
        "right_knee": (455, 560),
        "left_ankle": (550, 700),
        "right_ankle": (450, 700),
    }
    for index, name in enumerate(layouts.COCO17):
        pose[index, :2] = points[name]
        pose[index, 2] = 0.5 + index / 100
    return pose


def test_coco_pose_maps_to_the_expected_h36m_joints():
    coco = coco_pose()
    c = {name: coco[i] for i, name in enumerate(layouts.COCO17)}
    h36m = to_h36m17(coco, "coco17")
    assert h36m.shape == (17, 3) and h36m.dtype == np.float32

    def at(name):
        return h36m[H36M[name]]

    np.testing.assert_allclose(at("pelvis")[:2], (500, 424))  # mid-hips
    np.testing.assert_allclose(at("thorax")[:2], (500, 202))  # mid-shoulders
    np.testing.assert_allclose(at("spine")[:2], (500, 313))  # mid-point of the two
    np.testing.assert_allclose(at("neck")[:2], (500, 100))  # the nose
    np.testing.assert_allclose(at("head")[:2], (500, 92))  # mid-eyes
    for limb in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist"):
        for side in ("left", "right"):
            name = f"{side}_{limb}"
            np.testing.assert_array_equal(at(name), c[name])
    # a synthesised joint is as trusted as its least trusted source
    assert at("pelvis")[2] == pytest.approx(min(c["left_hip"][2], c["right_hip"][2]))
    assert at("spine")[2] == pytest.approx(c["left_shoulder"][2])
    assert at("head")[2] == pytest.approx(c["left_eye"][2])


def test_without_confidence_column_every_joint_has_confidence_one():
    h36m = to_h36m17(coco_pose()[None, None, :, :2], "coco")
    assert h36m.shape == (1, 1, 17, 3)
    np.testing.assert_array_equal(h36m[..., 2], 1.0)


def test_zero_confidence_source_gives_zero_confidence_joint():
    coco = coco_pose()
    coco[layouts.COCO17.index("right_eye"), 2] = 0.0
    assert to_h36m17(coco, "coco17")[H36M["head"], 2] == 0.0


def test_a_joint_without_source_is_all_zero(monkeypatch):
    sources = list(layouts._SOURCES["coco17"])
    sources[H36M["head"]] = np.zeros(0, np.int64)
    monkeypatch.setitem(layouts._SOURCES, "coco17", sources)
    np.testing.assert_array_equal(to_h36m17(coco_pose(), "coco17")[H36M["head"]], 0.0)


def pose_in(layout: str, h36m: np.ndarray) -> np.ndarray:
    """The keypoints an ideal annotator of ``layout`` would give for H36M pose (17, 2)."""
    same = {
        "pelvis": "pelvis",
        "hip": "pelvis",
        "mid_hip": "pelvis",
        "thorax": "thorax",
        "upper_neck": "neck",
        "head_top": "head",
    }
    if layout in ("halpe26", "body25"):
        same["neck"] = "thorax"  # their neck is at the base of the neck
        same["head"] = "head"
    rng = np.random.default_rng(0)
    out = rng.uniform(0, 1000, (len(LAYOUTS[layout]), 2))  # joints H36M has no twin for
    for index, name in enumerate(LAYOUTS[layout]):
        twin = same.get(name, name)
        if twin in H36M:
            out[index] = h36m[H36M[twin]]
    return out


@pytest.mark.parametrize("layout", ["h36m17", "mpii16", "halpe26"])
def test_layouts_with_pelvis_thorax_and_head_give_back_the_h36m_pose(layout):
    h36m = np.random.default_rng(1).uniform(0, 1000, (17, 2))
    h36m[H36M["spine"]] = (h36m[H36M["pelvis"]] + h36m[H36M["thorax"]]) / 2
    if layout == "halpe26":
        # Halpe's nose stands for H36M's neck joint
        source = pose_in(layout, h36m)
        source[layouts.HALPE26.index("nose")] = h36m[H36M["neck"]]
    else:
        source = pose_in(layout, h36m)
    mapped = to_h36m17(source, layout)
    np.testing.assert_allclose(mapped[:, :2], h36m, rtol=1e-12)
    np.testing.assert_array_equal(mapped[:, 2], 1.0)


def test_body25_table():
    body = np.arange(25 * 2, dtype=np.float64).reshape(25, 2)
    b = {name: body[i] for i, name in enumerate(layouts.BODY25)}
    mapped = to_h36m17(body, "body25")
    np.testing.assert_array_equal(mapped[H36M["pelvis"], :2], b["mid_hip"])
    np.testing.assert_array_equal(mapped[H36M["thorax"], :2], b["neck"])
    np.testing.assert_array_equal(mapped[H36M["spine"], :2], (b["mid_hip"] + b["neck"]) / 2)
    np.testing.assert_array_equal(mapped[H36M["neck"], :2], b["nose"])
    np.testing.assert_array_equal(mapped[H36M["head"], :2], (b["left_eye"] + b["right_eye"]) / 2)
    np.testing.assert_array_equal(mapped[H36M["right_wrist"], :2], b["right_wrist"])


def test_tables_name_real_joints_and_layouts_match_design_counts():
    assert {name: len(j) for name, j in LAYOUTS.items()} == {
        "h36m17": 17,
        "coco17": 17,
        "halpe26": 26,
        "mpii16": 16,
        "body25": 25,
    }
    assert layouts.HALPE26[:17] == layouts.COCO17
    assert layouts.MPII16[6] == "pelvis" and layouts.BODY25[8] == "mid_hip"
    for layout, table in TO_H36M17.items():
        assert set(table) <= set(skeleton.JOINT_NAMES)
        for sources in table.values():
            assert set(sources) <= set(LAYOUTS[layout]), layout


def test_layout_names_and_aliases():
    assert canonical_layout("COCO") == "coco17" and canonical_layout("mpii") == "mpii16"
    assert canonical_layout("h36m") == "h36m17" and canonical_layout("openpose") == "body25"
    with pytest.raises(ValueError, match="unknown keypoint layout 'smpl'"):
        canonical_layout("smpl")
    assert layouts.layouts_with(17) == ["h36m17", "coco17"]
    assert layouts.layouts_with(16) == ["mpii16"]


def test_wrong_joint_count_is_refused():
    with pytest.raises(ValueError, match=r"do not fit layout coco17"):
        to_h36m17(np.zeros((5, 16, 2)), "coco17")


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_flip_permutation_swaps_left_and_right(layout):
    joints = LAYOUTS[layout]
    perm = layouts.flip_permutation(layout)
    np.testing.assert_array_equal(perm[perm], np.arange(len(joints)))
    for index, name in enumerate(joints):
        other = joints[perm[index]]
        if name.startswith("left_"):
            assert other == "right_" + name[5:]
        elif not name.startswith("right_"):
            assert other == name
    if layout == "h36m17":
        np.testing.assert_array_equal(perm, skeleton.FLIP_PERMUTATION)
