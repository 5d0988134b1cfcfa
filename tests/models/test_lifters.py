"""The lifters (model.lifter): smoke tests for every registered one, and the TCN's
conventions in closed form (strided = dilated, receptive field, causality)."""

from __future__ import annotations

import pytest
import torch

from vidpose.infra.errors import UserError
from vidpose.models import LiftingModel, available_lifters, build_model
from vidpose.models.settings import model_config

SMALL = {
    "tcn": dict(lifter="tcn", receptive_field=9, hidden_size=16, dropout=0.1),
    "transformer": dict(
        lifter="transformer",
        receptive_field=8,
        hidden_size=16,
        temporal_layers=2,
        transformer_heads=2,
        dropout=0.1,
    ),
    "mlp": dict(lifter="mlp", receptive_field=1, hidden_size=16, temporal_layers=2, dropout=0.1),
}


def test_every_registered_lifter_is_covered():
    assert set(available_lifters()) == set(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
@pytest.mark.parametrize("confidence", [False, True])
def test_forward_and_backward(name, confidence):
    torch.manual_seed(0)
    model = build_model({**SMALL[name], "input_confidence": confidence}).train()
    assert isinstance(model, LiftingModel) and model.config.kind == "lifter"
    channels = 3 if confidence else 2
    before, after = model.context
    frames = model.window or before + after + 5
    poses = model(torch.randn(3, frames, 17, channels))
    outputs = model.window or 5
    assert poses.shape == (3, outputs, 17, 3)
    assert (poses[..., 0, :] == 0).all()  # the pelvis is exactly 0
    poses[..., 1:, :].square().mean().backward()
    for parameter_name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{parameter_name} got no gradient"
        assert torch.isfinite(parameter.grad).all()
    with pytest.raises(ValueError, match="expected keypoints"):
        model(torch.randn(3, frames, 17, 5 - channels))


def test_outputs_are_metres_through_the_target_statistics():
    model = build_model(SMALL["mlp"]).eval()
    x = torch.randn(2, 4, 17, 2)
    normalized = model(x, return_aux=True)["poses3d_normalized"]
    mean, std = torch.rand(17, 3), torch.rand(17, 3) + 0.5
    model.set_target_stats(mean, std)
    expected = normalized * std + mean
    expected[..., 0, :] = 0
    torch.testing.assert_close(model(x), expected)


def _random_statistics(model):
    """BatchNorm statistics away from (0, 1), so eval mode is not the identity."""
    torch.manual_seed(1)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("field", [3, 27, 81])
def test_tcn_strided_equals_dilated(field, causal):
    """One R-frame window through the strided net = that frame of the dilated pass over a
    whole sequence (the same weights)."""
    model = _random_statistics(
        build_model(dict(lifter="tcn", receptive_field=field, hidden_size=8, causal=causal))
    )
    x = torch.randn(2, field + 6, 17, 2, dtype=torch.float64)
    model.double()
    with torch.no_grad():
        whole = model(x)  # dilated: 7 outputs
        assert whole.shape[1] == 7
        for k in range(7):
            single = model(x[:, k : k + field])  # strided: exactly R frames in
            torch.testing.assert_close(single[:, 0], whole[:, k], rtol=1e-10, atol=1e-12)


def test_tcn_receptive_field_of_a_dilated_output():
    """Output k of a valid pass reads input frames k … k + R − 1 and no others."""
    field = 27
    model = _random_statistics(
        build_model(dict(lifter="tcn", receptive_field=field, hidden_size=8))
    )
    model.double()
    x = torch.randn(1, 60, 17, 2, dtype=torch.float64)
    with torch.no_grad():
        reference = model(x)
        for changed in (0, 30, 59):
            y = x.clone()
            y[:, changed] += 1.0
            moved = (model(y) - reference).abs().amax(dim=(0, 2, 3)) > 0
            outputs = torch.arange(reference.shape[1])
            expected = (outputs <= changed) & (changed <= outputs + field - 1)
            assert torch.equal(moved, expected)


def test_tcn_context_follows_causality():
    assert build_model(dict(lifter="tcn", receptive_field=27)).context == (13, 13)
    assert build_model(dict(lifter="tcn", receptive_field=27, causal=True)).context == (26, 0)
    assert (
        build_model(dict(lifter="tcn", receptive_field=243, hidden_size=8)).receptive_field == 243
    )


def test_mlp_sees_each_frame_alone():
    model = _random_statistics(build_model(SMALL["mlp"]))
    x = torch.randn(2, 6, 17, 2)
    with torch.no_grad():
        y = x.clone()
        y[:, 3] += 1.0
        moved = (model(y) - model(x)).abs().amax(dim=(0, 2, 3)) > 0
    assert moved.tolist() == [False, False, False, True, False, False]


def test_videopose3d_sized_tcn_has_its_parameter_count():
    """VideoPose3D's 243-frame net at 1,024 channels has 17.0 M parameters (docs/human36m.md)."""
    model = build_model(dict(lifter="tcn", receptive_field=243, hidden_size=1024))
    count = sum(p.numel() for p in model.parameters())
    assert 16.9e6 < count < 17.1e6


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            dict(lifter="tcn", receptive_field=25),
            "model.receptive_field: the tcn needs a power of 3",
        ),
        (dict(lifter="tcn", receptive_field=1), "model.receptive_field"),
        (dict(lifter="mlp", receptive_field=27), "model.receptive_field: the mlp sees single"),
        (dict(lifter="mlp", receptive_field=1, causal=True), "model.causal: only the tcn"),
        (dict(causal=True), "model.causal: only applies to lifters"),
        (dict(lifter="transformer", hidden_size=30, transformer_heads=4), "transformer_heads"),
        (dict(lifter="tcn", dropout=1.0), "model.dropout"),
    ],
)
def test_bad_lifter_settings_name_the_key(values, message):
    with pytest.raises(UserError, match=message):
        model_config(values)


def test_an_unknown_lifter_is_named_where_models_are_built():
    with pytest.raises(UserError, match="model.lifter: 'tcnn' is not one of mlp, tcn"):
        build_model(dict(lifter="tcnn"))
