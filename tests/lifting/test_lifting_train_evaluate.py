"""A lifter end to end on a tiny sequence store: train → evaluate → resume, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from vidpose.cli import main
from vidpose.engine.divergence import TrainingDiverged
from vidpose.infra.errors import UserError
from vidpose.runs.checkpoint import read_checkpoint
from vidpose.runs.run_config import load_config
from vidpose.tracks import train as train_lifter
from vidpose.tracks.lifter_training import LiftingStepInputs

CONFIG = Path(__file__).parents[2] / "configs" / "lift_tcn27.yaml"
SMALL = [
    "model.receptive_field=9",
    "model.hidden_size=16",
    "train.epochs=2",
    "train.batch_size=64",
    "train.tensorboard=false",
    "eval.batch_size=8",
    "augment.noise=0.01",
    "augment.dropout=0.05",
    "augment.camera_rotation_deg=10",
]


def _config(*extra):
    return load_config(CONFIG, [*SMALL, *extra])


@pytest.fixture(scope="module")
def trained(pose_dataset, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("lift") / "run"
    result = train_lifter(_config(), pose_dataset, run_dir, device="cpu")
    assert result.status == "finished"
    return run_dir


def test_a_run_writes_the_usual_folder(trained):
    for name in ("config.yaml", "metrics.csv", "last.pt", "best.pt", "evaluation.json"):
        assert (trained / name).is_file(), name
    assert (trained / "curves_mpjpe.png").is_file()


def test_the_report_follows_the_protocol(trained, pose_dataset):
    from vidpose.sequences import open_sequences

    report = json.loads((trained / "evaluation.json").read_text())
    store = open_sequences(pose_dataset / "test")
    kept = [s for s in store.sequences if not (s.subject == "S11" and s.action == "Directions")]
    assert report["num_frames"] == sum(s.frames for s in kept)  # every frame, S11 Directions out
    assert report["sequences_left_out"] == 2
    s11 = sum(s.frames for s in kept if s.subject == "S11")
    assert report["per_subject"]["S11"]["num_frames"] == s11
    headline = report["headline"]["mpjpe_mm"]
    assert headline["baseline_action_average"] is not None
    assert set(report["headline"]) == {"mpjpe_mm", "p_mpjpe_mm", "n_mpjpe_mm", "mpjve_mm"}


def test_evaluate_scores_the_run_as_the_trainer_did(trained, pose_dataset, capsys):
    code = main(["evaluate", str(trained), "--data", str(pose_dataset / "test"), "--json", "-"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    saved = json.loads((trained / "evaluation.json").read_text())
    # The final report is of the last epoch's weights; best.pt is the best epoch's.
    checkpoint = read_checkpoint(trained / "best.pt")
    if checkpoint["epoch"] == 2:
        assert report["headline"]["mpjpe_mm"]["frame_average"] == pytest.approx(
            saved["headline"]["mpjpe_mm"]["frame_average"], rel=1e-5
        )
    assert report["context"]["flip_test"] is True  # the run's eval.flip_test
    assert report["context"]["keypoints"] == "gt"
    assert "left out: 2 sequences" in err


def test_resume_continues_exactly(pose_dataset, tmp_path, trained):
    run_dir = tmp_path / "resumed"
    stopped = train_lifter(_config(), pose_dataset, run_dir, device="cpu", stop_after_steps=3)
    assert stopped.status == "stopped"
    resumed = train_lifter(_config(), pose_dataset, run_dir, resume=True, device="cpu")
    assert resumed.status == "finished"
    ours = read_checkpoint(run_dir / "last.pt")["model"]
    theirs = read_checkpoint(trained / "last.pt")["model"]
    for key, value in theirs.items():
        assert torch.equal(ours[key], value), key


def test_a_nan_loss_stops_the_run(pose_dataset, tmp_path, monkeypatch):
    prepare = LiftingStepInputs.prepare

    def poisoned(self, indices):
        batch = prepare(self, indices)
        batch.inputs[0, 0, 0, 0] = float("nan")
        return batch

    monkeypatch.setattr(LiftingStepInputs, "prepare", poisoned)
    with pytest.raises(TrainingDiverged, match="training diverged"):
        train_lifter(_config(), pose_dataset, tmp_path / "nan", device="cpu")


def test_lifter_given_frames_or_image_model_given_keypoints(
    trained, pose_dataset, tiny_checkpoint, tmp_path, capsys
):
    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / "meta.json").write_text(json.dumps({"format": "vidpose-clip-store"}))
    code = main(["evaluate", str(trained), "--data", str(clips)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"{clips}: a clip store, but {trained / 'best.pt'} is a lifter, which reads" in err
    code = main(["evaluate", str(tiny_checkpoint), "--data", str(pose_dataset / "test")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "a pose-sequence store" in err and "image model" in err
    code = main(
        ["evaluate", str(trained), "--data", str(pose_dataset / "test"), "--keypoints", "cpn"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no 2D source 'cpn'" in err


def test_training_an_image_model_on_a_sequence_store_is_refused(pose_dataset, tmp_path, capsys):
    code = main(
        [
            "train",
            "--config",
            str(Path(__file__).parents[2] / "configs" / "cpu.yaml"),
            "--data",
            str(pose_dataset),
            "--out",
            str(tmp_path / "rgb"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"{pose_dataset / 'train'}: a pose-sequence store, but " in err
    assert "cpu.yaml is an image model, which reads clip stores" in err and err.count("\n") == 1
    assert not (tmp_path / "rgb").exists()


def test_training_a_lifter_on_a_clip_store_is_refused(tmp_path, capsys):
    from vidpose.synth.generate import generate_dataset

    generate_dataset(tmp_path / "clips", size=32, frames=2, train_clips=2, test_clips=2)
    code = main(["train", "--config", str(CONFIG), "--data", str(tmp_path / "clips"), "--out", "x"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"{tmp_path / 'clips' / 'train'}: a clip store, but {CONFIG} is a lifter" in err
    assert "vidpose prepare videopose3d or vidpose synth --poses-only" in err


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.clip_frames=8"], "data.clip_frames: only applies to image models; a lifter"),
        (["train.velocity_weight=1.0"], "train.velocity_weight: 1.0 needs at least 2 output"),
        (
            ["model.lifter=transformer", "data.output_frames=3"],
            "data.output_frames: the transformer",
        ),
        (["augment.scale=0.2"], "augment.scale: unknown key"),
    ],
)
def test_config_mistakes_name_the_key(overrides, message):
    with pytest.raises(UserError, match=message):
        _config(*overrides)


def test_lifter_keys_are_refused_for_image_models():
    with pytest.raises(UserError, match="data.keypoints: only applies to lifters"):
        load_config(None, ["data.keypoints=gt"])


def test_velocity_loss_with_several_output_frames_trains(pose_dataset, tmp_path):
    config = _config(
        "data.output_frames=4",
        "train.velocity_weight=1.0",
        "train.n_mpjpe_weight=0.5",
        "train.epochs=1",
        "train.final_report=false",
    )
    result = train_lifter(config, pose_dataset, tmp_path / "velocity", device="cpu")
    assert result.status == "finished" and result.test_mpjpe_mm > 0


def test_export_refuses_a_lifter_checkpoint(trained, tmp_path, capsys):
    # vidpose predict runs lifter checkpoints (tests/cli/test_predict_lifter.py); export does not
    code = main(["export", str(trained / "best.pt"), str(tmp_path / "lifter.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "a lifter checkpoint" in err
    assert not (tmp_path / "lifter.onnx").exists()


def test_a_lifter_checkpoint_records_its_kind_not_a_clip_shape(trained):
    checkpoint = read_checkpoint(trained / "last.pt")
    assert checkpoint["kind"] == "lifter" and checkpoint["version"] == 2
    assert not {"clip_frames", "image_size"} & set(checkpoint)


def test_a_run_saved_before_checkpoints_had_a_kind_resumes(pose_dataset, tmp_path):
    """tests/fixtures/v1_lifter_run: a lifter run stopped after 2 steps by vidpose before this
    layout (checkpoint version 1, the shared model/data sections in config.yaml), written with
    the SMALL-like settings in its config.yaml on this module's pose_dataset."""
    import shutil

    run_dir = tmp_path / "old"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "v1_lifter_run", run_dir)
    assert read_checkpoint(run_dir / "last.pt")["kind"] == "lifter"
    resumed = train_lifter(
        load_config(run_dir / "config.yaml"), pose_dataset, run_dir, resume=True, device="cpu"
    )
    assert resumed.status == "finished" and resumed.step == 12
