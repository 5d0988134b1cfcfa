import csv
import json
import os
import signal

import numpy as np
import pytest
import torch

from vidpose.clips.clip_store import open_store
from vidpose.engine import losses
from vidpose.engine.trainer import TrainingDiverged
from vidpose.infra.errors import UserError
from vidpose.runs.run_config import load_config
from vidpose.tracks import train

# 10 training clips at batch 3 → 4 steps per epoch (the last one short); 2 epochs.
STEPS_PER_EPOCH, EPOCHS = 4, 2


def _weights(path):
    return torch.load(path, weights_only=True)["model"]


def _assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def _metric_rows(run_dir):
    """metrics.csv rows without the wall-clock column."""
    with open(run_dir / "metrics.csv", newline="") as handle:
        return [row[:-1] for row in csv.reader(handle)]


@pytest.fixture(scope="module")
def reference_run(tiny_data, tiny_overrides, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    config = load_config(None, [*tiny_overrides, "train.final_report=true"])
    result = train(config, tiny_data, run_dir, device="cpu")
    return run_dir, result


def test_a_run_writes_its_folder(reference_run, tiny_data):
    run_dir, result = reference_run
    assert result.status == "finished"
    assert (result.epochs_done, result.step) == (EPOCHS, EPOCHS * STEPS_PER_EPOCH)
    written = ("config.yaml", "metrics.csv", "last.pt", "best.pt", "predictions_test.npy")
    for name in (*written, "evaluation.json", "curves_loss.png", "curves_mpjpe.png"):
        assert (run_dir / name).is_file(), name
    rows = _metric_rows(run_dir)
    assert rows[0] == ["kind", "epoch", "step", "split", "loss", "mpjpe_mm", "lr"]
    steps = [r for r in rows[1:] if r[0] == "step"]
    assert [int(r[2]) for r in steps] == list(range(1, EPOCHS * STEPS_PER_EPOCH + 1))
    assert {r[3] for r in steps} == {"train"}
    epochs = [(int(r[1]), int(r[2]), r[3]) for r in rows[1:] if r[0] == "epoch"]
    assert epochs == [(1, 4, "train"), (1, 4, "test"), (2, 8, "train"), (2, 8, "test")]

    test_rows = [r for r in rows[1:] if r[0] == "epoch" and r[3] == "test"]
    best = torch.load(run_dir / "best.pt", weights_only=True)
    assert best["training"]["best_mpjpe_mm"] == pytest.approx(
        min(float(r[5]) for r in test_rows), abs=1e-3
    )
    last = torch.load(run_dir / "last.pt", weights_only=True)
    assert (last["epoch"], last["step"], last["clip_frames"], last["image_size"]) == (2, 8, 4, 32)
    # The final test row is the MPJPE of the saved predictions of the final weights.
    test = open_store(tiny_data / "test")
    predictions = np.load(run_dir / "predictions_test.npy")
    assert predictions.shape == test.poses3d.shape
    mpjpe_mm = 1000 * np.linalg.norm(predictions - test.poses3d, axis=-1).mean()
    assert float(test_rows[-1][5]) == pytest.approx(mpjpe_mm, abs=1e-2)
    # evaluation.json scores those same predictions and says which checkpoint made them.
    report = json.loads((run_dir / "evaluation.json").read_text())
    assert report["context"]["checkpoint"] == str(run_dir / "last.pt")
    assert report["context"]["predictions"] == str(run_dir / "predictions_test.npy")
    assert (report["context"]["epoch"], report["context"]["step"]) == (2, 8)
    assert report["headline"]["mpjpe_mm"]["frame_average"] == pytest.approx(mpjpe_mm, abs=1e-2)
    # Targets were normalised with the training store's statistics.
    train_poses = open_store(tiny_data / "train").poses3d.reshape(-1, 17, 3)
    np.testing.assert_allclose(last["model"]["target_mean"], train_poses.mean(0), atol=1e-5)


@pytest.mark.parametrize("stop_after", [STEPS_PER_EPOCH, 6])  # at an epoch end; mid-epoch
def test_resume_after_a_stop_ends_with_identical_weights(
    reference_run, tiny_data, tiny_config, tmp_path, stop_after
):
    reference_dir, _ = reference_run
    run_dir = tmp_path / "run"
    stopped = train(tiny_config, tiny_data, run_dir, device="cpu", stop_after_steps=stop_after)
    assert (stopped.status, stopped.step) == ("stopped", stop_after)
    assert not (run_dir / "predictions_test.npy").exists()
    resumed = train(tiny_config, tiny_data, run_dir, device="cpu", resume=True)
    assert (resumed.status, resumed.step) == ("finished", EPOCHS * STEPS_PER_EPOCH)
    _assert_same_weights(_weights(run_dir / "last.pt"), _weights(reference_dir / "last.pt"))
    assert _metric_rows(run_dir) == _metric_rows(reference_dir)


def test_ctrl_c_saves_last_pt_and_resumes_exactly(
    reference_run, tiny_data, tiny_config, tmp_path, monkeypatch
):
    calls = []

    def interrupting_mse(pred, gt, scale=None):
        calls.append(1)
        if len(calls) == 6:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C in the terminal sends
        return losses.mse_loss(pred, gt, scale)

    monkeypatch.setitem(losses.LOSSES, "mse", interrupting_mse)
    run_dir = tmp_path / "run"
    result = train(tiny_config, tiny_data, run_dir, device="cpu")
    assert result.status == "interrupted"
    assert 6 <= result.step < EPOCHS * STEPS_PER_EPOCH
    saved = torch.load(run_dir / "last.pt", weights_only=True)
    assert saved["step"] == result.step
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    monkeypatch.undo()
    train(tiny_config, tiny_data, run_dir, device="cpu", resume=True)
    reference_dir, _ = reference_run
    _assert_same_weights(_weights(run_dir / "last.pt"), _weights(reference_dir / "last.pt"))


def test_a_nan_loss_stops_and_keeps_the_last_good_checkpoint(
    tiny_data, tiny_config, tmp_path, monkeypatch
):
    calls = []

    def nan_in_second_epoch(pred, gt, scale=None):
        calls.append(1)
        loss = losses.mse_loss(pred, gt, scale)
        return loss * float("nan") if len(calls) == STEPS_PER_EPOCH + 2 else loss

    monkeypatch.setitem(losses.LOSSES, "mse", nan_in_second_epoch)
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingDiverged) as info:
        train(tiny_config, tiny_data, run_dir, device="cpu")
    message = str(info.value)
    assert "loss is nan at epoch 2, step 6" in message and "last.pt" in message
    saved = torch.load(run_dir / "last.pt", weights_only=True)
    assert (saved["epoch"], saved["step"]) == (1, STEPS_PER_EPOCH)
    assert all(torch.isfinite(v).all() for v in saved["model"].values() if v.is_floating_point())
    assert (run_dir / "best.pt").is_file()


