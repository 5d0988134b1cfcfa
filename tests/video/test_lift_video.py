"""The lifter over a whole video's keypoints (vidpose.video.lift)."""

import numpy as np
import pytest
import torch

from vidpose.keypoints.normalize import normalize_screen
from vidpose.lifting.sequence_inference import CHUNK_FRAMES
from vidpose.lifting.windows import screen_input
from vidpose.models import LifterConfig, build_model
from vidpose.video.lift import (
    lift_at_model_rate,
    lift_segments,
    lift_sequence,
    segments,
)

SIZE = (640, 480)


@pytest.fixture(scope="module")
def lifter():
    torch.manual_seed(0)
    return build_model(LifterConfig(lifter="tcn", receptive_field=9, hidden_size=16)).eval()


def _keypoints(frames: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    points = np.empty((frames, 17, 3), np.float32)
    points[..., 0] = rng.uniform(200, 440, (frames, 17))
    points[..., 1] = rng.uniform(100, 400, (frames, 17))
    points[..., 2] = rng.uniform(0.5, 1.0, (frames, 17))
    return points


def _reference(model, points: np.ndarray) -> np.ndarray:
    """The whole sequence in one pass of the dilated net, edge-padded by hand."""
    before, after = model.context
    padded = np.concatenate([points[:1].repeat(before, 0), points, points[-1:].repeat(after, 0)])
    screen = screen_input(normalize_screen(torch.from_numpy(padded), SIZE[0], SIZE[1]), False)
    with torch.no_grad():
        return model(screen[None].float())[0].numpy()


@pytest.mark.parametrize("frames", [1, 5, CHUNK_FRAMES + 40])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_every_frame_is_lifted_with_edge_padding(lifter, frames, batch_size):
    points = _keypoints(frames)
    poses, known = lift_sequence(lifter, points, SIZE, batch_size=batch_size)
    assert poses.shape == (frames, 17, 3) and poses.dtype == np.float32 and known.all()
    np.testing.assert_allclose(poses, _reference(lifter, points), atol=1e-5)
    np.testing.assert_array_equal(poses[:, 0], 0)  # root-relative


def test_low_scores_arrive_as_dropped_joints(lifter):
    points = _keypoints(30)
    points[3:9, 4, 2] = 0.1  # below the threshold: lifted as if the joint were missing
    dropped = points.copy()
    dropped[3:9, 4] = 0
    poses, _ = lift_sequence(lifter, points, SIZE, min_score=0.3)
    np.testing.assert_allclose(poses, _reference(lifter, dropped), atol=1e-5)


def test_frames_without_the_person_repeat_the_nearest_known_frame(lifter):
    points = _keypoints(20)
    points[:3] = 0
    points[10:13] = 0
    poses, known = lift_sequence(lifter, points, SIZE)
    assert known.tolist() == [False] * 3 + [True] * 7 + [False] * 3 + [True] * 7
    filled = points.copy()
    filled[:3] = points[3]
    filled[10:12] = points[9]  # 10, 11 nearer to 9; 12 nearer to 13
    filled[12] = points[13]
    np.testing.assert_allclose(poses, _reference(lifter, filled), atol=1e-5)


def test_flip_test_averages_with_the_mirrored_prediction(lifter):
    points = _keypoints(12)
    plain, _ = lift_sequence(lifter, points, SIZE)
    flipped, _ = lift_sequence(lifter, points, SIZE, flip_test=True)
    assert not np.allclose(plain, flipped)
    np.testing.assert_array_equal(flipped[:, 0], 0)


def test_a_video_at_another_rate_is_lifted_at_the_models(lifter):
    points = _keypoints(15)
    same = lift_at_model_rate(lifter, points, SIZE, 50.0, 50.0)
    np.testing.assert_array_equal(same, lift_sequence(lifter, points, SIZE)[0])
    # 25 fps → 50: every second model frame is a video frame, the others the midpoints
    upsampled = np.empty((29, 17, 3), np.float32)
    upsampled[::2] = points
    upsampled[1::2, :, :2] = 0.5 * (points[:-1, :, :2] + points[1:, :, :2])
    upsampled[1::2, :, 2] = np.minimum(points[:-1, :, 2], points[1:, :, 2])
    poses = lift_at_model_rate(lifter, points, SIZE, 25.0, 50.0)
    assert poses.shape == (15, 17, 3)
    np.testing.assert_allclose(poses, lift_sequence(lifter, upsampled, SIZE)[0][::2], atol=1e-5)


def test_by_default_every_placed_joint_is_read_and_unplaced_ones_are_dropped(lifter):
    points = _keypoints(30)
    points[3:9, 4, 2] = 0.1  # a low score still comes with the detector's position
    points[12:15, 5, 2] = 0.0  # no position: dropped
    dropped = points.copy()
    dropped[12:15, 5] = 0
    poses, _ = lift_sequence(lifter, points, SIZE)
    np.testing.assert_allclose(poses, _reference(lifter, dropped), atol=1e-5)


def test_segments_split_where_the_person_is_away_longer_than_a_gap_may_be_held():
    usable = np.array([0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0], bool)
    assert segments(usable, max_hold=2) == [(1, 6), (9, 11)]
    assert segments(usable, max_hold=3) == [(1, 11)]
    assert segments(np.zeros(4, bool), max_hold=2) == []


def test_each_stretch_is_lifted_on_its_own_and_frames_outside_are_nan(lifter):
    points = _keypoints(40)
    points[:2] = 0  # not there yet
    points[10:12] = 0  # a short gap: held
    points[20:30] = 0  # away too long: the two stretches are lifted apart
    poses, held = lift_segments(lifter, points, SIZE, 50.0, 50.0, max_hold=3)
    assert np.isnan(poses[:2]).all() and np.isnan(poses[20:30]).all()
    assert np.flatnonzero(held).tolist() == [10, 11]
    first, _ = lift_sequence(lifter, points[2:20], SIZE)
    second, _ = lift_sequence(lifter, points[30:], SIZE)
    np.testing.assert_allclose(poses[2:20], first, atol=1e-6)
    np.testing.assert_allclose(poses[30:], second, atol=1e-6)


def test_no_stretch_of_held_frames_is_longer_than_a_gap_may_be_held(lifter):
    """Whatever frames lack keypoints, a held run never exceeds ``max_hold`` frames: longer
    absences split the stretches and are NaN."""
    rng = np.random.default_rng(5)
    for _ in range(5):
        points = _keypoints(80, seed=int(rng.integers(1000)))
        points[rng.random(80) < 0.3] = 0
        poses, held = lift_segments(lifter, points, SIZE, 50.0, 50.0, max_hold=4)
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], held, [0]]).astype(int))))
        assert (runs[::2] <= 4).all()
        absent = ~(points[..., 2] > 0).any(-1)
        assert np.array_equal(np.isnan(poses).all(axis=(1, 2)), absent & ~held)
