"""The run folder around the training loop: refusing to overwrite a run, and the extras
written beside ``metrics.csv`` and the checkpoints (TensorBoard, final predictions, the
evaluation report, the curves)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vidpose.atomic import atomic_path, write_json_atomic
from vidpose.errors import UserError
from vidpose.store import ClipStore

#: Files whose presence means a folder already holds a run.
RUN_FILES = ("config.yaml", "metrics.csv", "last.pt", "best.pt")


def check_run_dir(run_dir: Path, resume: bool) -> None:
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"{run_dir}: exists and is not a directory")
    if resume:
        if not (run_dir / "last.pt").is_file():
            raise UserError(f"{run_dir}: no run to resume (no last.pt there)")
    elif any((run_dir / name).exists() for name in RUN_FILES):
        raise UserError(
            f"{run_dir}: already holds a run (use --resume to continue it, or another --out)"
        )


def open_tensorboard(run_dir: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # TensorBoard is optional
        return None
    return SummaryWriter(log_dir=str(run_dir / "tensorboard"))


def write_evaluation(
    run_dir: Path, predictions: np.ndarray, train_store: ClipStore, test_store: ClipStore
) -> None:
    try:
        from vidpose.baselines import mean_training_pose
        from vidpose.evaluation import evaluate_predictions
    except ImportError:
        return
    mean_pose = mean_training_pose(train_store.poses3d)
    report = evaluate_predictions(
        predictions,
        test_store.poses3d,
        test_store.clips,
        mean_pose,
        baseline_source=str(train_store.path),
    )
    write_json_atomic(run_dir / "evaluation.json", report)


def plot_curves(run_dir: Path) -> None:
    try:
        from vidpose.plots import plot_run
    except ImportError:
        return
    plot_run(run_dir)


def write_predictions(run_dir: Path, predictions: np.ndarray) -> None:
    """``predictions_test.npy``: the final model's test poses (N, T, 17, 3) float32, metres."""
    with atomic_path(run_dir / "predictions_test.npy") as tmp, open(tmp, "wb") as out:
        np.save(out, predictions.astype(np.float32))
