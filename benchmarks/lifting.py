"""Lifting benchmark: the default lifter against the single-frame MLP on one store and budget.

    python benchmarks/lifting.py --data data/poses [--train-frames 600000] [--json out.json]

Trains the default lifter (``configs/lift_tcn27.yaml``) and Martinez et al.'s single-frame
MLP (1,024 features, two blocks, dropout 0.5; otherwise the same recipe) on DATA/train for the
same budget of training samples each, evaluates both on DATA/test by the field's protocol
(every frame of every evaluation sequence, flip test as configured) and prints one JSON
object: P1, P2, N-MPJPE and MPJVE (frame and action averages) of each beside the training
set's mean pose, training seconds, training samples/s, inference frames/s on the device used,
and the default lifter's seconds per 100,000 training frames.

The budget is counted in training samples, not seconds: on a shared CPU a time budget would
hand each model whatever the other jobs left it. ``--train-frames`` is rounded to whole
epochs (or, below one epoch, met with a sample stride) so the learning-rate schedule ends at
the end. The training seconds leave out the per-epoch test passes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "configs" / "lift_tcn27.yaml"
#: Martinez et al. 2017: 1,024 features, two residual blocks, dropout 0.5; trained like the
#: default lifter otherwise (batch, optimizer, schedule, flips).
MLP_OVERRIDES = [
    "model.lifter=mlp",
    "model.receptive_field=1",
    "model.hidden_size=1024",
    "model.temporal_layers=2",
    "model.dropout=0.5",
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with train/ and test/")
    parser.add_argument(
        "--train-frames", type=int, default=600_000, help="training samples each model sees"
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="the default lifter")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    args = parser.parse_args(argv)
    if args.train_frames <= 0:
        parser.error("--train-frames must be positive")
    return args


class StepClock:
    """Times the optimizer steps, leaving out the epoch-end test passes and saves."""

    def __init__(self, steps_per_epoch: int) -> None:
        self.steps_per_epoch = steps_per_epoch
        self.last = None
        self.intervals: list[float] = []

    def __call__(self, step: int) -> None:
        if self.last is not None and (step - 1) % self.steps_per_epoch != 0:
            self.intervals.append(time.perf_counter() - self.last)
        self.last = time.perf_counter()

    @property
    def seconds(self) -> float:
        return sum(self.intervals)

    @property
    def steps(self) -> int:
        return len(self.intervals)


def _trainer(config, data: Path, run_dir: Path, device: str, stop_after_steps: int = 0):
    from vidpose.tracks import trainer as make_trainer

    trainer = make_trainer(config, data, run_dir, device=device, stop_after_steps=stop_after_steps)
    clock = StepClock(trainer.steps_per_epoch)
    trainer.on_step = clock
    return trainer, clock


def sized(config, data: Path, samples: int):
    """``config`` with epochs (and, below one epoch, a sample stride) for ~``samples``."""
    from vidpose.lifting.windows import KeypointSequences, TrainingWindows
    from vidpose.runs.run_config import run_config
    from vidpose.sequences import open_sequences

    store = open_sequences(data / "train")
    windows = TrainingWindows(
        KeypointSequences(store, config.data.keypoints), 1, config.data.sample_stride
    )
    per_epoch = len(windows)
    values = config.to_dict()
    if samples >= per_epoch:
        values["train"]["epochs"] = max(1, round(samples / per_epoch))
    else:
        values["train"]["epochs"] = 1
        values["data"]["sample_stride"] = config.data.sample_stride * math.ceil(per_epoch / samples)
    values["train"]["tensorboard"] = False
    return run_config(values)


def run_model(name, config, args, work: Path) -> dict:
    from vidpose.lifting.sequence_inference import predict_sequences
    from vidpose.lifting.windows import KeypointSequences
    from vidpose.sequences import open_sequences

    config = sized(config, args.data, args.train_frames)
    print(
        f"[{name}] {config.train.epochs} epoch(s), sample stride {config.data.sample_stride}",
        file=sys.stderr,
    )
    run_dir = work / name / "run"
    trainer, clock = _trainer(config, args.data, run_dir, args.device)
    result = trainer.run()
    report = json.loads((run_dir / "evaluation.json").read_text())

    store = open_sequences(args.data / "test")
    data = KeypointSequences(store, config.data.keypoints, args.device)
    indices = store.evaluation_indices(data.source)
    started = time.perf_counter()
    predict_sequences(
        trainer.eval_model,
        data,
        indices,
        batch_size=config.eval.batch_size,
        flip_test=config.eval.flip_test,
    )
    infer_s = time.perf_counter() - started
    frames = sum(store.sequences[i].frames for i in indices)
    train_rate = clock.steps * config.train.batch_size / clock.seconds if clock.steps else None
    return {
        "model": {
            key: config.model.to_dict()[key]
            for key in ("lifter", "receptive_field", "hidden_size", "temporal_layers", "dropout")
        },
        "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "epochs": config.train.epochs,
        "sample_stride": config.data.sample_stride,
        "train_samples": result.step * config.train.batch_size,
        # The timed steps leave out each epoch's first; count it at the mean step time.
        "train_s": clock.seconds * result.step / max(clock.steps, 1),
        "train_wall_s_with_test_passes": result.train_s,
        "train_samples_per_s": train_rate,
        "inference_frames_per_s": frames / infer_s,
        "flip_test": config.eval.flip_test,
        "metrics_mm": _headline(report, model=True),
        "_report": report,
    }


def _headline(report: dict, model: bool) -> dict:
    prefix = "" if model else "baseline_"
    return {
        key: {
            "frame_average": report["headline"][key][f"{prefix}frame_average"],
            "action_average": report["headline"][key][f"{prefix}action_average"],
        }
        for key in ("mpjpe_mm", "p_mpjpe_mm", "n_mpjpe_mm", "mpjve_mm")
    }


def main(argv=None) -> int:
    from vidpose.runs.run_config import load_config

    args = parse_args(argv)
    torch.manual_seed(0)
    default = load_config(args.config, args.overrides)
    baseline = load_config(args.config, [*args.overrides, *MLP_OVERRIDES])
    # The trainer's epoch lines go to stderr: stdout holds the one JSON object.
    with (
        tempfile.TemporaryDirectory(prefix="vidpose-lifting-") as tmp,
        contextlib.redirect_stdout(sys.stderr),
    ):
        work = Path(tmp)
        results = {
            "default": run_model("default", default, args, work),
            "mlp": run_model("mlp", baseline, args, work),
        }
    report = results["default"].pop("_report")
    results["mlp"].pop("_report")
    p1 = {name: r["metrics_mm"]["mpjpe_mm"]["action_average"] for name, r in results.items()}
    mean_pose = _headline(report, model=False)
    rate = results["default"]["train_samples_per_s"]
    output = {
        "benchmark": "lifting",
        "data": str(args.data),
        "device": args.device,
        "torch_threads": torch.get_num_threads(),
        # A shared CPU's other work slows every step; read the numbers against it.
        "load_average_1min_at_end": os.getloadavg()[0],
        "train_frames_budget_each": args.train_frames,
        "test_frames": report["num_frames"],
        "test_sequences": report["num_clips"],
        "default_config": str(args.config),
        "models": results,
        "mean_pose_mm": mean_pose,
        "p1_action_average_mm": {**p1, "mean_pose": mean_pose["mpjpe_mm"]["action_average"]},
        "ratio_p1_default_to_mlp": p1["default"] / p1["mlp"],
        "ratio_p1_default_to_mean_pose": p1["default"] / mean_pose["mpjpe_mm"]["action_average"],
        "default_s_per_100k_train_frames": None if not rate else 1e5 / rate,
    }
    text = json.dumps(output, indent=2, allow_nan=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
