"""The lifter over a whole video's keypoints (vidpose.inference.lift_video)."""

import numpy as np
import pytest
import torch

from vidpose.inference.lift_video import (
    lift_at_model_rate,
    lift_sequence,
)
from vidpose.keypoints.normalize import normalize_screen
from vidpose.lifting.predict import CHUNK_FRAMES
from vidpose.lifting.windows import screen_input
from vidpose.models import ModelConfig, build_model

SIZE = (640, 480)


@pytest.fixture(scope="module")
def lifter():
    torch.manual_seed(0)
    return build_model(ModelConfig(lifter="tcn", receptive_field=9, hidden_size=16)).eval()


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
    same, _ = lift_at_model_rate(lifter, points, SIZE, 50.0, 50.0)
    np.testing.assert_array_equal(same, lift_sequence(lifter, points, SIZE)[0])
    # 25 fps → 50: every second model frame is a video frame, the others the midpoints
    upsampled = np.empty((29, 17, 3), np.float32)
    upsampled[::2] = points
    upsampled[1::2, :, :2] = 0.5 * (points[:-1, :, :2] + points[1:, :, :2])
    upsampled[1::2, :, 2] = np.minimum(points[:-1, :, 2], points[1:, :, 2])
    poses, known = lift_at_model_rate(lifter, points, SIZE, 25.0, 50.0)
    assert poses.shape == (15, 17, 3) and known.all()
    np.testing.assert_allclose(poses, lift_sequence(lifter, upsampled, SIZE)[0][::2], atol=1e-5)
