"""A run whose loss became NaN or inf stops with one error that says where it diverged, which
checkpoint is still good, and what to try. Every save comes after the numbers are read back and
checked, so the checkpoint it names never holds diverged weights."""

from __future__ import annotations

from pathlib import Path

from vidpose.infra.errors import UserError


class TrainingDiverged(UserError):
    """The loss became NaN or inf; the run stopped and kept its last good checkpoint."""


def training_diverged(
    run_dir: Path, completed_epochs: int, loss: float, epoch: int, step: int
) -> TrainingDiverged:
    """The error for a non-finite ``loss`` at ``epoch`` and ``step`` (both 1-based)."""
    last = run_dir / "last.pt"
    kept = (
        f"the last good checkpoint is {last} (after epoch {completed_epochs})"
        if last.is_file()
        else "no checkpoint was saved yet"
    )
    return TrainingDiverged(
        f"training diverged: loss is {loss} at epoch {epoch}, step {step}; "
        f"stopped, {kept}; try a lower optim.lr"
    )
