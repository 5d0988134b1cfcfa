"""ModelConfig validation: every bad value is a one-line UserError naming the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vidpose.infra.config_sections import load_section
from vidpose.infra.errors import UserError
from vidpose.models import ModelConfig, build_model, check_names
from vidpose.models.settings import LifterConfig, model_config, without_removed_keys


def test_defaults_are_the_reports_shape():
    config = ModelConfig()
    config.validate()
    assert (config.temporal, config.temporal_layers, config.bidirectional) == ("lstm", 1, False)
    assert config.pretrained is False
    assert load_section(ModelConfig, config.to_dict(), "model") == config


def test_unknown_temporal_names_key_and_choices():
    with pytest.raises(UserError) as error:
        check_names(ModelConfig(temporal="lstmm"))
    message = str(error.value)
    assert message.startswith("model.temporal: 'lstmm' is not one of lstm, gru, rnn, tcn,")
    assert "did you mean 'lstm'" in message
    assert "\n" not in message


def test_unknown_key_in_dict_is_named_with_a_suggestion():
    with pytest.raises(UserError, match=r"model\.hiden_size: unknown key \(did you mean"):
        load_section(ModelConfig, {"hiden_size": 64}, "model")


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"head": "volumetric"}, "model.head"),
        ({"temporal_layers": 0}, "model.temporal_layers"),
        ({"hidden_size": 12.5}, "model.hidden_size"),
        ({"hidden_size": True}, "model.hidden_size"),
        ({"dropout": 1.0}, "model.dropout"),
        ({"dropout": "a lot"}, "model.dropout"),
        ({"norm": "layer"}, "model.norm"),
        ({"heatmap_stride": 3}, "model.heatmap_stride"),
        ({"head_channels": 0}, "model.head_channels"),
        ({"bidirectional": "yes"}, "model.bidirectional"),
        ({"temporal": "tcn", "bidirectional": True}, "model.bidirectional"),
        ({"temporal": "transformer", "hidden_size": 30}, "model.transformer_heads"),
        ({"pretrained": 3}, "model.pretrained"),
        ({"pretrained": ""}, "model.pretrained"),
        ({"head": "integral", "relative_depth": "pelvis"}, "model.relative_depth"),
        ({"depth_lifter": 64}, "model.depth_lifter"),  # removed: an unknown key now
        ({"relative_depth": "parent"}, "model.relative_depth"),
    ],
)
def test_bad_values_name_their_key(values, key):
    with pytest.raises(UserError, match=f"^{re.escape(key)}: "):
        check_names(load_section(ModelConfig, values, "model"))


def test_pretrained_accepts_imagenet_true_false_or_a_path():
    for value in (False, True, "imagenet", "weights.pt"):
        ModelConfig(pretrained=value).validate()
    assert ModelConfig(pretrained=True).pretrained_from_hub
    assert ModelConfig(pretrained="imagenet").pretrained_from_hub
    assert not ModelConfig(pretrained="weights.pt").pretrained_from_hub


def test_unknown_timm_name_gives_close_matches():
    with pytest.raises(UserError) as error:
        build_model({"backbone": "resnet181"})
    message = str(error.value)
    assert message.startswith("model.backbone: 'resnet181' is neither a built-in backbone")
    assert "resnet18" in message.split("close matches:")[1]


def test_prefix_follows_the_config_section():
    with pytest.raises(UserError, match=r"^student\.head: "):
        check_names(load_section(ModelConfig, {"head": "nope"}, "student"), prefix="student")


def test_build_model_accepts_a_dict_and_keeps_its_config():
    model = build_model({"temporal": "gru", "hidden_size": 16, "feature_dim": 16})
    assert isinstance(model.config, ModelConfig)
    assert model.config.temporal == "gru"
    assert model.temporal.out_features == 16


def test_the_model_config_checks_values_only_and_imports_no_model_code():
    import ast

    import vidpose.models.settings as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(name and name.startswith("vidpose.models") for name in imported)
    ModelConfig(backbone="no_such_net", head="nope").validate()  # names: checked at build


def test_a_saved_config_with_a_removed_option_loads_when_it_was_off():
    saved = {**ModelConfig(head="integral").to_dict(), "depth_bins": 0, "skip_stride": 8}
    assert without_removed_keys(saved, "old.pt") == ModelConfig(head="integral").to_dict()
    with pytest.raises(UserError, match=r"^old\.pt: uses model\.depth_lifter, an option removed"):
        without_removed_keys({**saved, "depth_lifter": 64}, "old.pt")


def test_build_model_builds_a_checked_section_as_it_is(monkeypatch):
    """The run config checked its model section when it was loaded; ``build_model`` checks only
    the names (against the registries), and a plain dict once."""
    import vidpose.models.settings as config_module

    calls = []
    real = config_module.load_section
    monkeypatch.setattr(
        config_module, "load_section", lambda *a, **k: calls.append(a[0]) or real(*a, **k)
    )
    build_model(ModelConfig(feature_dim=8, hidden_size=8))
    assert calls == []
    build_model({"feature_dim": 8, "hidden_size": 8})
    assert calls == [ModelConfig]


def test_a_model_section_names_its_track():
    assert isinstance(model_config({"lifter": "tcn"}), LifterConfig)
    assert isinstance(model_config({"lifter": None, "temporal": "gru"}), ModelConfig)
    assert (ModelConfig.kind, LifterConfig.kind) == ("clips", "lifter")
    with pytest.raises(UserError, match=r"^model\.backbone: only applies to image models"):
        model_config({"lifter": "tcn", "backbone": "resnet18"})
    # In a checkpoint the other track's keys were never used: whatever they hold, they go.
    saved = model_config({"lifter": "tcn", "backbone": "resnet18"}, saved_in="old.pt")
    assert saved == LifterConfig(lifter="tcn")


def test_the_integral_heads_loss_weights_need_the_integral_head():
    with pytest.raises(UserError, match=r"^model\.heatmap_weight: 0\.5 needs model\.head: integ"):
        model_config({"heatmap_weight": 0.5})
    config = model_config({"head": "integral", "heatmap_weight": 0.5, "heatmap_sigma": 2.0})
    head = build_model(dict(config.to_dict(), feature_dim=8, hidden_size=8)).head
    assert head.loss_weights == config.loss_weights
    assert config.loss_weights == {
        "loss_2d_weight": 0.0,
        "heatmap_weight": 0.5,
        "heatmap_sigma": 2.0,
        "depth_map_weight": 0.0,
    }
