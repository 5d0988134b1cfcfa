"""The engine's fast CUDA path learns what the plain fp32 path learns (skipped without CUDA).

Tolerance: after 300 steps of a tiny model on a tiny synthetic store, the final test MPJPE of a
bf16-autocast run (GPU-resident data, channels_last) is within 10 % of the fp32 run's (same
seed, same data order), and both have learnt something (at least 20 % below the first epoch's
test MPJPE). Seed-to-seed differences of fp32 runs of this size are a few per cent, so 10 %
catches a broken precision path (a loss computed in bf16, lost gradients) without flaking.
"""

import csv

import pytest
import torch

from vidpose.config import load_config
from vidpose.engine.trainer import train

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


def _test_mpjpe_mm(run_dir) -> list[float]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [float(r["mpjpe_mm"]) for r in rows if r["kind"] == "epoch" and r["split"] == "test"]


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
    return _test_mpjpe_mm(run_dir)


def test_bf16_training_matches_fp32(synth_data, tmp_path):
    fp32 = _run(synth_data, tmp_path / "fp32", "train.precision=fp32", "train.channels_last=false")
    bf16 = _run(synth_data, tmp_path / "bf16", "train.precision=bf16", "train.channels_last=true")
    for curve in (fp32, bf16):
        assert curve[-1] < 0.8 * curve[0], curve
    assert abs(bf16[-1] - fp32[-1]) <= RELATIVE_TOLERANCE * fp32[-1], (fp32, bf16)


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
