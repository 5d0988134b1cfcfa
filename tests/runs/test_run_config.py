from pathlib import Path

import pytest

from vidpose.runs.run_config import (
    ClipRunConfig,
    LifterRunConfig,
    OptimConfig,
    RunConfig,
    apply_overrides,
    dump_config,
    load_config,
    read_yaml,
    run_config,
)
from vidpose.infra.errors import UserError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_defaults_and_round_trip_through_yaml(tmp_path):
    config = load_config(None)
    assert config == ClipRunConfig()
    path = tmp_path / "config.yaml"
    path.write_text(dump_config(config))
    assert load_config(path) == config


def test_a_lifter_config_is_the_lifting_tracks_and_round_trips(tmp_path):
    config = load_config(None, ["model.lifter=mlp", "model.receptive_field=1"])
    assert isinstance(config, LifterRunConfig) and config.kind == "lifter"
    assert config.augment.enabled is False and config.output_frames == 1
    path = tmp_path / "config.yaml"
    path.write_text(dump_config(config))
    assert load_config(path) == config
    assert set(config.to_dict()["model"]) == {
        "lifter",
        "receptive_field",
        "causal",
        "input_confidence",
        "hidden_size",
        "temporal_layers",
        "transformer_heads",
        "dropout",
    }


def test_the_integral_heads_loss_weights_load_from_their_old_train_keys():
    old = ["model.head=integral", "train.heatmap_weight=0.3", "train.heatmap_sigma=0.5"]
    config = load_config(None, old)
    assert (config.model.heatmap_weight, config.model.heatmap_sigma) == (0.3, 0.5)
    assert config == load_config(
        None, ["model.head=integral", "model.heatmap_weight=0.3", "model.heatmap_sigma=0.5"]
    )
    with pytest.raises(UserError, match=r"^train.heatmap_weight: moved to model.heatmap_weight"):
        load_config(None, [*old, "model.heatmap_weight=0.1"])


