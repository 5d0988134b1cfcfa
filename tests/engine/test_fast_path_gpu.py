"""The engine's fast CUDA path learns what the plain fp32 path learns (skipped without CUDA).

Tolerance: after 300 steps of a tiny model on a tiny synthetic store, a bf16-autocast run
(GPU-resident data, channels_last) and an fp32 run (same seed, same data order) agree within
10 % in the final training-epoch loss and in the test MPJPE averaged over the last 3 epochs;
both must have learnt (final training loss under half the first epoch's). Calibration (the
same recipe on CPU, where autocast also runs bf16): bf16 vs fp32 differed by 1.2 % (loss) and
0.1 % (MPJPE), fp32 seed 0 vs seed 1 by 3.4 % and 1.1 %; test MPJPE of single epochs wanders
by ±5 mm, hence the 3-epoch mean.
"""

import csv

import pytest
import torch

from vidpose.runs.run_config import load_config
from vidpose.tracks import train

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

RELATIVE_TOLERANCE = 0.10


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory):
    from vidpose.synth.generate import generate_dataset

    root = tmp_path_factory.mktemp("fast_path") / "data"
    generate_dataset(root, preset="tiny", train_clips=160, test_clips=48, workers=4)
    return root


def _epoch_curve(run_dir, split: str, column: str) -> list[float]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [float(r[column]) for r in rows if r["kind"] == "epoch" and r["split"] == split]


def _test_mpjpe_mm(run_dir) -> list[float]:
    return _epoch_curve(run_dir, "test", "mpjpe_mm")


def _run(synth_data, run_dir, *overrides):
    config = load_config(
        None,
        [
            "model.backbone=tinycnn",
            "model.feature_dim=64",
            "model.hidden_size=64",
            "data.image_size=64",
            "train.epochs=15",  # 160 clips / batch 8 = 20 steps per epoch: 300 steps
            "train.batch_size=8",
            "train.tensorboard=false",
            "train.final_report=false",
            "train.compile=false",
            "eval.batch_size=16",
            *overrides,
        ],
    )
    result = train(config, synth_data, run_dir, device="cuda")
    assert result.status == "finished" and result.step == 300
    train_loss = _epoch_curve(run_dir, "train", "loss")
    assert train_loss[-1] < 0.5 * train_loss[0], train_loss  # it learnt
    return train_loss[-1], sum(_test_mpjpe_mm(run_dir)[-3:]) / 3


def test_bf16_training_matches_fp32(synth_data, tmp_path):
    fp32 = _run(synth_data, tmp_path / "fp32", "train.precision=fp32", "train.channels_last=false")
    bf16 = _run(synth_data, tmp_path / "bf16", "train.precision=bf16", "train.channels_last=true")
    assert bf16 == pytest.approx(fp32, rel=RELATIVE_TOLERANCE), (fp32, bf16)


def test_streamed_batches_train_exactly_like_resident_ones(synth_data, tmp_path):
    # The same clips in the same order reach the model either way; fp32 keeps it comparable.
    common = ("train.precision=fp32", "train.epochs=1")
    config_runs = []
    for path in ("gpu_resident", "stream"):
        run_dir = tmp_path / path
        config = load_config(
            None,
            [
                "model.backbone=tinycnn",
                "model.feature_dim=16",
                "model.hidden_size=16",
                "data.image_size=64",
                "train.batch_size=8",
                "train.tensorboard=false",
                "train.final_report=false",
                "train.compile=false",
                f"train.data_path={path}",
                *common,
            ],
        )
        train(config, synth_data, run_dir, device="cuda")
        config_runs.append(_test_mpjpe_mm(run_dir))
    resident, streamed = config_runs
    assert streamed == pytest.approx(resident, rel=1e-2)  # cuDNN benchmark: not bitwise
