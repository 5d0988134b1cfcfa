"""Backbones: built-in sizes, and loading local pretrained weights files."""

from __future__ import annotations

import pytest
import timm
import torch

from vidpose.infra.errors import UserError
from vidpose.models import ModelConfig, build_model
from vidpose.models.backbones import SeedCNN, TinyCNN, build_backbone, spatial_feature_info
from vidpose.models.resfpn import ResFPN


def _assert_same_parameters(left: torch.nn.Module, right: torch.nn.Module) -> None:
    left_state, right_state = left.state_dict(), right.state_dict()
    assert left_state.keys() == right_state.keys()
    for key in left_state:
        assert torch.equal(left_state[key], right_state[key]), key


@pytest.mark.parametrize("side", [32, 64, 112])
def test_builtin_cnns_pool_to_feature_dim_at_any_size(side):
    images = torch.randn(3, 3, side, side)
    assert TinyCNN(feature_dim=40)(images).shape == (3, 40)
    assert SeedCNN(feature_dim=24)(images).shape == (3, 24)
    assert ResFPN(feature_dim=32)(images).shape == (3, 32)


@pytest.mark.parametrize(("side", "cells"), [(32, 4), (64, 8), (100, 13), (112, 14)])
def test_resfpn_map_is_stride_8_and_reaches_the_whole_image(side, cells):
    backbone = ResFPN(feature_dim=16).eval()
    images = torch.randn(1, 3, side, side, requires_grad=True)
    feature_map = backbone.forward_features(images)
    assert feature_map.shape == (1, 16, cells, cells)
    # The top-down path brings the stride-32 stage into every cell: one cell's features
    # depend on pixels in the far corner of the image.
    feature_map[0, :, 0, 0].sum().backward()
    assert images.grad[0, :, -4:, -4:].abs().sum() > 0


def test_the_integral_head_reads_resfpn_at_stride_8_without_a_skip():
    info = spatial_feature_info(ResFPN(feature_dim=24))
    assert (info.channels, info.reduction, info.skip_index) == (24, 8, None)


def test_resfpn_offers_its_stride_4_stage_as_a_skip():
    backbone = ResFPN(feature_dim=24).eval()
    info = spatial_feature_info(backbone, skip_reduction=4)
    assert (info.reduction, info.skip_index, info.skip_reduction) == (8, 0, 4)
    assert info.skip_channels == ResFPN.WIDTHS[1]
    images = torch.randn(2, 3, 64, 64)
    feature_map, (skip,) = backbone.forward_intermediates(images, [info.skip_index])
    torch.testing.assert_close(feature_map, backbone.forward_features(images))
    assert skip.shape == (2, ResFPN.WIDTHS[1], 16, 16)


@pytest.mark.parametrize("norm", ["batch", "group", "frozen_batch"])
def test_resfpn_builds_with_every_norm(norm):
    backbone = build_backbone(ModelConfig(backbone="resfpn", feature_dim=16, norm=norm))
    kinds = {type(m).__name__ for m in backbone.modules()}
    expected = {"batch": "BatchNorm2d", "group": "GroupNorm", "frozen_batch": "FrozenBatchNorm2d"}
    assert expected[norm] in kinds
    assert backbone(torch.randn(2, 3, 32, 32)).shape == (2, 16)


def test_tinycnn_is_small():
    parameters = sum(p.numel() for p in TinyCNN().parameters())
    assert 100_000 < parameters < 1_000_000


def test_pretrained_path_loads_a_state_dict(tmp_path):
    torch.manual_seed(1)
    source = build_backbone(ModelConfig(feature_dim=32))
    # Running statistics too must come from the file, so make them non-default.
    source.train()(torch.randn(4, 3, 32, 32))
    path = tmp_path / "tiny.pt"
    torch.save(source.state_dict(), path)

    torch.manual_seed(2)
    model = build_model(ModelConfig(feature_dim=32, pretrained=str(path)))
    _assert_same_parameters(model.backbone, source)


def test_pretrained_timm_file_with_wrapper_prefix_and_classifier(tmp_path):
    # A typical downloaded checkpoint: {"state_dict": ...}, DDP "module." prefix, with the
    # ImageNet classifier that our pooled-feature backbone does not have.
    source = timm.create_model("resnet18", pretrained=False, num_classes=10)
    state = {f"module.{key}": value for key, value in source.state_dict().items()}
    path = tmp_path / "resnet18.pth"
    torch.save({"state_dict": state, "epoch": 3}, path)

    model = build_model(ModelConfig(backbone="resnet18", pretrained=str(path)))
    source_features = {k: v for k, v in source.state_dict().items() if not k.startswith("fc.")}
    loaded = model.backbone.state_dict()
    assert loaded.keys() == source_features.keys()
    for key, value in source_features.items():
        assert torch.equal(loaded[key], value), key


def test_wrong_shapes_are_a_user_error_naming_the_file(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"model": build_backbone(ModelConfig(feature_dim=64)).state_dict()}, path)
    with pytest.raises(UserError, match=rf"^{path}: weights do not fit the backbone: .*shape"):
        build_model(ModelConfig(feature_dim=32, pretrained=str(path)))


