import numpy as np

from vidpose.pose.camera import project
from vidpose.synth.studio_cameras import (
    CAMERA_IDS,
    CROP_MARGIN,
    crop_boxes,
    look_at,
    place_cameras,
    project_to_stored,
    to_stored,
)


def test_cameras_are_placed_like_human36m():
    cameras = place_cameras(np.random.default_rng(0), centre_xy=(1.0, -0.5))
    assert len(cameras) == len(CAMERA_IDS) == 4
    centre = np.array([1.0, -0.5, 1.0])
    azimuths = []
    for cam in cameras:
        offset = cam.centre[:2] - centre[:2]
        assert 4.5 < np.linalg.norm(offset) < 6.0 and 1.2 < cam.centre[2] < 1.9
        azimuths.append(np.degrees(np.arctan2(offset[1], offset[0])) % 360)
        fx, fy, cx, cy = cam.intrinsics
        assert 1130 < fx < 1160 and abs(fx - fy) < 10 and abs(cx - 500) < 20 and abs(cy - 500) < 20
        u, v = cam.project(cam.to_camera(centre))
        assert 300 < u < 700 and 300 < v < 700  # the capture-area centre is in view
        np.testing.assert_allclose(cam.rotation @ cam.rotation.T, np.eye(3), atol=1e-12)
    assert np.ptp(np.diff(np.sort(azimuths))) < 40  # spread around the subject


def test_look_at_uses_opencv_axes():
    rotation = look_at(np.array([0.0, -5.0, 1.5]), np.array([0.0, 0.0, 1.5]))
    cam = rotation @ (np.array([[1.0, 0.0, 2.5], [0.0, 0.0, 1.5]]) - [0.0, -5.0, 1.5]).T
    assert cam[0, 0] > 0 and cam[1, 0] < 0  # world +x is image right, world up is image up
    assert cam[2, 1] == 5.0


def test_crop_is_a_square_with_margin_around_the_joints():
    rng = np.random.default_rng(0)
    points = rng.uniform([300, 200], [420, 700], size=(5, 17, 2))
    crops = crop_boxes(points)
    stored = to_stored(points, crops, 112)
    assert stored.min() >= 0 and stored.max() <= 112
    extent = np.ptp(stored, axis=-2).max(axis=-1)
    np.testing.assert_allclose(extent, 112 / CROP_MARGIN)
    np.testing.assert_allclose((stored.min(-2) + stored.max(-2)) / 2, 56)


def test_project_to_stored_matches_the_step_by_step_projection():
    rng = np.random.default_rng(1)
    joints = rng.normal([0, 0, 5], 0.4, size=(2, 3, 17, 3))
    intrinsics = np.array([[1145, 1146, 501, 499], [1150, 1149, 498, 502.0]])
    crops = np.stack([crop_boxes(project(joints[i], intrinsics[i])) for i in range(2)])
    expected = np.stack(
        [to_stored(project(joints[i], intrinsics[i]), crops[i], 64) for i in range(2)]
    )
    root = joints[:, :, 0]
    got = project_to_stored(joints - root[:, :, None], root, intrinsics, crops, 64)
    np.testing.assert_allclose(got, expected, atol=1e-9)
