"""COCO-17 training 2D made from 3D poses (vidpose.lifting.detector_2d) and the joined stores
of the shipped lifter's data (vidpose.lifting.shipped_data)."""

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.infra.errors import UserError
from vidpose.keypoints.layouts import COCO17, H36M17, to_h36m17
from vidpose.lifting.detector_2d import (
    FACE_OFFSETS,
    HIP_DROP,
    as_detected,
    coco17_keypoints,
    coco17_points3d,
    fill_unknown_frames,
    head_frame,
)
from vidpose.lifting.shipped_data import SPLITS, join_stores
from vidpose.mocap.cmu_index import IndexedTake, read_cmu_index
from vidpose.pose.camera import project
from vidpose.sequences import open_sequences

INTRINSICS = np.array([1145.0, 1145.0, 500.0, 500.0])  # the stick figure's camera (conftest)
STANDING = np.array(
    [
        [0.00, 0.00, 0.0], [-0.13, 0.00, 0.0], [-0.13, 0.45, 0.0], [-0.13, 0.88, 0.0],
        [0.13, 0.00, 0.0], [0.13, 0.45, 0.0], [0.13, 0.88, 0.0], [0.00, -0.23, 0.0],
        [0.00, -0.48, 0.0], [0.00, -0.58, 0.0], [0.00, -0.70, 0.0], [0.16, -0.46, 0.0],
        [0.16, -0.18, 0.0], [0.16, 0.06, 0.0], [-0.16, -0.46, 0.0], [-0.16, -0.18, 0.0],
        [-0.16, 0.06, 0.0],
    ]
)  # fmt: skip

# STANDING's neck and head are straight above the thorax: lean the neck forward (towards the
# camera, -z) so the figure faces the camera, as vidpose's synthetic body does.
FACING = STANDING.copy()
FACING[H36M17.index("neck"), 2] = -0.04
FACING[H36M17.index("head"), 2] = -0.04


def test_the_head_frame_of_a_figure_facing_the_camera():
    left, up, forward = head_frame(FACING)
    np.testing.assert_allclose(up, [0, -1, 0], atol=1e-9)  # y points down
    np.testing.assert_allclose(forward, [0, 0, -1], atol=1e-9)  # towards the camera
    np.testing.assert_allclose(left, [1, 0, 0], atol=1e-9)  # the person's left: image right


def test_face_points_sit_at_their_offsets_and_limbs_are_copied():
    points = coco17_points3d(FACING)
    neck = FACING[H36M17.index("neck")]
    for name, (a, b, c) in FACE_OFFSETS.items():
        expected = neck + np.array([a, -b, -c])  # left = +x, up = -y, forward = -z
        np.testing.assert_allclose(points[COCO17.index(name)], expected, atol=1e-9)
    for name in ("left_wrist", "right_knee", "left_shoulder", "right_ankle"):
        np.testing.assert_allclose(points[COCO17.index(name)], FACING[H36M17.index(name)])
    for side in ("left", "right"):  # the hips 14 % of the way down the thigh
        hip, knee = FACING[H36M17.index(f"{side}_hip")], FACING[H36M17.index(f"{side}_knee")]
        np.testing.assert_allclose(
            points[COCO17.index(f"{side}_hip")], hip + HIP_DROP * (knee - hip)
        )
    assert HIP_DROP == 0.14


def test_mapped_back_the_head_joints_are_the_detectors(tmp_path):
    """Mapped like the detector path: neck = nose, head = mid-eyes, thorax = mid-shoulders."""
    mapped = to_h36m17(coco17_points3d(FACING)[..., :2], "coco17")
    nose = coco17_points3d(FACING)[COCO17.index("nose"), :2]
    np.testing.assert_allclose(mapped[H36M17.index("neck"), :2], nose)
    shoulders = FACING[[H36M17.index("left_shoulder"), H36M17.index("right_shoulder")], :2]
    np.testing.assert_allclose(mapped[H36M17.index("thorax"), :2], shoulders.mean(0))


def _two_roots(stick_figure, tmp_path):
    for name, seed in (("a", 0), ("b", 1)):
        stick_figure.write_store(tmp_path / name / "train", ("S1", "14"), ("Walking",), 30, seed)
        stick_figure.write_store(tmp_path / name / "test", ("S9",), ("Walking",), 30, seed + 5)
    return [tmp_path / "a", tmp_path / "b"]


def test_joined_stores_split_by_subject_with_detector_like_sources(stick_figure, tmp_path):
    roots = _two_roots(stick_figure, tmp_path)
    out = tmp_path / "joined"
    argv = ["prepare", "shipped", str(out), *map(str, roots), "--dev-subjects", "14"]
    assert main(argv) == 0
    parts = {split: [open_sequences(root / split) for root in roots] for split in SPLITS}
    pooled = [(s, i) for root in roots for split in SPLITS
              for s in [open_sequences(root / split)] for i in range(len(s))]  # fmt: skip
    for split, subjects in (("train", ["S1"]), ("test", ["S9"]), ("dev", ["14"])):
        joined = open_sequences(out / split)
        assert joined.subjects == subjects and joined.default_2d == "mixed"
        members = [(s, i) for s, i in pooled if s.sequences[i].subject in subjects]
        expected = np.concatenate([s.poses3d[s.slice(i)] for s, i in members])
        np.testing.assert_array_equal(joined.poses3d, expected)
        gt = np.concatenate([s.keypoints("gt")[s.slice(i)] for s, i in members])
        np.testing.assert_array_equal(joined.keypoints("gt"), gt)
        coco = np.asarray(joined.keypoints_raw("coco"))
        camera = np.asarray(joined.poses3d) + np.asarray(joined.root)[:, None]
        wrist = COCO17.index("left_wrist")
        np.testing.assert_allclose(
            coco[:, wrist, :2],
            project(camera[:, H36M17.index("left_wrist")], INTRINSICS),
            atol=1e-3,
        )
        np.testing.assert_allclose(coco, coco17_keypoints(joined), atol=1e-4)  # all in view
        np.testing.assert_array_equal(joined.keypoints("h36m"), gt)
        chosen = set(joined.meta["sources_2d"]["mixed"]["coco_sequences"])
        mixed, mapped = joined.keypoints("mixed"), joined.keypoints("coco")
        for index in range(len(joined)):
            rows = joined.slice(index)
            want = mapped[rows] if index in chosen else gt[rows]
            np.testing.assert_allclose(mixed[rows], want, atol=1e-5)
    assert len(parts["train"]) == 2


