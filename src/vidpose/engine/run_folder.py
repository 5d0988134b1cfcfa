"""The run folder around the training loop: refusing to overwrite a run (and taking over the
folder of one that never reached a checkpoint), and the extras
written beside ``metrics.csv`` and the checkpoints (TensorBoard, final predictions, the
evaluation report, the curves)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.infra.atomic import atomic_path, remove_path, user_error_on_write, write_json_atomic
from vidpose.infra.errors import UserError

#: What a run saves that it can be continued from. A folder with neither holds at most the
#: leftovers of a run stopped before its first checkpoint: nothing to resume, nothing to keep.
CHECKPOINTS = ("last.pt", "best.pt")
#: Written from a run's first step on (config.yaml too, but a new run rewrites that whole);
#: removed when a new run takes over the folder, so the new logs do not continue the old ones.
EARLY_LOGS = ("metrics.csv", "tensorboard")


def check_run_dir(run_dir: Path, resume: bool) -> None:
    """Refuse a run folder that cannot be used: ``--resume`` without ``last.pt``, or a new run
    where a run with a checkpoint is. A folder whose run stopped before its first checkpoint
    (``config.yaml``, ``metrics.csv`` but no ``last.pt``: killed, or out of memory, in its
    first epoch) is taken over by a new run: its early logs are removed, with a note."""
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"{run_dir}: exists and is not a directory")
    started = (run_dir / "config.yaml").is_file()
    if resume:
        if (run_dir / "last.pt").is_file():
            return
        if started:
            raise UserError(
                f"{run_dir}: nothing to resume: its run stopped before its first checkpoint "
                "(no last.pt); train without --resume to start it again in this folder"
            )
        raise UserError(f"{run_dir}: no run to resume (no last.pt there)")
    if any((run_dir / name).exists() for name in CHECKPOINTS):
        raise UserError(
            f"{run_dir}: already holds a run (use --resume to continue it, or another --out)"
        )
    if started:
        _remove_early_logs(run_dir)


def _remove_early_logs(run_dir: Path) -> None:
    """Remove the logs of a run that never saved a checkpoint, saying so once (each process
    of a torchrun job calls this; only the one that removes something prints)."""
    removed = []
    for name in EARLY_LOGS:
        path = run_dir / name
        if not os.path.lexists(path):
            continue
        if path.is_dir() and not path.is_symlink():
            name += "/"
        if remove_path(path):
            removed.append(name)
    if removed:
        print(
            f"vidpose train: note: {run_dir} held a run stopped before its first checkpoint; "
            f"starting afresh there (removed its {' and '.join(removed)})",
            file=sys.stderr,
        )


def open_tensorboard(run_dir: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # TensorBoard is optional
        return None
    return SummaryWriter(log_dir=str(run_dir / "tensorboard"))


def write_evaluation(run_dir: Path, report: dict, context: dict) -> None:
    """``evaluation.json``: the final report, with ``context`` saying which checkpoint and
    predictions it scores (``vidpose evaluate --json`` writes the same fields)."""
    with user_error_on_write(run_dir / "evaluation.json"):  # a full disk: one line
        write_json_atomic(run_dir / "evaluation.json", {**report, "context": context})


def plot_curves(run_dir: Path) -> None:
    try:
        from vidpose.engine.curves import plot_run
    except ImportError:
        return
    plot_run(run_dir)


def write_predictions(run_dir: Path, predictions: np.ndarray) -> None:
    """``predictions_test.npy``: the final model's (``last.pt``'s) test poses, float32 metres
    ((N, T, 17, 3) clips, or the lifter's frames); the trainer's ``evaluation.json`` scores
    the same poses and says so in its ``context``."""
    path = run_dir / "predictions_test.npy"
    with user_error_on_write(path), atomic_path(path) as tmp, open(tmp, "wb") as out:
        np.save(out, predictions.astype(np.float32))