def test_the_old_shared_sections_load_with_the_other_tracks_keys_unused():
    """A run folder's config.yaml from before the tracks had their own configs holds every key
    of the one model and data section both shared (here: the old defaults)."""
    old_model = {
        "lifter": None,
        "receptive_field": 27,
        "causal": False,
        "input_confidence": False,
        "backbone": "tinycnn",
        "pretrained": False,
        "temporal": "lstm",
        "temporal_layers": 1,
        "hidden_size": 256,
        "bidirectional": False,
        "transformer_heads": 4,
        "max_frames": 1024,
        "head": "direct",
        "dropout": 0.0,
        "feature_dim": 256,
        "norm": "batch",
        "head_channels": 64,
        "heatmap_stride": 4,
        "relative_depth": "root",
    }
    old_data = {
        "clip_frames": None,
        "image_size": 224,
        "keypoints": None,
        "sample_stride": 1,
        "output_frames": None,
    }
    old_train = {"loss_2d_weight": 0.0, "heatmap_weight": 0.0, "heatmap_sigma": 1.0}
    old = {"model": old_model, "data": old_data, "train": {**old_train, "epochs": 3}}
    assert run_config(old) == load_config(None, ["train.epochs=3"])
    lifter = {**old, "model": {**old_model, "lifter": "tcn"}}
    assert run_config(lifter) == load_config(None, ["model.lifter=tcn", "train.epochs=3"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.keypoints=cpn"], "data.keypoints: only applies to lifters (model.lifter)"),
        (["model.causal=true"], "model.causal: only applies to lifters (model.lifter)"),
        (["model.lifter=tcn", "model.backbone=resnet18"], "model.backbone: only applies to image"),
        (["model.lifter=tcn", "data.clip_frames=8"], "data.clip_frames: only applies to image"),
        (["model.lifter=tcn", "train.heatmap_weight=1"], "model.heatmap_weight: only applies to"),
    ],
)
def test_a_key_of_the_other_track_is_refused_by_name(overrides, message):
    with pytest.raises(UserError) as info:
        load_config(None, overrides)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_overrides_are_parsed_as_yaml_and_typed(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("optim:\n  lr: 0.01\ntrain:\n  epochs: 3\n")
    config = load_config(
        path, ["optim.lr=1", "train.batch_size=8", "model.temporal=gru", "data.clip_frames=null"]
    )
    assert config.optim.lr == 1.0 and isinstance(config.optim.lr, float)
    assert config.train.epochs == 3 and config.train.batch_size == 8
    assert config.model.temporal == "gru"
    assert config.data.clip_frames is None


def test_apply_overrides_leaves_the_input_alone():
    values = {"optim": {"lr": 0.1}}
    result = apply_overrides(values, ["optim.lr=0.5", "train.epochs=2"])
    assert values == {"optim": {"lr": 0.1}}
    assert result == {"optim": {"lr": 0.5}, "train": {"epochs": 2}}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["optim.lrr=1"], "optim.lrr: unknown key (did you mean 'lr'?)"),
        (["optimiser.lr=1"], "optimiser: unknown key"),
        (["optim.name=adamx"], "optim.name: 'adamx' is not one of adam, adamw, sgd"),
        (["optim.lr=0"], "optim.lr: expected a value > 0.0"),
        (["optim.lr=fast"], "optim.lr: expected a number, got 'fast'"),
        (["train.epochs=2.5"], "train.epochs: expected an integer, got 2.5"),
        (["train.epochs=true"], "train.epochs: expected an integer, got True"),
        (["train.epochs=0"], "train.epochs: expected a value >= 1"),
        (["train.loss=huber"], "train.loss: 'huber' is not one of mse"),
        (["train.normalize_targets=1"], "train.normalize_targets: expected true or false"),
        (["data.clip_frames=eight"], "data.clip_frames: expected an integer or null"),
        (["model.norm=layer"], "model.norm: 'layer' is not one of batch, group, frozen_batch"),
        (["model.dropout=1"], "model.dropout: expected a value < 1.0, got 1.0"),
        (["augment.flip=2"], "augment.flip: expected a value <= 1.0, got 2.0"),
        (["model.hidden=3"], "model.hidden: unknown key"),
        (["seed=-1"], "seed: expected an integer >= 0"),
        (["train=3"], "train: expected a mapping"),
        (["optim.lr"], "--set 'optim.lr': expected KEY=VALUE"),
        (["optim..lr=1"], "--set 'optim..lr=1': expected KEY=VALUE"),
        (["seed=1", "seed.x=2"], "--set 'seed.x=2': seed is a value, not a section"),
        (["optim.lr=[1"], "the value is not valid YAML"),
    ],
)
def test_bad_keys_and_values_name_the_key_and_what_is_allowed(overrides, message):
    with pytest.raises(UserError) as info:
        load_config(None, overrides)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_files(tmp_path):
    with pytest.raises(UserError, match="config file not found"):
        read_yaml(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("optim: [1, 2\n")
    with pytest.raises(UserError, match="not a valid YAML file"):
        read_yaml(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(UserError, match="expected a mapping"):
        read_yaml(listing)


def test_seed_config_is_the_report():
    config = load_config(CONFIGS / "seed.yaml")
    assert config.model.backbone == "seedcnn"
    assert (config.model.temporal, config.model.temporal_layers) == ("lstm", 1)
    assert not config.model.bidirectional
    assert config.optim == OptimConfig(name="adam", lr=1e-3)
    assert (config.train.epochs, config.train.batch_size, config.train.loss) == (10, 2, "mse")
    assert (config.data.clip_frames, config.data.image_size) == (8, 224)
    assert not config.train.normalize_targets
    assert not config.eval.flip_test


def test_shipped_configs_load():
    for path in sorted(CONFIGS.glob("*.yaml")):
        assert isinstance(load_config(path), RunConfig), path


# Every spelling Python's float() reads; PyYAML alone (YAML 1.1) reads the first ten as strings.
NUMBER_FORMS = [
    ("5e-4", 5e-4),
    ("1e-3", 1e-3),
    ("1E-3", 1e-3),
    ("1e3", 1e3),
    ("1e+3", 1e3),
    ("2.5e-4", 2.5e-4),
    (".5e-3", 0.5e-3),
    ("5.e-4", 5e-4),
    ("+5e-4", 5e-4),
    ("1_0e-4", 10e-4),
    ("0.0005", 5e-4),
    ("1.5", 1.5),
    (".5", 0.5),
    ("5.", 5.0),
    ("+0.25", 0.25),
    ("1_000.5", 1000.5),
    ("3", 3.0),
]


@pytest.mark.parametrize(("text", "number"), NUMBER_FORMS)
def test_every_number_form_python_reads_works_in_set_and_in_yaml(tmp_path, text, number):
    assert float(text) == pytest.approx(number)
    config = load_config(None, [f"optim.lr={text}"])
    assert config.optim.lr == pytest.approx(number) and isinstance(config.optim.lr, float)
    path = tmp_path / "c.yaml"
    path.write_text(f"optim:\n  lr: {text}\n  weight_decay: {text}\n")
    config = load_config(path)
    assert config.optim.lr == pytest.approx(number)
    assert config.optim.weight_decay == pytest.approx(number)


def test_numbers_keep_their_types_and_strings_stay_strings():
    values = apply_overrides({}, ["a=12", "b=1_000", "c=0x10", "d=1e3", "e=adam", "f=1.2.3"])
    assert values == {"a": 12, "b": 1000, "c": 16, "d": 1000.0, "e": "adam", "f": "1.2.3"}
    assert isinstance(values["d"], float)


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", ".inf", "1e999"])
def test_non_finite_numbers_are_refused_by_name(text):
    with pytest.raises(UserError, match=r"optim\.lr: expected a finite number, got"):
        load_config(None, [f"optim.lr={text}"])


def test_integer_fields_still_refuse_fractions_in_exponent_form():
    with pytest.raises(UserError, match=r"train\.epochs: expected an integer, got 2\.5"):
        load_config(None, ["train.epochs=25e-1"])


def test_a_config_not_in_utf8_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("# réglages\noptim:\n  lr: 0.001\n".encode("latin-1"))
    with pytest.raises(UserError) as info:
        read_yaml(path)
    message = str(info.value)
    assert message == f"{path}: not UTF-8 text (line 1 has byte 0xe9); save the file as UTF-8"
    assert "\n" not in message
