"""PoseModel: target normalisation, the exact-zero pelvis, and clip independence."""

from __future__ import annotations

import pytest
import torch

from vidpose.infra.errors import UserError
from vidpose.models import ModelConfig, build_model
from vidpose.pose.skeleton import ROOT


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = build_model(ModelConfig(hidden_size=16, feature_dim=16)).eval()
    model.set_target_stats(torch.randn(17, 3) * 0.2, torch.rand(17, 3) * 0.3 + 0.05)
    return model


def test_forward_is_denormalised_forward_normalized(model):
    frames = torch.randn(2, 3, 3, 32, 32)
    with torch.no_grad():
        raw = model.forward_normalized(frames)
        poses = model(frames)
    expected = raw * model.target_std + model.target_mean
    non_root = [j for j in range(17) if j != ROOT]
    torch.testing.assert_close(poses[..., non_root, :], expected[..., non_root, :])
    assert not torch.allclose(raw, poses)


def test_pelvis_is_exactly_zero(model):
    with torch.no_grad():
        poses = model(torch.randn(2, 3, 3, 32, 32))
    assert torch.equal(poses[..., ROOT, :], torch.zeros(2, 3, 3))
    assert poses[..., ROOT + 1 :, :].abs().min() > 0


def test_target_stats_are_saved_buffers_and_std_is_clamped(model):
    model.set_target_stats(torch.zeros(17, 3), torch.zeros(17, 3))
    assert model.target_std.min() > 0
    state = model.state_dict()
    assert {"target_mean", "target_std"} <= state.keys()
    assert "root_mask" not in state


def test_clips_in_a_batch_do_not_mix(model):
    frames = torch.randn(3, 4, 3, 32, 32)
    with torch.no_grad():
        together = model(frames)
        alone = torch.cat([model(frames[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-4)


def test_lstm_output_depends_on_earlier_frames_and_none_does_not():
    torch.manual_seed(0)
    frames = torch.randn(1, 4, 3, 32, 32)
    changed = frames.clone()
    changed[:, 0] = torch.randn(3, 32, 32)
    for temporal, depends in (("lstm", True), ("none", False)):
        model = build_model(ModelConfig(temporal=temporal, hidden_size=16, feature_dim=16)).eval()
        with torch.no_grad():
            difference = (model(frames)[:, -1] - model(changed)[:, -1]).abs().max()
        assert (difference > 1e-6) == depends, temporal


def test_transformer_handles_any_length_up_to_max_frames():
    model = build_model(
        ModelConfig(temporal="transformer", hidden_size=16, feature_dim=16, max_frames=6)
    ).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 6, 3, 32, 32)).shape == (1, 6, 17, 3)
        assert model(torch.randn(1, 2, 3, 32, 32)).shape == (1, 2, 17, 3)
        with pytest.raises(UserError, match="longer than model.max_frames 6"):
            model(torch.randn(1, 7, 3, 32, 32))


def test_state_dict_round_trip_reproduces_outputs(model):
    clone = build_model(model.config).eval()
    clone.load_state_dict(model.state_dict())
    frames = torch.randn(1, 3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(clone(frames), model(frames))