def test_clip_length_must_match_the_stores(tiny_data, tiny_config, tmp_path):
    tiny_config.data.clip_frames = 8
    with pytest.raises(UserError, match="data.clip_frames: 8, but .* holds 4-frame clips"):
        train(tiny_config, tiny_data, tmp_path / "run", device="cpu")
    assert not (tmp_path / "run").exists()


def test_resume_refuses_another_process_count_or_batch_size(tiny_data, tiny_config, tmp_path):
    run_dir = tmp_path / "run"
    train(tiny_config, tiny_data, run_dir, device="cpu", stop_after_steps=1)
    checkpoint = torch.load(run_dir / "last.pt", weights_only=True)
    checkpoint["training"]["world_size"] = 2
    torch.save(checkpoint, run_dir / "last.pt")
    with pytest.raises(UserError, match="saved by 2 process"):
        train(tiny_config, tiny_data, run_dir, device="cpu", resume=True)
    checkpoint["training"]["world_size"] = 1
    torch.save(checkpoint, run_dir / "last.pt")
    tiny_config.train.batch_size = 5
    with pytest.raises(UserError, match="saved with train.batch_size=3; resume with the same"):
        train(tiny_config, tiny_data, run_dir, device="cpu", resume=True)


RECIPE = [
    "augment.flip=0.5",
    "augment.rotation_deg=20",
    "optim.ema_decay=0.9",
    "optim.schedule=cosine",
    "optim.warmup_epochs=0.5",
    "train.loss=l1",
    "train.velocity_weight=0.5",
]


def test_resume_is_exact_with_ema_and_augmentation(tiny_data, tiny_overrides, tmp_path):
    config = load_config(None, [*tiny_overrides, *RECIPE])
    reference = tmp_path / "reference"
    train(config, tiny_data, reference, device="cpu")
    run_dir = tmp_path / "run"
    assert train(config, tiny_data, run_dir, device="cpu", stop_after_steps=3).status == "stopped"
    train(config, tiny_data, run_dir, device="cpu", resume=True)
    for name in ("last.pt", "best.pt"):
        _assert_same_weights(_weights(run_dir / name), _weights(reference / name))
    saved = torch.load(reference / "last.pt", weights_only=True)
    raw, averaged = saved["training"]["raw_model"], saved["model"]
    assert saved["training"]["ema_updates"] == EPOCHS * STEPS_PER_EPOCH
    # The checkpoint's model is the EMA average, not the last raw weights.
    assert any(not torch.equal(raw[k], averaged[k]) for k in raw if raw[k].is_floating_point())
    assert _metric_rows(run_dir) == _metric_rows(reference)
    with pytest.raises(UserError, match="optim.ema_decay on; resume with it on"):
        train(
            load_config(None, [*tiny_overrides, *RECIPE, "optim.ema_decay=0"]),
            tiny_data,
            run_dir,
            device="cpu",
            resume=True,
        )


def test_train_s_counts_the_time_of_the_runs_it_resumes(tiny_data, tiny_config, tmp_path):
    """TrainResult.train_s is the whole run's training time: a resumed run adds its own to what
    last.pt says the earlier parts took (set large here, so the sum cannot be mistaken)."""
    run_dir = tmp_path / "run"
    stopped = train(tiny_config, tiny_data, run_dir, device="cpu", stop_after_steps=3)
    assert stopped.train_s > 0
    checkpoint = torch.load(run_dir / "last.pt", weights_only=False)
    checkpoint["training"]["elapsed_s"] = 1000.0
    torch.save(checkpoint, run_dir / "last.pt")
    resumed = train(tiny_config, tiny_data, run_dir, device="cpu", resume=True)
    assert resumed.status == "finished"
    assert 1000.0 < resumed.train_s < 1000.0 + 600
