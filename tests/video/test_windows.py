import numpy as np
import pytest
import torch

from vidpose.video.clip_windows import pad_to_clip, predict_windows, window_starts


@pytest.mark.parametrize(("frames", "clip", "stride"), [(8, 8, None), (20, 8, None), (21, 8, 3)])
def test_windows_cover_every_frame_and_end_at_the_last(frames, clip, stride):
    starts = window_starts(frames, clip, stride)
    assert starts[0] == 0 and starts[-1] == frames - clip
    covered = np.zeros(frames, int)
    for start in starts:
        covered[start : start + clip] += 1
    assert (covered >= 1).all()
    assert np.all(np.diff(starts) <= (stride or clip // 2))


class PositionModel(torch.nn.Module):
    """Predicts, for every frame of a clip, x = the frame's place in the window and y = its
    brightness, so windowing and averaging can be checked exactly."""

    def forward(self, frames, geometry=None):  # (B, T, 3, H, W)
        batch, length = frames.shape[:2]
        poses = torch.zeros(batch, length, 17, 3)
        poses[..., 0] = torch.arange(length, dtype=torch.float32)[None, :, None]
        poses[..., 1] = frames.mean(dim=(2, 3, 4))[..., None]
        return poses


def test_overlapping_predictions_are_averaged_frame_by_frame():
    brightness = np.arange(12, dtype=np.uint8) * 20
    crops = np.broadcast_to(brightness[:, None, None, None], (12, 4, 4, 3)).copy()
    poses = predict_windows(PositionModel(), crops, clip_frames=4, batch_size=2, stride=2)
    assert poses.shape == (12, 17, 3) and poses.dtype == np.float32
    # Windows start at 0, 2, 4, 6, 8: frame 0 is only at place 0, frame 2 at places 2 and 0.
    np.testing.assert_allclose(poses[:, 0, 0], [0, 1, 1, 2, 1, 2, 1, 2, 1, 2, 2, 3])
    # The per-frame channel is the same whichever window a frame is in: nothing is shifted.
    assert np.all(np.diff(poses[:, 0, 1]) > 0)


def test_short_video_is_padded_and_says_so(capsys):
    crops = np.zeros((3, 4, 4, 3), np.uint8)
    padded = pad_to_clip(crops, 8)
    assert padded.shape[0] == 8
    assert "3 frame(s), fewer than the model's clip of 8" in capsys.readouterr().err
    poses = predict_windows(PositionModel(), crops, clip_frames=8)
    assert poses.shape == (3, 17, 3)
    np.testing.assert_allclose(poses[:, 0, 0], [0, 1, 2])


def test_a_real_pose_model_runs_over_windows(tiny_checkpoint):
    from vidpose.runs.checkpoint import load_model

    model, checkpoint = load_model(tiny_checkpoint)
    crops = np.random.default_rng(0).integers(0, 255, (11, 32, 32, 3), dtype=np.uint8)
    poses = predict_windows(model, crops, checkpoint["clip_frames"], batch_size=3)
    assert poses.shape == (11, 17, 3) and np.isfinite(poses).all()
    np.testing.assert_array_equal(poses[:, 0], 0)  # root-relative: the pelvis is the origin
