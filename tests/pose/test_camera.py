"""The one pinhole camera (vidpose.pose.camera): projection, the default video camera, the root
fit."""

import numpy as np
import pytest
import torch

from vidpose.pose.camera import (
    FOCAL_PER_SIDE,
    project,
    project_torch,
    root_translation,
    video_intrinsics,
)


def test_projection_in_closed_form():
    points = np.array([[0.0, 0.0, 2.0], [1.0, -0.5, 4.0]])
    np.testing.assert_allclose(project(points, [1000, 800, 320, 240]), [[320, 240], [570, 140]])
    # Per-point intrinsics broadcast over the points' leading dimensions.
    per_clip = project(np.stack([points, points]), np.array([[1000, 800, 320, 240], [1, 1, 0, 0]]))
    np.testing.assert_allclose(per_clip[1], [[0, 0], [0.25, -0.125]])


def test_numpy_and_torch_projections_agree_and_clamp_depth():
    rng = np.random.default_rng(0)
    points = rng.normal(0, 1, (3, 5, 17, 3)) + [0, 0, 5]
    intrinsics = rng.uniform(300, 1200, (3, 4))
    expected = np.stack([project(p, k) for p, k in zip(points, intrinsics, strict=True)])
    found = project_torch(torch.tensor(points), torch.tensor(intrinsics)).numpy()
    np.testing.assert_allclose(found, expected, rtol=1e-12)
    behind = project_torch(torch.tensor([[[1.0, 0.0, -1.0]]]), torch.tensor([[10.0, 10, 0, 0]]))
    assert torch.isfinite(behind).all() and behind[0, 0, 0] == pytest.approx(1e4)


def test_the_default_video_camera_has_human36m_field_of_view_and_a_centred_axis():
    np.testing.assert_allclose(video_intrinsics(1920, 1080), [2198.4, 2198.4, 959.5, 539.5])
    # A portrait video: the longer side is the height.
    np.testing.assert_allclose(video_intrinsics(1080, 1920)[:2], FOCAL_PER_SIDE * 1920)
    np.testing.assert_allclose(video_intrinsics(640, 480, focal=500), [500, 500, 319.5, 239.5])


def test_the_root_translation_puts_the_pose_on_its_keypoints():
    rng = np.random.default_rng(4)
    poses = rng.normal(0, 0.3, (6, 17, 3))
    poses -= poses[:, :1]
    root = np.column_stack([rng.uniform(-1, 1, 6), rng.uniform(-0.5, 0.5, 6), rng.uniform(3, 8, 6)])
    intrinsics = video_intrinsics(640, 480)
    pixels = project(poses + root[:, None], intrinsics)
    weights = np.ones((6, 17))
    weights[1, 3:] = 0.0  # two joints are enough
    weights[2, 1:] = 0.0  # one is not
    pixels[3] = pixels[3, 0]  # nor do joints at one pixel
    pixels[4, 5] = np.nan  # a missing joint is left out, not spread as NaN
    found = root_translation(poses, pixels, intrinsics, weights)
    np.testing.assert_allclose(found[[0, 1, 4, 5]], root[[0, 1, 4, 5]], rtol=1e-9)
    assert np.isnan(found[[2, 3]]).all()
