"""``vidpose train``: train a model on DATA/train, test every epoch on DATA/test.

The stores tell the track (vidpose.tracks): clip stores train image models, pose-sequence
stores lifters; the config must be of the same track."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ORDER = 40

EPILOG = """\
examples:
  vidpose train --config configs/cpu.yaml --data data/demo --out runs/demo
  vidpose train --config configs/seed.yaml --data data/synth --out runs/seed --set optim.lr=5e-4
  vidpose train --config configs/lift_tcn27.yaml --data data/poses --out runs/lift
  vidpose train --data data/demo --out runs/demo --resume          # continue exactly
  torchrun --standalone --nproc_per_node=2 -m vidpose train --config ... --data ... --out ...
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model on DATA/train and test it on DATA/test every epoch",
        description=(
            "Train a pose model on DATA/train, testing on DATA/test after every epoch.\n"
            "Writes RUN_DIR/config.yaml, metrics.csv, last.pt, best.pt (best test MPJPE),\n"
            "predictions_test.npy, evaluation.json and the curves. Ctrl-C saves last.pt;\n"
            "--resume continues exactly where the run stopped."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", type=Path, help="run config YAML (default on --resume: the run's config.yaml)"
    )
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="folder holding the train/ and test/ stores: clip stores for an image model, "
        "pose-sequence stores for a lifter",
    )
    parser.add_argument("--out", type=Path, required=True, help="run folder to write")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. optim.lr=5e-4 (repeatable; VALUE is read as YAML)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last.pt"
    )
    parser.add_argument(
        "--device", help="auto, cpu, cuda or cuda:N (default auto: cuda when available)"
    )
    parser.add_argument(
        "--stop-after-steps",
        type=int,
        default=0,
        metavar="N",
        help="debugging: stop after N steps in all, saving last.pt for --resume",
    )
    parser.set_defaults(run=run)


def plural(count: int, noun: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def run(args: argparse.Namespace) -> int:
    from vidpose.infra.atomic import check_writable
    from vidpose.infra.errors import UserError
    from vidpose.runs.run_config import load_config
    from vidpose.tracks import config_track, require_same_track, store_track

    config_path = args.config
    if config_path is None:
        if not args.resume:
            raise UserError("--config is required (except with --resume)")
        config_path = args.out / "config.yaml"
        if not config_path.is_file():
            raise UserError(f"{args.out}: no run to resume (no config.yaml there)")
    if args.stop_after_steps < 0:
        raise UserError(
            f"--stop-after-steps: expected an integer >= 0, got {args.stop_after_steps}"
        )
    config = load_config(config_path, args.overrides)
    track = store_track(args.data / "train")
    require_same_track(config_track(config), track, config_path, args.data / "train")
    check_writable(args.out, "--out", into=True)
    result = track.train(
        config,
        args.data,
        args.out,
        resume=args.resume,
        device=args.device,
        stop_after_steps=args.stop_after_steps,
    )
    if result.status == "interrupted":
        print(
            f"vidpose train: interrupted at step {result.step}; saved {result.run_dir / 'last.pt'} "
            f"(continue with --resume)",
            file=sys.stderr,
        )
        return 130
    if result.status == "stopped":
        print(f"stopped after step {result.step}; continue with --resume", file=sys.stderr)
        return 0
    if result.test_mpjpe_mm is not None and result.is_main:  # once, not once per process
        print(
            f"done: {plural(result.epochs_done, 'epoch')}, {plural(result.step, 'step')}; "
            f"test MPJPE {result.test_mpjpe_mm:.1f} mm (best {result.best_mpjpe_mm:.1f} mm, "
            f"best.pt); predictions_test.npy from last.pt; run folder {result.run_dir}"
        )
    return 0
