import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from vidpose.runs import checkpoint as ckpt
from vidpose.infra.errors import UserError
from vidpose.models import LifterConfig, LiftingModel, ModelConfig, build_model
from vidpose.models.settings import MOVED_FROM_TRAIN


def _model(hidden_size=8):
    torch.manual_seed(0)
    return build_model(ModelConfig(feature_dim=8, hidden_size=hidden_size))


def _save(path, model, **extra):
    checkpoint = ckpt.make_checkpoint(
        model, clip_frames=4, image_size=32, fps=25.0, config={"seed": 0}, **extra
    )
    ckpt.save_checkpoint(path, checkpoint)
    return checkpoint


def test_load_model_restores_weights_and_input_geometry(tmp_path):
    model = _model()
    model.set_target_stats(torch.full((17, 3), 0.5), torch.full((17, 3), 2.0))
    _save(tmp_path / "m.pt", model)
    loaded, checkpoint = ckpt.load_model(tmp_path / "m.pt")
    assert not loaded.training
    assert (loaded.image_size, loaded.clip_frames, checkpoint["fps"]) == (32, 4, 25.0)
    assert checkpoint["format"] == "vidpose-checkpoint" and checkpoint["version"] == 2
    assert checkpoint["model_config"] == model.config.to_dict()
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left nothing behind


def test_a_pretrained_path_is_not_needed_to_load(tmp_path):
    model = _model()
    weights = tmp_path / "backbone.pt"
    torch.save(model.backbone.state_dict(), weights)
    model.config = ModelConfig(feature_dim=8, hidden_size=8, pretrained=str(weights))
    _save(tmp_path / "m.pt", model)
    weights.unlink()
    loaded, checkpoint = ckpt.load_model(tmp_path / "m.pt")
    assert checkpoint["model_config"]["pretrained"] == str(weights)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


def test_bad_checkpoints_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="checkpoint not found"):
        ckpt.load_model(tmp_path / "missing.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a torch file at all")
    with pytest.raises(UserError, match="not a readable vidpose checkpoint"):
        ckpt.load_model(garbage)
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(UserError, match="not a vidpose checkpoint"):
        ckpt.load_model(other)
    checkpoint = _save(tmp_path / "m.pt", _model(hidden_size=8))
    checkpoint["model_config"]["hidden_size"] = 12  # weights no longer fit
    ckpt.save_checkpoint(tmp_path / "mismatch.pt", checkpoint)
    with pytest.raises(UserError, match="weights do not fit the model"):
        ckpt.load_model(tmp_path / "mismatch.pt")


def test_rng_state_round_trip_repeats_the_random_numbers():
    random.seed(1)
    np.random.seed(1)  # noqa: NPY002
    torch.manual_seed(1)
    state = ckpt.rng_state()
    first = (random.random(), np.random.rand(), torch.rand(3))  # noqa: NPY002
    ckpt.rng_state()
    random.seed(99)
    ckpt.restore_rng_state(state)
    again = (random.random(), np.random.rand(), torch.rand(3))  # noqa: NPY002
    assert first[0] == again[0] and first[1] == again[1] and torch.equal(first[2], again[2])


def _damaged_files(tmp_path):
    import datetime

    good = tmp_path / "good.pt"
    _save(good, _model())
    data = good.read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.pt").write_text("hello, this is not a checkpoint\n" * 20)
    (tmp_path / "empty.pt").write_bytes(b"")
    # A pickle that names a class outside the weights-only allow-list: torch's message then
    # advises weights_only=False, wrong for a damaged file and unsafe for a foreign one.
    torch.save(
        {"format": "vidpose-checkpoint", "when": datetime.date(2024, 1, 1)}, tmp_path / "g.pt"
    )
    return ["truncated.pt", "text.pt", "empty.pt", "g.pt"]


def test_a_damaged_checkpoint_is_one_line_without_torchs_advice(tmp_path):
    for name in _damaged_files(tmp_path):
        with pytest.raises(UserError) as info:
            ckpt.load_model(tmp_path / name)
        message = str(info.value)
        assert message.startswith(f"{tmp_path / name}: not a readable vidpose checkpoint ("), name
        assert "\n" not in message and "weights_only" not in message, message
        assert len(message) < 300, message


