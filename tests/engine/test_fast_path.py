"""The trainer's fast-path machinery on CPU: it must not change what a run computes."""

import csv

import pytest
import torch

from vidpose.engine import losses
from vidpose.engine.trainer import Trainer, TrainingDiverged
from vidpose.runs.run_config import load_config
from vidpose.tracks import train
from vidpose.tracks import trainer as make_trainer


def _rows(run_dir):
    with open(run_dir / "metrics.csv", newline="") as handle:
        return [row[:-1] for row in csv.reader(handle)]  # without the wall clock


def _weights(run_dir):
    return torch.load(run_dir / "last.pt", weights_only=True)["model"]


ONE_EPOCH = "train.epochs=1"  # 4 steps, the last one short: enough to compare, and quick


@pytest.fixture(scope="module")
def plain_run(tiny_data, tiny_overrides, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("plain") / "run"
    train(load_config(None, [*tiny_overrides, ONE_EPOCH]), tiny_data, run_dir, device="cpu")
    return run_dir


def _same_run(a, b):
    assert _rows(a) == _rows(b)
    first, second = _weights(a), _weights(b)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[key], second[key]) for key in first)


def test_streamed_batches_train_exactly_like_direct_reads(
    plain_run, tiny_data, tiny_overrides, tmp_path
):
    config = load_config(None, [*tiny_overrides, ONE_EPOCH, "train.data_path=stream"])
    trainer = make_trainer(config, tiny_data, tmp_path / "run", device="cpu")
    assert trainer.speed_summary()["data_path_train"] == "stream"
    trainer.run()
    _same_run(plain_run, tmp_path / "run")


def test_metrics_read_back_in_blocks_log_the_same_rows(
    plain_run, tiny_data, tiny_overrides, tmp_path, monkeypatch
):
    monkeypatch.setattr(Trainer, "cpu_read_back_every", 3)  # as on a GPU, with 4-step epochs
    config = load_config(None, [*tiny_overrides, ONE_EPOCH])
    train(config, tiny_data, tmp_path / "run", device="cpu")
    _same_run(plain_run, tmp_path / "run")


def test_a_nan_between_read_backs_still_stops_before_any_save(
    tiny_data, tiny_overrides, tmp_path, monkeypatch
):
    monkeypatch.setattr(Trainer, "cpu_read_back_every", 3)
    calls = []

    def nan_at_step_6(pred, gt, scale=None):
        calls.append(1)
        loss = losses.mse_loss(pred, gt, scale)
        return loss * float("nan") if len(calls) == 6 else loss

    monkeypatch.setitem(losses.LOSSES, "mse", nan_at_step_6)
    with pytest.raises(TrainingDiverged, match="loss is nan at epoch 2, step 6"):
        train(load_config(None, tiny_overrides), tiny_data, tmp_path / "run", device="cpu")
    saved = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert saved["step"] == 4  # the end of epoch 1, not the diverged weights
    rows = _rows(tmp_path / "run")
    assert [int(r[2]) for r in rows[1:] if r[0] == "step"] == [1, 2, 3, 4, 5]


def test_bf16_autocast_and_channels_last_train_on_cpu_too(
    plain_run, tiny_data, tiny_overrides, tmp_path
):
    overrides = [*tiny_overrides, ONE_EPOCH, "train.precision=bf16", "train.channels_last=true"]
    trainer = make_trainer(load_config(None, overrides), tiny_data, tmp_path / "run", device="cpu")
    summary = trainer.speed_summary()
    assert (summary["precision"], summary["channels_last"]) == ("bf16", True)
    result = trainer.run()
    assert result.status == "finished"
    plain = [float(r[5]) for r in _rows(plain_run)[1:] if r[0] == "epoch" and r[3] == "test"]
    fast = [float(r[5]) for r in _rows(tmp_path / "run")[1:] if r[0] == "epoch" and r[3] == "test"]
    # 8 steps of a random-data toy: close to fp32, not equal (bf16 has an 8-bit mantissa).
    assert fast == pytest.approx(plain, rel=0.05)


def test_best_pt_shares_last_pt_bytes_and_keeps_them_when_last_pt_is_replaced(tmp_path):
    from vidpose.engine.training_state import link_or_copy as _link_or_copy
    from vidpose.infra.atomic import write_text_atomic

    write_text_atomic(tmp_path / "last.pt", "epoch 1")
    _link_or_copy(tmp_path / "last.pt", tmp_path / "best.pt")
    write_text_atomic(tmp_path / "last.pt", "epoch 2")  # the next save renames a new file
    assert (tmp_path / "best.pt").read_text() == "epoch 1"
    assert (tmp_path / "last.pt").read_text() == "epoch 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "last.pt"]
