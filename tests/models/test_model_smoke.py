"""Every backbone × temporal module × head builds, runs forward and backward on CPU."""

from __future__ import annotations

import itertools

import pytest
import torch

from vidpose.models import (
    ModelConfig,
    available_heads,
    available_temporal_modules,
    build_model,
    normalize_frames,
)

BATCH, FRAMES, SIDE = 2, 4, 32
# The built-ins plus one timm model standing for "any timm name".
BACKBONE_NAMES = ("tinycnn", "seedcnn", "resfpn", "resnet18")
COMBINATIONS = list(
    itertools.product(BACKBONE_NAMES, available_temporal_modules(), available_heads())
)


def test_every_registered_module_is_covered():
    assert set(available_temporal_modules()) == {"lstm", "gru", "rnn", "tcn", "transformer", "none"}
    assert available_heads() == ["direct", "integral"]


@pytest.mark.parametrize(("backbone", "temporal", "head"), COMBINATIONS)
def test_forward_and_backward(backbone, temporal, head):
    torch.manual_seed(0)
    config = ModelConfig(
        backbone=backbone,
        temporal=temporal,
        head=head,
        hidden_size=32,
        feature_dim=32,
        temporal_layers=2,
        dropout=0.1,
    )
    model = build_model(config).train()
    frames = torch.randint(0, 256, (BATCH, FRAMES, SIDE, SIDE, 3), dtype=torch.uint8)
    poses = model(normalize_frames(frames))
    assert poses.shape == (BATCH, FRAMES, 17, 3)
    assert torch.isfinite(poses).all()

    poses.square().mean().backward()
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    assert trainable
    for name, parameter in trainable:
        assert parameter.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(parameter.grad).all(), f"{name} has a non-finite gradient"
    # Something actually flows back to the first layer of the backbone.
    first = next(p for _, p in trainable)
    assert first.grad.abs().sum() > 0
