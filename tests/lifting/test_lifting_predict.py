"""Whole-sequence prediction: every frame, the ends padded, the receptive field, flip test."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from vidpose.lifting import sequence_inference
from vidpose.lifting.keypoint_augment import flip_poses3d
from vidpose.lifting.sequence_inference import lift, predict_sequences
from vidpose.lifting.windows import KeypointSequences
from vidpose.models import build_model
from vidpose.sequences import open_sequences


class WindowMean(nn.Module):
    """A toy lifter with context (2, 2): each output is the mean of its 5 input frames' x, y
    (z = 0). It commutes with the flip (x → −x and the joint swap act per joint)."""

    context = (2, 2)
    window = None
    input_channels = 2

    def forward(self, x):
        means = x.unfold(1, 5, 1).mean(-1)  # (N, T - 4, 17, 2)
        return torch.cat([means, torch.zeros_like(means[..., :1])], -1)


@pytest.fixture(scope="module")
def test_data(pose_dataset):
    store = open_sequences(pose_dataset / "test")
    return KeypointSequences(store, None)


def test_every_frame_is_predicted_and_the_ends_repeat_the_edge_frame(test_data):
    indices = [0, 3]
    predictions = predict_sequences(WindowMean(), test_data, indices, batch_size=3)
    for index, poses in zip(indices, predictions, strict=True):
        info = test_data.store.sequences[index]
        assert poses.shape == (info.frames, 17, 3)
        x = test_data.keypoints[info.start : info.stop].numpy()
        x = x[..., :2] / 1000 * 2 - 1  # 1000 × 1000 images: both axes the same
        padded = np.concatenate([x[:1], x[:1], x, x[-1:], x[-1:]])
        expected = np.stack([padded[t : t + 5].mean(0) for t in range(info.frames)])
        np.testing.assert_allclose(poses[..., :2], expected, atol=1e-5)


def test_chunks_do_not_change_a_tcn_prediction(test_data, monkeypatch):
    torch.manual_seed(0)
    model = build_model(dict(lifter="tcn", receptive_field=9, hidden_size=8)).eval()
    whole = predict_sequences(model, test_data, [1, 2])
    monkeypatch.setattr(sequence_inference, "CHUNK_FRAMES", 7)
    chunked = predict_sequences(model, test_data, [1, 2], batch_size=2)
    for a, b in zip(whole, chunked, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_a_change_reaches_only_the_receptive_field(test_data, causal):
    """A change of frame t's 2D moves outputs t − 4 … t + 4 (R = 9), or t … t + 8 when causal."""
    torch.manual_seed(0)
    model = build_model(dict(lifter="tcn", receptive_field=9, hidden_size=8, causal=causal)).eval()
    info = test_data.store.sequences[0]
    before = predict_sequences(model, test_data, [0])[0]
    t = 20
    test_data.keypoints[info.start + t, 5, 0] += 50.0
    try:
        after = predict_sequences(model, test_data, [0])[0]
    finally:
        test_data.keypoints[info.start + t, 5, 0] -= 50.0
    moved = np.abs(after - before).max(axis=(1, 2)) > 0
    frames = np.arange(info.frames)
    low, high = (t, t + 8) if causal else (t - 4, t + 4)
    assert moved.tolist() == ((frames >= low) & (frames <= high)).tolist()


def test_transformer_windows_cover_the_sequence(test_data):
    torch.manual_seed(0)
    model = build_model(
        dict(
            lifter="transformer",
            receptive_field=16,
            hidden_size=8,
            temporal_layers=1,
            transformer_heads=2,
        )
    ).eval()
    (poses,) = predict_sequences(model, test_data, [4])
    assert poses.shape == (test_data.store.sequences[4].frames, 17, 3)
    assert np.isfinite(poses).all()


def test_flip_test_of_an_equivariant_model_changes_nothing():
    x = torch.randn(2, 9, 17, 2)
    model = WindowMean()
    torch.testing.assert_close(lift(model, x, flip_test=True), model(x))


def test_flip_test_averages_with_the_unflipped_mirror_prediction():
    constant = torch.randn(17, 3)

    class Constant(nn.Module):
        def forward(self, x):
            return constant.expand(x.shape[0], x.shape[1], 17, 3)

    x = torch.randn(1, 4, 17, 2)
    expected = 0.5 * (constant + flip_poses3d(constant))
    torch.testing.assert_close(lift(Constant(), x, flip_test=True)[0, 0], expected)


def test_a_partial_load_predicts_as_the_full_one(test_data):
    """``KeypointSequences(..., sequences=[...])`` loads only those sequences, back to back:
    their predictions are the full load's."""
    torch.manual_seed(0)
    model = build_model(dict(lifter="tcn", receptive_field=9, hidden_size=8)).eval()
    picked = [3, 1]
    partial = KeypointSequences(test_data.store, None, sequences=picked)
    assert len(partial.keypoints) == sum(test_data.store.sequences[i].frames for i in picked)
    full = predict_sequences(model, test_data, picked)
    for i, (a, b) in enumerate(zip(predict_sequences(model, partial, picked), full, strict=True)):
        assert a.shape == (test_data.store.sequences[picked[i]].frames, 17, 3)
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match=r"sequences \[0\] not loaded"):
        predict_sequences(model, partial, [1, 0])
