"""Training throughput: the report's plain loop against vidpose's engine, on the same store.

Usage (from the repository root; the package need not be installed)::

    PYTHONPATH=src python3 benchmarks/train_throughput.py                    # GPU defaults
    PYTHONPATH=src python3 benchmarks/train_throughput.py --steps 10 --size 64  # CPU, small
    PYTHONPATH=src python3 benchmarks/train_throughput.py --data DATA --compile true

Both loops train the same model (``--backbone``, default timm's ``resnet18``, + one LSTM layer +
a direct head) on 8-frame clips of the same synthetic store (``--data DIR`` with train/ and
test/ stores, or one generated into a temporary folder):

- ``reference``: what the report did, written plainly here: fp32, a standard
  ``torch.utils.data.DataLoader`` with worker processes over the memory-mapped store, batch 2,
  Adam at 1e-3, MSE;
- ``engine``: ``vidpose.engine.trainer.Trainer`` at its default fast settings (on CUDA: bf16
  autocast, channels_last, the GPU-resident data path, fused Adam; ``--compile`` as given)
  and ``--batch-size`` clips per step.

Prints ONE JSON object: clips/s of each and their ratio, the time to the engine's first step
(model build, data upload and, with compile, compilation) separately, evaluation clips/s,
peak GPU memory, and the projected seconds of the report's workload (5,964 clips × 10 epochs,
evaluation of 1,368 test clips after each epoch) for both.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

REPORT_TRAIN_CLIPS, REPORT_TEST_CLIPS, REPORT_EPOCHS = 5964, 1368, 10


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder with train/ and test/ clip stores")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda if available")
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--size", type=int, help="model input side; default 224 GPU, 64 CPU")
    parser.add_argument("--batch-size", type=int, help="engine batch; default 64 GPU, 8 CPU")
    parser.add_argument("--steps", type=int, help="timed engine steps; default 80 GPU, 10 CPU")
    parser.add_argument("--reference-steps", type=int, help="timed steps of the plain loop")
    parser.add_argument("--warmup", type=int, help="untimed steps first; default 10 GPU, 2 CPU")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    parser.add_argument("--compile", default="auto", choices=("auto", "true", "false"))
    parser.add_argument("--data-path", default="auto", choices=("auto", "gpu_resident", "stream"))
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the JSON object to this file")
    args = parser.parse_args(argv)
    import torch

    cuda = (args.device or ("cuda" if torch.cuda.is_available() else "cpu")) == "cuda"
    args.device = "cuda" if cuda else "cpu"
    defaults = {"size": (224, 64), "batch_size": (64, 8), "steps": (80, 10), "warmup": (10, 2)}
    for name, (gpu, cpu) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, gpu if cuda else cpu)
    if args.reference_steps is None:
        args.reference_steps = 4 * args.steps if cuda else args.steps
    for name in ("size", "batch_size", "steps", "reference_steps", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: must be at least 1")
    return args


def model_config(args):
    from vidpose.models import ModelConfig

    return ModelConfig(backbone=args.backbone, temporal="lstm", hidden_size=256, head="direct")


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


class StoreClips:
    """A map-style dataset for DataLoader workers: item i is (frames uint8 (T, H, W, 3), poses
    (T, 17, 3) m) copied out of the store's memory map. Holds only the path until first used, so
    a worker started by spawn or forkserver opens its own map instead of receiving a copy."""

    def __init__(self, path: Path) -> None:
        from vidpose.clips.clip_store import open_store

        self.path = path
        self.length = open_store(path).num_clips
        self.clips = None

    def __len__(self) -> int:
        return self.length

    def __getstate__(self) -> dict:
        return {"path": self.path, "length": self.length, "clips": None}

    def __getitem__(self, index: int):
        import numpy as np

        from vidpose.clips.clip_source import ClipDataset
        from vidpose.clips.clip_store import open_store

        if self.clips is None:
            self.clips = ClipDataset(open_store(self.path))
        frames, poses = self.clips[index]
        return np.array(frames), np.array(poses)


def run_reference(args, data_dir: Path) -> dict:
    """The report's loop: fp32, DataLoader workers, batch 2, Adam 1e-3, MSE."""
    import torch

    from vidpose.models import build_model
    from vidpose.models.frame_input import normalize_frames

    torch.manual_seed(0)
    device = torch.device(args.device)
    model = build_model(model_config(args)).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(
        StoreClips(data_dir / "train"),
        batch_size=2,
        shuffle=True,
        num_workers=args.workers,
        pin_memory=args.device == "cuda",
        persistent_workers=True,
        drop_last=True,
    )

    def batches():
        while True:
            yield from loader

    stream = batches()
    total = args.warmup + args.reference_steps
    started = None
    for step in range(total):
        if step == args.warmup:
            _sync(args.device)
            started = time.perf_counter()
        frames, poses = next(stream)
        frames = frames.to(device, non_blocking=True)
        poses = poses.to(device, non_blocking=True)
        pred = model(normalize_frames(frames, size=args.size))
        loss = torch.nn.functional.mse_loss(pred, poses)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(args.device)
    seconds = time.perf_counter() - started
    return {
        "clips_per_s": 2 * args.reference_steps / seconds,
        "batch_size": 2,
        "precision": "fp32",
        "loader_workers": args.workers,
        "timed_steps": args.reference_steps,
    }


