"""How well the 3D fits the 2D (vidpose.video.fit), in closed form."""

import numpy as np
import pytest

from vidpose.pose.camera import project, video_intrinsics
from vidpose.video.fit import (
    LIMB_JOINTS,
    TRUST_THRESHOLD,
    fit_root,
    person_size,
    reprojection_error,
    trust_summary,
    worst_stretch,
)

INTRINSICS = video_intrinsics(1080, 1920)  # a portrait phone video


def _pose() -> np.ndarray:
    """A root-relative pose (17, 3) metres: joints spread over 1.6 m of height."""
    rng = np.random.default_rng(4)
    pose = np.column_stack(
        [rng.uniform(-0.3, 0.3, 17), np.linspace(-0.8, 0.8, 17), rng.uniform(-0.2, 0.2, 17)]
    )
    return pose - pose[0]


def _keypoints(poses, root, score=0.9):
    points = project(poses + root[:, None], INTRINSICS)
    return np.concatenate([points, np.full((*points.shape[:2], 1), score)], axis=-1)


def test_the_root_is_recovered_and_the_error_is_zero_on_exact_keypoints():
    poses = np.stack([_pose()] * 3)
    root = np.array([[0.1, -0.2, 4.0], [-0.5, 0.3, 6.0], [0.0, 0.0, 2.5]])
    keypoints = _keypoints(poses, root)
    fitted = fit_root(poses, keypoints, INTRINSICS)
    np.testing.assert_allclose(fitted, root, atol=1e-9)
    size = person_size(keypoints)
    np.testing.assert_allclose(
        reprojection_error(poses, fitted, keypoints, INTRINSICS, size), 0, atol=1e-12
    )


def test_the_error_is_the_mean_limb_distance_over_the_persons_size():
    poses = np.stack([_pose()])
    root = np.array([[0.0, 0.0, 4.0]])
    keypoints = _keypoints(poses, root)
    moved = keypoints.copy()
    moved[0, LIMB_JOINTS[:6], 0] += 30.0  # six of the twelve limb joints 30 px off
    moved[0, 0, 0] += 500.0  # the pelvis is not a limb joint: not measured
    size = person_size(keypoints)
    expected = (6 * 30.0 / 12) / size[0]
    error = reprojection_error(poses, root, moved, INTRINSICS, size)
    assert error[0] == pytest.approx(expected)
    moved[0, LIMB_JOINTS[6:], 2] = 0.1  # unscored limb joints are left out: 30 px on average
    assert reprojection_error(poses, root, moved, INTRINSICS, size)[0] == pytest.approx(
        30 / size[0]
    )
    moved[0, LIMB_JOINTS, 2] = 0.0
    assert np.isnan(reprojection_error(poses, root, moved, INTRINSICS, size)[0])


def test_the_persons_size_is_the_longer_side_of_their_scored_keypoints():
    keypoints = np.zeros((3, 17, 3))
    keypoints[0, :, :2] = [[10 + i, 100 + 20 * i] for i in range(17)]  # 16 x 320 px
    keypoints[0, :, 2] = 0.9
    keypoints[0, 16, 2] = 0.2  # not scored: the box ends at joint 15
    keypoints[1, :2] = [[0, 0, 0.9], [50, 5, 0.9]]  # two joints, 50 px across
    keypoints[2, 0] = [4, 4, 0.9]  # one joint: no size
    np.testing.assert_allclose(person_size(keypoints), [300, 50, np.nan])


def test_the_worst_stretch_is_the_window_with_the_highest_mean():
    errors = np.array([0.01, 0.02, 0.30, 0.20, np.nan, 0.01, 0.02])
    assert worst_stretch(errors, 2) == (pytest.approx(0.25), 2, 3)
    # A window with fewer than half of its frames measured does not count.
    assert worst_stretch(np.array([np.nan, np.nan, 0.5, 0.1]), 3) == (pytest.approx(0.3), 1, 3)
    assert worst_stretch(np.array([0.1, 0.3]), 5) == (pytest.approx(0.2), 0, 1)
    assert worst_stretch(np.full(4, np.nan), 2) is None


def test_the_trust_summary_counts_frames_over_the_threshold():
    errors = np.array([0.02] * 20 + [TRUST_THRESHOLD + 0.01] * 5 + [np.nan] * 5)
    summary = trust_summary(errors, fps=10.0)
    assert summary["median"] == 0.02 and summary["frames_flagged"] == 5
    assert summary["frames_measured"] == 25 and summary["threshold"] == TRUST_THRESHOLD
    # Frames 20-29: five over the threshold, five unmeasured (half a window is enough).
    worst = summary["worst_stretch"]
    assert worst == {
        "mean": TRUST_THRESHOLD + 0.01, "first_frame": 20, "last_frame": 29, "start_s": 2.0,
        "end_s": 3.0,
    }  # fmt: skip
