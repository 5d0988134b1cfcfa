"""The run folder's ``metrics.csv``: one row per training step and two per epoch.

Columns ``kind,epoch,step,split,loss,mpjpe_mm,lr,elapsed_s``: ``kind`` is ``step`` (split
``train``, that step's batch) or ``epoch`` (split ``train``: the epoch's average over its
clips; split ``test``: the whole test store). ``epoch`` counts from 1, ``step`` is the global
step count after the row's step (for epoch rows, at the end of the epoch), ``loss`` is in m²
(eq. 1), ``elapsed_s`` the training wall time so far.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from vidpose.infra.atomic import user_error_on_write, write_text_atomic

COLUMNS = ("kind", "epoch", "step", "split", "loss", "mpjpe_mm", "lr", "elapsed_s")


class MetricsLog:
    """Appends rows to ``metrics.csv``, flushing each so a crash loses nothing logged."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.exists():
            write_text_atomic(self.path, ",".join(COLUMNS) + "\n")
        self._handle = open(self.path, "a", newline="")  # noqa: SIM115 - held for the run
        self._writer = csv.writer(self._handle, lineterminator="\n")

    def write(
        self,
        kind: str,
        epoch: int,
        step: int,
        split: str,
        loss: float,
        mpjpe_mm: float,
        lr: float,
        elapsed_s: float,
    ) -> None:
        row = [kind, epoch, step, split, f"{loss:.6g}", f"{mpjpe_mm:.3f}", f"{lr:.6g}"]
        with user_error_on_write(self.path):  # a full disk
            self._writer.writerow([*row, f"{elapsed_s:.2f}"])
            self._handle.flush()

    def close(self) -> None:
        with user_error_on_write(self.path):
            self._handle.close()


def truncate_metrics(path: str | os.PathLike, step: int, completed_epochs: int) -> None:
    """Drop rows logged after a checkpoint (a run killed without saving logs ahead of it):
    keep step rows up to global ``step`` and epoch rows of the first ``completed_epochs``."""
    path = Path(path)
    if not path.exists():
        return
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    kept = [rows[0]] if rows else [list(COLUMNS)]
    for row in rows[1:]:
        if len(row) != len(COLUMNS):
            continue
        kind, epoch, row_step = row[0], int(row[1]), int(row[2])
        if (kind == "step" and row_step <= step) or (kind == "epoch" and epoch <= completed_epochs):
            kept.append(row)
    write_text_atomic(path, "".join(",".join(row) + "\n" for row in kept))