def test_weights_of_another_architecture_are_a_user_error(tmp_path):
    path = tmp_path / "seed.pt"
    torch.save(SeedCNN(feature_dim=32).state_dict(), path)
    with pytest.raises(UserError, match=rf"^{path}: weights do not fit the backbone: .*missing"):
        build_model(ModelConfig(feature_dim=32, pretrained=str(path)))


def test_missing_or_unreadable_weights_file(tmp_path):
    with pytest.raises(UserError, match=r"^model\.pretrained: weights file .* does not exist"):
        build_model(ModelConfig(pretrained=str(tmp_path / "absent.pt")))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(UserError, match=rf"^{garbage}: not a readable torch weights file"):
        build_model(ModelConfig(pretrained=str(garbage)))


def test_load_pretrained_false_skips_the_file(tmp_path):
    config = ModelConfig(pretrained=str(tmp_path / "absent.pt"))
    model = build_model(config, load_pretrained=False)
    assert model.config.pretrained == config.pretrained


def test_a_vidpose_checkpoint_can_seed_the_backbone(tmp_path):
    # Transfer: the backbone of a trained PoseModel, saved the way checkpoints hold it.
    torch.manual_seed(3)
    trained = build_model(ModelConfig(feature_dim=32, temporal="gru", hidden_size=8))
    path = tmp_path / "best.pt"
    torch.save({"format": "vidpose-checkpoint", "model": trained.state_dict()}, path)
    model = build_model(ModelConfig(feature_dim=32, pretrained=str(path)))
    _assert_same_parameters(model.backbone, trained.backbone)


@pytest.mark.parametrize("head", ["direct", "integral"])
def test_timm_model_with_a_pre_logits_stage(head):
    # MobileNetV3 pools to head_hidden_size (1024) features, not num_features (288).
    config = ModelConfig(backbone="mobilenetv3_small_050", head=head, hidden_size=8)
    model = build_model(config).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 2, 3, 64, 64)).shape == (1, 2, 17, 3)


@pytest.mark.parametrize("cnn", [TinyCNN, SeedCNN])
def test_builtin_intermediates_are_the_stage_maps_of_one_pass(cnn):
    model = cnn(feature_dim=16).eval()
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        final, (stride8,) = model.forward_intermediates(images, indices=[2])
        torch.testing.assert_close(final, model.forward_features(images))
    assert model.feature_info[2]["reduction"] == 8
    assert stride8.shape == (2, model.feature_info[2]["num_chs"], 8, 8)


def test_imagenet_weights_come_from_timm_through_its_hub_cache(monkeypatch):
    import timm

    calls = []
    create = timm.create_model

    def cached(name, pretrained=False, **kwargs):
        calls.append((name, pretrained))
        model = create(name, pretrained=False, **kwargs)
        if pretrained:  # what timm would have read from its cache
            with torch.no_grad():
                model.conv1.weight.fill_(0.25)
        return model

    monkeypatch.setattr(timm, "create_model", cached)
    for value in ("imagenet", True):
        model = build_model(ModelConfig(backbone="resnet18", pretrained=value, norm="group"))
        assert torch.all(model.backbone.conv1.weight == 0.25)
        assert isinstance(model.backbone.bn1, torch.nn.GroupNorm)  # converted after loading
    assert calls == [("resnet18", True), ("resnet18", True)]
    # A checkpoint's weights need no download.
    build_model(ModelConfig(backbone="resnet18", pretrained="imagenet"), load_pretrained=False)
    assert calls[-1] == ("resnet18", False)


def test_imagenet_weights_offline_fail_in_one_line_naming_the_model_and_the_way_round(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "from vidpose.infra.errors import UserError\n"
        "from vidpose.models import build_model\n"
        "try:\n"
        "    build_model({'backbone': 'resnet18', 'pretrained': 'imagenet'})\n"
        "except UserError as error:\n"
        "    print(error)\n"
    )
    # An empty hub cache and no network: what an offline machine that never fetched them has.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    message = out.stdout.strip()
    assert message.count("\n") == 0, out.stdout + out.stderr
    assert message.startswith("model.pretrained: cannot load timm's pretrained weights for")
    assert "'resnet18'" in message and "model.pretrained: /path/to/weights.pt" in message


def test_a_built_in_backbone_has_no_imagenet_weights():
    with pytest.raises(UserError, match=r"^model\.pretrained: 'imagenet', but the built-in"):
        build_model(ModelConfig(pretrained="imagenet"))


def test_an_unreachable_hub_means_the_cache_only_and_a_quiet_client(monkeypatch):
    import socket

    from huggingface_hub import constants

    from vidpose.models import pretrained

    def unreachable(*args, **kwargs):
        raise OSError("no route to host")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with pretrained._hub_mode():
        assert constants.HF_HUB_OFFLINE is True
    assert constants.HF_HUB_OFFLINE is False
