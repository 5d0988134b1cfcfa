"""model.norm: GroupNorm has no cross-sample coupling; frozen BatchNorm never updates."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vidpose.models import ModelConfig, build_model
from vidpose.models.backbones import TinyCNN, build_backbone
from vidpose.models.norms import FrozenBatchNorm2d, convert_batch_norms, group_count


def _norm_layers(module: nn.Module, kind: type) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, kind)]


def test_group_count_divides_the_channels_into_groups_of_at_least_four():
    counts = [group_count(c) for c in (24, 32, 48, 64, 96, 192, 512, 7)]
    assert counts == [6, 8, 12, 16, 24, 32, 32, 1]


@pytest.mark.parametrize("backbone", ["tinycnn", "resnet18"])
def test_group_norm_output_of_a_sample_does_not_depend_on_its_batch(backbone):
    torch.manual_seed(0)
    model = build_backbone(ModelConfig(backbone=backbone, norm="group", feature_dim=32)).train()
    assert not _norm_layers(model, nn.BatchNorm2d) and _norm_layers(model, nn.GroupNorm)
    images = torch.randn(4, 3, 32, 32)
    alone = model(images[:1])
    together = model(images)
    torch.testing.assert_close(together[:1], alone, atol=1e-5, rtol=1e-5)


def test_batch_norm_in_train_mode_does_couple_samples():
    # The failure mode the other kinds exist for (and a check that the test above can fail).
    torch.manual_seed(0)
    model = TinyCNN(feature_dim=32, norm="batch").train()
    images = torch.randn(4, 3, 32, 32)
    assert (model(images)[:1] - model(images[:2])[:1]).abs().max() > 1e-3


@pytest.mark.parametrize("backbone", ["tinycnn", "resnet18"])
def test_frozen_batch_norm_keeps_statistics_in_train_mode(backbone):
    torch.manual_seed(0)
    model = build_model(ModelConfig(backbone=backbone, norm="frozen_batch", feature_dim=32))
    frozen = _norm_layers(model.backbone, FrozenBatchNorm2d)
    assert frozen and not _norm_layers(model.backbone, nn.BatchNorm2d)
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    model.train()
    images = torch.randn(2, 3, 3, 32, 32)
    poses = model(images)
    poses.square().mean().backward()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, before[key]), key
    # Nothing of the frozen layers is trainable, and train mode computes what eval mode does.
    assert not any(p.requires_grad for layer in frozen for p in layer.parameters(recurse=False))
    torch.testing.assert_close(model.eval()(images), poses.detach())


def test_frozen_batch_keeps_loaded_statistics_and_computes_like_eval_mode(tmp_path):
    # A pretrained BN weights file (non-default statistics) converted to frozen BN computes
    # exactly what the BN model computes in eval mode, in train mode too.
    torch.manual_seed(1)
    source = build_backbone(ModelConfig(backbone="resnet18"))
    source.train()(torch.randn(8, 3, 32, 32))
    path = tmp_path / "resnet18.pt"
    torch.save(source.state_dict(), path)
    config = ModelConfig(backbone="resnet18", norm="frozen_batch", pretrained=str(path))
    model = build_backbone(config)
    layers = _norm_layers(model, FrozenBatchNorm2d)
    assert len(layers) == len(_norm_layers(source, nn.BatchNorm2d))
    torch.testing.assert_close(model.bn1.running_mean, source.bn1.running_mean)
    images = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(model.train()(images), source.eval()(images))
    assert model.state_dict().keys() == source.state_dict().keys()


def test_timm_fused_norm_activation_layers_keep_their_activation():
    import timm
    from timm.layers.norm_act import BatchNormAct2d

    torch.manual_seed(2)
    source = timm.create_model("mobilenetv3_small_050", num_classes=0)
    assert _norm_layers(source, BatchNormAct2d)
    source.train()(torch.randn(4, 3, 64, 64))  # non-default statistics
    images = torch.randn(2, 3, 64, 64)
    expected = source.eval()(images)
    frozen = convert_batch_norms(source, "frozen_batch")
    assert not _norm_layers(frozen, nn.BatchNorm2d)
    torch.testing.assert_close(frozen.train()(images), expected)

    fresh = timm.create_model("mobilenetv3_small_050", num_classes=0)
    grouped = convert_batch_norms(fresh, "group")
    assert not _norm_layers(grouped, nn.BatchNorm2d)
    out = grouped.train()(images)
    torch.testing.assert_close(grouped(images[:1]), out[:1], atol=1e-5, rtol=1e-5)


def test_seedcnn_has_no_norm_layers_whatever_the_setting():
    model = build_backbone(ModelConfig(backbone="seedcnn", norm="group"))
    assert not _norm_layers(model, (nn.BatchNorm2d, nn.GroupNorm, FrozenBatchNorm2d))
