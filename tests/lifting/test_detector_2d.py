"""COCO-17 training 2D made from 3D poses (vidpose.lifting.detector_2d) and the joined stores
of the shipped lifter's data (vidpose.lifting.shipped_data)."""

import numpy as np

from vidpose.keypoints.layouts import COCO17, H36M17, to_h36m17
from vidpose.lifting.detector_2d import FACE_OFFSETS, coco17_keypoints, coco17_points3d, head_frame
from vidpose.lifting.shipped_data import main as join_main
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
    for name in ("left_wrist", "right_knee", "left_shoulder", "right_hip"):
        np.testing.assert_allclose(points[COCO17.index(name)], FACING[H36M17.index(name)])


def test_mapped_back_the_head_joints_are_the_detectors(tmp_path):
    """Mapped like the detector path: neck = nose, head = mid-eyes, thorax = mid-shoulders."""
    mapped = to_h36m17(coco17_points3d(FACING)[..., :2], "coco17")
    nose = coco17_points3d(FACING)[COCO17.index("nose"), :2]
    np.testing.assert_allclose(mapped[H36M17.index("neck"), :2], nose)
    shoulders = FACING[[H36M17.index("left_shoulder"), H36M17.index("right_shoulder")], :2]
    np.testing.assert_allclose(mapped[H36M17.index("thorax"), :2], shoulders.mean(0))


def test_joined_stores_get_a_projected_coco_source(stick_figure, tmp_path):
    write_store = stick_figure.write_store
    for name, seed in (("a", 0), ("b", 1)):
        write_store(tmp_path / name / "train", ("S1",), ("Walking",), 30, seed)
        write_store(tmp_path / name / "test", ("S9",), ("Walking",), 30, seed + 5)
    out = tmp_path / "joined"
    assert join_main(["join", str(out), str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    for split in ("train", "test"):
        parts = [open_sequences(tmp_path / name / split) for name in ("a", "b")]
        joined = open_sequences(out / split)
        assert joined.num_frames == sum(p.num_frames for p in parts)
        assert joined.default_2d == "coco" and joined.layout("coco") == "coco17"
        np.testing.assert_array_equal(joined.poses3d, np.concatenate([p.poses3d for p in parts]))
        coco = np.asarray(joined.keypoints_raw("coco"))
        camera = np.asarray(joined.poses3d) + np.asarray(joined.root)[:, None]
        wrist = COCO17.index("left_wrist")
        np.testing.assert_allclose(
            coco[:, wrist, :2],
            project(camera[:, H36M17.index("left_wrist")], INTRINSICS),
            atol=1e-3,
        )
        np.testing.assert_allclose(coco, coco17_keypoints(joined), atol=1e-4)