def run_engine(args, data_dir: Path, work_dir: Path) -> dict:
    """vidpose's Trainer at its default fast settings, timed between steps via its hook."""
    import torch

    from vidpose.clips.clip_store import open_store
    from vidpose.runs.run_config import load_config
    from vidpose.tracks import trainer as make_trainer

    model = model_config(args)
    overrides = [
        f"model.{key}={value}" for key, value in model.to_dict().items() if value is not None
    ]
    overrides = [o for o in overrides if not o.startswith("model.pretrained")]
    overrides += [
        f"data.image_size={args.size}",
        f"train.batch_size={args.batch_size}",
        f"train.epochs={REPORT_EPOCHS}",
        f"train.precision={args.precision}",
        f"train.compile={args.compile}",
        f"train.data_path={args.data_path}",
        "train.tensorboard=false",
        "train.final_report=false",
        f"eval.batch_size={max(args.batch_size, 16)}",
    ]
    config = load_config(None, overrides)
    # Timed steps stay inside the first epoch (an epoch end would add a test pass and saves).
    steps_per_epoch = math.ceil(open_store(data_dir / "train").num_clips / args.batch_size)
    steps = min(args.steps, steps_per_epoch - 1 - args.warmup)  # the last batch may be short
    if steps < 1:
        raise SystemExit(
            f"--warmup {args.warmup} leaves no full step to time in an epoch of "
            f"{steps_per_epoch} steps of {args.batch_size}; give a bigger --data store"
        )
    marks: dict[int, float] = {}
    first, last = args.warmup, args.warmup + steps

    def on_step(step: int) -> None:
        if step in (1, first, last):
            _sync(args.device)
            marks[step] = time.perf_counter()

    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    trainer = make_trainer(
        config,
        data_dir,
        work_dir / "engine_run",
        device=args.device,
        stop_after_steps=last,
        on_step=on_step,
    )
    trainer.run()
    clips = steps * args.batch_size
    train_clips_per_s = clips / (marks[last] - marks[first])
    eval_seconds = []
    for _ in range(2):  # the first pass pays for cuDNN's algorithm search
        _sync(args.device)
        began = time.perf_counter()
        trainer.predict_test()
        _sync(args.device)
        eval_seconds.append(time.perf_counter() - began)
    test_clips = len(trainer.data.test_data)
    return {
        "clips_per_s": train_clips_per_s,
        "batch_size": args.batch_size,
        "first_step_s": marks[1] - started,
        "eval_clips_per_s": test_clips / eval_seconds[-1],
        "first_eval_s": eval_seconds[0],
        "timed_steps": steps,
        **trainer.speed_summary(),
    }


def projected_seconds(train_clips_per_s: float, eval_clips_per_s: float, startup_s: float) -> float:
    """Seconds for the report's 10 epochs (training + per-epoch evaluation + start-up)."""
    per_epoch = REPORT_TRAIN_CLIPS / train_clips_per_s + REPORT_TEST_CLIPS / eval_clips_per_s
    return startup_s + REPORT_EPOCHS * per_epoch


def make_store(args, root: Path) -> Path:
    from vidpose.synth.generate import generate_dataset

    train_clips = (args.warmup + args.steps + 1) * args.batch_size
    train_clips = max(train_clips, 2 * (args.warmup + args.reference_steps))
    generate_dataset(
        root / "data",
        preset="h36m",
        size=args.size,
        train_clips=train_clips,
        test_clips=max(16, min(256, train_clips // 4)),
        workers=max(1, min(16, os.cpu_count() or 1)),
    )
    return root / "data"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import timm
    import torch

    with tempfile.TemporaryDirectory(prefix="vidpose_throughput_") as temp:
        work = Path(temp)
        data_dir = args.data if args.data is not None else make_store(args, work)
        for split in ("train", "test"):
            if not (data_dir / split).is_dir():
                print(
                    f"train_throughput: error: {data_dir / split}: no such store", file=sys.stderr
                )
                return 2
        engine = run_engine(args, data_dir, work)
        peak = torch.cuda.max_memory_allocated() / 2**30 if args.device == "cuda" else None
        reference = None if args.skip_reference else run_reference(args, data_dir)
    result = {
        "device": args.device,
        "device_name": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "torch": torch.__version__,
        "timm": timm.__version__,
        "model": f"{args.backbone} + LSTM(256) + direct head",
        "input": f"{8} frames x {args.size}x{args.size}",
        "engine": engine,
        "reference": reference,
        "speedup": None if reference is None else engine["clips_per_s"] / reference["clips_per_s"],
        "peak_gpu_memory_gb": peak,
        "projected_report_workload_s": {
            "workload": f"{REPORT_TRAIN_CLIPS} clips x {REPORT_EPOCHS} epochs + evaluation",
            "engine": projected_seconds(
                engine["clips_per_s"], engine["eval_clips_per_s"], engine["first_step_s"]
            ),
            "reference": None
            if reference is None
            else projected_seconds(reference["clips_per_s"], engine["eval_clips_per_s"], 0.0),
        },
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
