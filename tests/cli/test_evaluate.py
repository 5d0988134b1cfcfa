"""``vidpose evaluate`` end to end: a tiny model saved as a checkpoint, scored on tiny stores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from vidpose.cli import main
from vidpose.clips.clip_store import open_store, write_store
from vidpose.engine.clip_inference import predict_store
from vidpose.models import ModelConfig, build_model
from vidpose.pose import metrics
from vidpose.runs.checkpoint import load_model, make_checkpoint, save_checkpoint

CLIP_FRAMES = 3
IMAGE_SIZE = 16


def _write_clip_store(path: Path, n: int, t: int = CLIP_FRAMES, seed: int = 0, frames=True):
    rng = np.random.default_rng(seed)
    poses3d = rng.normal(scale=0.25, size=(n, t, 17, 3)).astype(np.float32)
    poses3d -= poses3d[:, :, :1]
    actions = ["Walking", "Eating", "Walking", "Sitting"]
    clips = [
        {
            "subject": "S9" if i % 2 else "S11",
            "action": actions[i % len(actions)],
            "camera": "54138969",
            "sequence": f"{actions[i % len(actions)]} 1",
            "start_frame": 10 * i,
        }
        for i in range(n)
    ]
    image = rng.integers(0, 256, size=(n, t, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    return write_store(
        path,
        poses3d=poses3d,
        poses2d=np.zeros((n, t, 17, 2), np.float32),
        clips=clips,
        frames=image if frames else None,
    )


def _save_model(path: Path, target_mean=None) -> Path:
    torch.manual_seed(0)
    config = ModelConfig(backbone="tinycnn", temporal="gru", hidden_size=16, feature_dim=16)
    model = build_model(config)
    if target_mean is not None:
        model.set_target_stats(torch.as_tensor(target_mean), torch.ones(17, 3))
    checkpoint = make_checkpoint(
        model, clip_frames=CLIP_FRAMES, image_size=IMAGE_SIZE, fps=50.0, config={}
    )
    checkpoint["epoch"], checkpoint["step"] = 1, 4
    save_checkpoint(path, checkpoint)
    return path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    _write_clip_store(root / "data" / "train", n=6, seed=1)
    _write_clip_store(root / "data" / "test", n=5, seed=2)
    run_dir = root / "run"
    run_dir.mkdir()
    _save_model(run_dir / "best.pt")
    return root


def _run(capsys, *argv):
    code = main(["evaluate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_run_dir_prints_the_table_and_writes_the_json(workspace, capsys, tmp_path):
    out_json = tmp_path / "eval" / "evaluation.json"
    code, out, _ = _run(
        capsys, workspace / "run", "--data", workspace / "data" / "test", "--json", out_json
    )
    assert code == 0
    assert "P1 MPJPE" in out and "Per action" in out and "Per joint" in out
    report = json.loads(out_json.read_text())
    assert report["num_clips"] == 5 and report["frames_per_clip"] == CLIP_FRAMES
    assert report["context"]["checkpoint"].endswith("best.pt")
    assert report["context"]["epoch"] == 1 and report["context"]["flip_test"] is False
    assert report["baseline"]["source"].startswith("train store")

    # The numbers are those of the model's own predictions and the train store's mean pose.
    test, train = open_store(workspace / "data" / "test"), open_store(workspace / "data" / "train")
    model, _ = load_model(workspace / "run" / "best.pt")
    pred = predict_store(model, test, batch_size=2, progress=False)
    headline = report["headline"]["mpjpe_mm"]
    assert headline["frame_average"] == pytest.approx(metrics.mpjpe_mm(pred, test.poses3d))
    mean_pose = train.poses3d.reshape(-1, 17, 3).mean(0)
    baseline = metrics.mpjpe_mm(np.broadcast_to(mean_pose, test.poses3d.shape), test.poses3d)
    assert headline["baseline_frame_average"] == pytest.approx(baseline, rel=1e-5)
    assert f"{headline['frame_average']:.1f}" in out


def test_json_dash_prints_one_json_object_on_stdout(workspace, capsys):
    code, out, err = _run(
        capsys, workspace / "run" / "best.pt", "--data", workspace / "data" / "test",
        "--json", "-", "--flip-test", "--batch-size", "2", "--device", "cpu",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert report["context"]["flip_test"] is True
    assert "P1 MPJPE" in err  # the table still reaches the user, on stderr


def test_flip_test_averages_with_mirrored_predictions(workspace, capsys):
    reports = []
    for flags in ([], ["--flip-test"]):
        code, out, _ = _run(
            capsys, workspace / "run", "--data", workspace / "data" / "test", "--json", "-", *flags
        )
        assert code == 0
        reports.append(json.loads(out))
    plain, flipped = (r["headline"]["mpjpe_mm"]["frame_average"] for r in reports)
    assert plain != pytest.approx(flipped)


def test_run_dir_falls_back_to_last_pt_and_checkpoint_target_mean(tmp_path, capsys):
    store = _write_clip_store(tmp_path / "alone" / "heldout", n=4)
    target_mean = store.poses3d.reshape(-1, 17, 3).mean(0) + 0.01
    run_dir = tmp_path / "run"
    _save_model(run_dir / "last.pt", target_mean=target_mean)
    code, out, _ = _run(capsys, run_dir, "--data", store.path, "--json", "-")
    assert code == 0
    report = json.loads(out)
    assert report["context"]["checkpoint"].endswith("last.pt")
    assert "target_mean" in report["baseline"]["source"]
    baseline = metrics.mpjpe_mm(
        np.broadcast_to(target_mean - target_mean[:1], store.poses3d.shape), store.poses3d
    )
    assert report["headline"]["mpjpe_mm"]["baseline_frame_average"] == pytest.approx(
        baseline, rel=1e-5
    )


def test_no_train_store_and_no_target_mean_means_no_baseline(tmp_path, capsys):
    store = _write_clip_store(tmp_path / "alone" / "heldout", n=2)
    checkpoint = _save_model(tmp_path / "model.pt")
    code, out, _ = _run(capsys, checkpoint, "--data", store.path)
    assert code == 0
    assert "mean-pose baseline: not available" in out


def _bad_inputs(tmp_path: Path, workspace: Path) -> dict[str, tuple[list, str]]:
    (tmp_path / "empty_run").mkdir()
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    mismatched = torch.load(workspace / "run" / "best.pt", weights_only=True)
    mismatched["model_config"]["hidden_size"] = 24
    save_checkpoint(tmp_path / "mismatched.pt", mismatched)
    _write_clip_store(tmp_path / "long" / "test", n=2, t=CLIP_FRAMES + 2)
    _write_clip_store(tmp_path / "poses_only" / "test", n=2, frames=False)
    renamed = tmp_path / "renamed" / "test"
    _write_clip_store(renamed, n=2)
    meta = json.loads((renamed / "meta.json").read_text())
    meta["joint_names"] = meta["joint_names"][:-1] + ["right_hand"]
    (renamed / "meta.json").write_text(json.dumps(meta))
    run, test = workspace / "run", workspace / "data" / "test"
    return {
        "run without checkpoints": ([tmp_path / "empty_run", "--data", test], "no best.pt"),
        "missing path": ([tmp_path / "nope", "--data", test], "no such run folder"),
        "foreign .pt": ([tmp_path / "other.pt", "--data", test], "not a vidpose checkpoint"),
        "junk .pt": ([tmp_path / "junk.pt", "--data", test], "not a readable vidpose checkpoint"),
        "weights of another model": (
            [tmp_path / "mismatched.pt", "--data", test],
            "weights do not fit the model",
        ),
        "clip length": (
            [run, "--data", tmp_path / "long" / "test"],
            ("clips of 5 frames, but ", f"was trained on {CLIP_FRAMES}-frame clips"),
        ),
        "keypoints for an image model": (
            [run, "--data", test, "--keypoints", "gt"],
            "--keypoints: only for lifters; this checkpoint is an image model",
        ),
        "pose-only store": ([run, "--data", tmp_path / "poses_only" / "test"], "pose-only"),
        "joint set": ([run, "--data", renamed], "joint_names differ"),
        "missing store": ([run, "--data", tmp_path / "none"], "not a store directory"),
        "bad device": ([run, "--data", test, "--device", "gpu7"], "--device"),
        "bad batch size": ([run, "--data", test, "--batch-size", "0"], "--batch-size"),
    }


CASES = [
    "run without checkpoints",
    "missing path",
    "foreign .pt",
    "junk .pt",
    "weights of another model",
    "clip length",
    "keypoints for an image model",
    "pose-only store",
    "joint set",
    "missing store",
    "bad device",
    "bad batch size",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, workspace, tmp_path, capsys):
    argv, problem = _bad_inputs(tmp_path, workspace)[case]
    out_json = tmp_path / "out.json"
    code, out, err = _run(capsys, *argv, "--json", out_json)
    assert code == 2, err
    assert err.startswith("vidpose evaluate: error: ") and err.count("\n") == 1, err
    for part in (problem,) if isinstance(problem, str) else problem:
        assert part in err
    assert not out_json.exists()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_evaluation_on_cuda_matches_cpu(workspace, capsys):
    reports = {}
    for device in ("cpu", "cuda"):
        code, out, _ = _run(
            capsys, workspace / "run", "--data", workspace / "data" / "test",
            "--json", "-", "--device", device,
        )  # fmt: skip
        assert code == 0
        reports[device] = json.loads(out)["headline"]
    for key, row in reports["cpu"].items():
        for field, value in row.items():
            if value is not None:
                assert reports["cuda"][key][field] == pytest.approx(value, rel=1e-3, abs=0.05)