def test_a_failed_save_keeps_the_previous_file_and_names_the_reason(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    _save(path, _model())
    before = path.read_bytes()

    def broken(obj, target, *args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0")

    monkeypatch.setattr(ckpt.torch, "save", broken)
    with pytest.raises(UserError) as info:
        _save(path, _model())
    assert str(info.value) == (
        f"{path}: cannot save the checkpoint ([enforce fail at inline_container.cc:626] . "
        "unexpected pos 64 vs 0); the previous last.pt is unchanged"
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]


def _lifter(hidden_size=8):
    torch.manual_seed(0)
    return build_model(LifterConfig(lifter="tcn", receptive_field=9, hidden_size=hidden_size))


def test_a_checkpoint_records_its_kind_and_only_its_kinds_fields(tmp_path):
    image = _save(tmp_path / "image.pt", _model())
    assert image["kind"] == "clips" and (image["clip_frames"], image["image_size"]) == (4, 32)
    lifter = ckpt.make_checkpoint(_lifter(), fps=50.0, config={})
    assert lifter["kind"] == "lifter" and not {"clip_frames", "image_size"} & set(lifter)
    ckpt.save_checkpoint(tmp_path / "lifter.pt", lifter)
    model, checkpoint = ckpt.load_model(tmp_path / "lifter.pt")
    assert isinstance(model, LiftingModel) and model.config == LifterConfig("tcn", 9, hidden_size=8)
    with pytest.raises(TypeError, match="'lifter' checkpoint records"):
        ckpt.make_checkpoint(_lifter(), fps=50.0, config={}, clip_frames=9, image_size=0)
    with pytest.raises(TypeError, match="'clips' checkpoint records"):
        ckpt.make_checkpoint(_model(), fps=50.0, config={})


def test_a_version_1_lifter_checkpoint_still_loads():
    """Lifter checkpoints written before checkpoints had a kind (the lifter shipped until
    2026-12, tests/fixtures/v1_lifter_run): the model_config names its lifter, the receptive
    field is stored as clip_frames and the image size as 0."""
    path = Path(__file__).parents[1] / "fixtures" / "v1_lifter_run" / "last.pt"
    raw = torch.load(path, weights_only=True)
    model, checkpoint = ckpt.load_model(path)
    assert raw["version"] == 1 and "kind" not in raw and raw["image_size"] == 0
    assert checkpoint["kind"] == "lifter" and checkpoint["version"] == 2
    assert not {"clip_frames", "image_size"} & set(checkpoint)
    assert isinstance(model, LiftingModel) and model.config.lifter == "tcn"
    assert model.receptive_field == raw["clip_frames"] == model.config.receptive_field
    for key, value in raw["model"].items():
        assert torch.equal(model.state_dict()[key], value), key


def test_the_shipped_lifter_is_a_version_2_lifter_checkpoint_without_training_state():
    from importlib.resources import as_file, files

    with as_file(files("vidpose.weights").joinpath("lifter_default.pt")) as path:
        raw = torch.load(path, weights_only=True)
        model, _ = ckpt.load_model(path)
    assert raw["version"] == 2 and raw["kind"] == "lifter" and "training" not in raw
    assert isinstance(model, LiftingModel) and model.receptive_field == 81


def _as_version_1(checkpoint: dict) -> dict:
    """An image model's checkpoint in the layout version 1 wrote: no kind, the lifter keys of
    the one model section both tracks shared at their defaults, the integral head's loss weights
    in the run config's train section."""
    old = {key: value for key, value in checkpoint.items() if key != "kind"}
    model_config = dict(checkpoint["model_config"])
    train = {key: model_config.pop(key) for key in MOVED_FROM_TRAIN}
    lifter_keys = {"lifter": None, "receptive_field": 27, "causal": False}
    old["model_config"] = {**lifter_keys, "input_confidence": False, **model_config}
    old["config"] = {"seed": 0, "train": {"epochs": 1, **train}}
    return {**old, "version": 1}


def test_a_version_1_image_checkpoint_loads_with_its_loss_weights(tmp_path):
    torch.manual_seed(0)
    config = ModelConfig(feature_dim=8, hidden_size=8, head="integral", head_channels=8)
    model = build_model(dataclasses.replace(config, heatmap_weight=0.3, heatmap_sigma=0.5))
    checkpoint = ckpt.make_checkpoint(model, clip_frames=4, image_size=32, fps=25.0, config={})
    ckpt.save_checkpoint(tmp_path / "v1.pt", _as_version_1(checkpoint))
    loaded, read = ckpt.load_model(tmp_path / "v1.pt")
    assert read["kind"] == "clips" and (loaded.clip_frames, loaded.image_size) == (4, 32)
    assert loaded.config == model.config and loaded.head.loss_weights == model.head.loss_weights
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


def test_a_checkpoint_of_another_kind_is_refused_by_kind(tmp_path):
    with pytest.raises(UserError) as info:
        ckpt.require_kind(_lifter(), "clips", "l.pt", "vidpose export")
    assert str(info.value) == (
        "l.pt: a lifter checkpoint (2D keypoint sequences in), but vidpose export needs an "
        "image model (frames in)"
    )
