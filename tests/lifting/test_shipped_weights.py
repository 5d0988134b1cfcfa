"""``vidpose prepare shipped-weights``: a lifter run trained with the detector-like errors,
written as an inference checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from vidpose.cli import main
from vidpose.runs.checkpoint import load_model, read_checkpoint
from vidpose.runs.run_config import load_config
from vidpose.tracks import train as train_lifter

CONFIG = Path(__file__).parents[2] / "configs" / "lift_shipped.yaml"
SMALL = [
    "model.receptive_field=9",
    "model.hidden_size=16",
    "train.epochs=1",
    "train.batch_size=64",
    "train.tensorboard=false",
    "eval.batch_size=8",
    "data.keypoints=gt",
]


@pytest.fixture(scope="module")
def run_dir(pose_dataset, tmp_path_factory):
    config = load_config(CONFIG, SMALL)
    assert config.augment.swaps > 0 and config.augment.missing_frames > 0
    assert config.augment.noise_growth > 0
    out = tmp_path_factory.mktemp("shipped") / "run"
    assert train_lifter(config, pose_dataset, out, device="cpu").status == "finished"
    return out


def test_the_weights_file_is_the_last_checkpoint_without_training_state(run_dir, tmp_path, capsys):
    out = tmp_path / "lifter.pt"
    assert main(["prepare", "shipped-weights", str(run_dir), str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    slim, last = read_checkpoint(out), read_checkpoint(run_dir / "last.pt")
    assert "training" not in slim and "training" in last
    assert slim["config"] == last["config"] and slim["kind"] == last["kind"] == "lifter"
    for key, value in last["model"].items():
        torch.testing.assert_close(slim["model"][key], value)
    model, _ = load_model(out)
    assert model.context == (4, 4)
    assert out.stat().st_size < (run_dir / "last.pt").stat().st_size


def test_the_weights_file_refusals(run_dir, tmp_path, capsys):
    out = tmp_path / "lifter.pt"
    out.write_text("x")
    assert main(["prepare", "shipped-weights", str(run_dir), str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["prepare", "shipped-weights", str(tmp_path), str(tmp_path / "b.pt")]) == 2
    assert "no last.pt" in capsys.readouterr().err
    assert main(["prepare", "shipped-weights", str(run_dir), str(tmp_path / "b.onnx")]) == 2
    assert "must end in .pt" in capsys.readouterr().err
    assert not (tmp_path / "b.pt").exists()