def test_actions_become_cmu_activity_groups(stick_figure, tmp_path):
    roots = []
    for name, seed in (("a", 0), ("b", 1)):  # takes named as CMU's: <subject>_<take>
        stick_figure.write_store(tmp_path / name / "train", ("S1",), ("14_27",), 30, seed)
        stick_figure.write_store(tmp_path / name / "test", ("S9", "14"), ("14_27",), 30, seed + 5)
        roots.append(tmp_path / name)
    index = tmp_path / "INDEX.tsv"
    header = "take\tsubject\tdescription\tsubject_description\tcapture_fps_per_CMU_listing"
    header += "\tcollected\tfile\tformat\tactivity_groups\n"
    index.write_text(header + "14_27\t14\tsit on stool\tx\t120\tyes\tf\tbvh\tsit_chair;bend\n")
    join_stores(tmp_path / "j", roots, dev_subjects=["14"], cmu_index=index)
    assert open_sequences(tmp_path / "j" / "dev").actions == ["sit_chair"]
    take = read_cmu_index(index)["14_27"]
    assert take.capture_fps == 120 and take.activity_groups == ("sit_chair", "bend")
    assert take.description == "sit on stool"


def test_activity_groups_without_keywords():
    walk = IndexedTake(120.0, (), "walk, veer left")
    laugh = IndexedTake(120.0, (), "laugh")
    assert (walk.activity_group, laugh.activity_group) == ("walk_run", "other")


def test_joining_refuses_what_it_cannot_do(stick_figure, tmp_path, capsys):
    roots = _two_roots(stick_figure, tmp_path)
    argv = ["prepare", "shipped", str(tmp_path / "j"), *map(str, roots)]
    assert main([*argv, "--dev-subjects", "nobody"]) == 2
    assert "no sequence goes to dev" in capsys.readouterr().err
    assert main(["prepare", "shipped", str(tmp_path), str(roots[0]), "--overwrite"]) == 2
    assert "lies inside or around the input" in capsys.readouterr().err
    assert not (tmp_path / "j").exists()
    assert main([*argv]) == 0
    assert main([*argv]) == 2
    assert "already exists" in capsys.readouterr().err


def test_as_detected_drops_joints_outside_the_image_and_fills_empty_frames():
    keypoints = np.ones((5, 17, 3), np.float32)
    keypoints[..., 0] = np.arange(5)[:, None] * 10.0 + 5.0  # x = 5, 15, ..., 45
    keypoints[1, 3, 0] = -1.0  # one joint left of the image
    keypoints[2, :, 1] = 500.0  # a whole frame below it
    keypoints[4, 0, 1] = 99.4  # inside: the last row of pixels reaches 99.5
    out = as_detected(keypoints, np.array([[50, 100]]), [5])
    np.testing.assert_array_equal(out[1, 3], [0, 0, 0])
    np.testing.assert_array_equal(out[2], out[1])  # the nearest earlier frame, on a tie
    np.testing.assert_array_equal(out[[0, 3, 4]], keypoints[[0, 3, 4]])


def test_fill_unknown_frames_needs_one_known_frame():
    data = np.arange(5.0)[:, None]
    np.testing.assert_array_equal(
        fill_unknown_frames(data, np.array([0, 1, 0, 0, 1], bool))[:, 0], [1, 1, 1, 4, 4]
    )
    with pytest.raises(UserError):
        fill_unknown_frames(data, np.zeros(5, bool))


def test_evaluation_splits_get_seeded_detector_noise(stick_figure, tmp_path):
    roots = _two_roots(stick_figure, tmp_path)
    first = join_stores(tmp_path / "a_join", roots, dev_subjects=["14"])
    second = join_stores(tmp_path / "b_join", roots, dev_subjects=["14"])
    assert "coco_noisy" not in first["train"].sources_2d
    for split in ("test", "dev"):
        store = first[split]
        for name, clean in (("coco_noisy", "coco"), ("h36m_noisy", "h36m")):
            noisy, exact = store.keypoints(name), store.keypoints(clean)
            np.testing.assert_array_equal(noisy, second[split].keypoints(name))
            kept = (noisy[..., 2] > 0) & (exact[..., 2] > 0)
            assert 0.9 < kept.mean() < 1.0  # dropped joints and swaps, not everything
            shift = np.linalg.norm(noisy[..., :2] - exact[..., :2], axis=-1)[kept]
            assert 0 < np.median(shift) < 10  # pixels, of a ~300-pixel figure
