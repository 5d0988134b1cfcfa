"""Training curves of a run folder: the course report's Figure 2a (loss) and 2b (MPJPE) vs step.

:func:`plot_run` reads ``RUN_DIR/metrics.csv`` (written by the trainer, one row per training
step and per epoch, see :data:`METRICS_COLUMNS`) and writes ``curves_loss.png`` and
``curves_mpjpe.png`` beside it. Each figure shows the per-step training curve raw (faint) and
smoothed, the per-epoch training mean, and the per-epoch test value at the step where its epoch
ended. Figures are drawn with matplotlib's object API, so no display or pyplot state is touched.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.infra.atomic import atomic_path, user_error_on_write
from vidpose.infra.errors import UserError, read_utf8

METRICS_COLUMNS = ("kind", "epoch", "step", "split", "loss", "mpjpe_mm", "lr", "elapsed_s")
#: The columns the curves need (``lr`` and ``elapsed_s`` are optional here).
REQUIRED_COLUMNS = METRICS_COLUMNS[:6]
LOSS_FIGURE = "curves_loss.png"
MPJPE_FIGURE = "curves_mpjpe.png"

#: Units of the training loss by ``train.loss`` name (the loss is computed in metres).
LOSS_UNITS = {"mse": "m²", "l1": "m", "mpjpe": "m", "smooth_l1": "m"}

TRAIN_COLOR = "#1f77b4"
TEST_COLOR = "#d62728"


@dataclass
class Series:
    """One curve: x = optimizer step, y = value; ``epochs`` labels per-epoch points."""

    steps: np.ndarray
    values: np.ndarray
    epochs: np.ndarray | None = None


@dataclass
class RunMetrics:
    """The curves in metrics.csv, per quantity (``loss``, ``mpjpe_mm``), sorted by step."""

    train_steps: dict[str, Series]
    train_epochs: dict[str, Series]
    test_epochs: dict[str, Series]


def _number(text: str, path: Path, line: int, column: str) -> float:
    """A float from a CSV cell; an empty cell is NaN (not logged)."""
    text = (text or "").strip()
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise UserError(f"{path}: line {line}: {column} {text!r} is not a number") from None


def read_metrics(path: str | os.PathLike) -> RunMetrics:
    """Parse a run's metrics.csv; a missing, empty or malformed file is a :class:`UserError`.

    Rows of a resumed run may repeat a step; the row written last wins.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: missing (not a run folder, or training wrote no metrics yet)")
    try:
        with io.StringIO(read_utf8(path), newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if not header:
                raise UserError(f"{path}: empty file (no header)")
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise UserError(
                    f"{path}: missing columns {', '.join(missing)}; "
                    f"expected {','.join(METRICS_COLUMNS)}"
                )
            rows = {}
            for line, row in enumerate(reader, start=2):
                if None in row or any(row[c] is None for c in header):
                    raise UserError(f"{path}: line {line}: expected {len(header)} fields")
                kind, split = row["kind"].strip(), row["split"].strip()
                if (kind, split) not in {("step", "train"), ("epoch", "train"), ("epoch", "test")}:
                    raise UserError(
                        f"{path}: line {line}: kind/split {kind!r}/{split!r} is not one of "
                        "step/train, epoch/train, epoch/test"
                    )
                step = _number(row["step"], path, line, "step")
                epoch = _number(row["epoch"], path, line, "epoch")
                if not (math.isfinite(step) and math.isfinite(epoch)):
                    raise UserError(f"{path}: line {line}: step and epoch must be given")
                values = {c: _number(row[c], path, line, c) for c in ("loss", "mpjpe_mm")}
                rows[(kind, split, step)] = (epoch, values)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{path}: not a readable CSV file ({exc})") from None
    if not rows:
        raise UserError(f"{path}: holds no metric rows")

    def series(kind: str, split: str, quantity: str) -> Series:
        picked = sorted(
            (step, epoch, values[quantity])
            for (k, s, step), (epoch, values) in rows.items()
            if (k, s) == (kind, split) and math.isfinite(values[quantity])
        )
        array = np.asarray(picked, dtype=np.float64).reshape(-1, 3)
        return Series(steps=array[:, 0], values=array[:, 2], epochs=array[:, 1].astype(int))

    quantities = ("loss", "mpjpe_mm")
    return RunMetrics(
        train_steps={q: series("step", "train", q) for q in quantities},
        train_epochs={q: series("epoch", "train", q) for q in quantities},
        test_epochs={q: series("epoch", "test", q) for q in quantities},
    )


def smooth(values: np.ndarray, span: float) -> np.ndarray:
    """Exponential moving average with weight ``2 / (span + 1)``, bias-corrected at the start.

    Bias correction (as in Adam) keeps the first points from being pulled towards zero.
    """
    values = np.asarray(values, dtype=np.float64)
    alpha = 2.0 / (span + 1.0)
    out = np.empty_like(values)
    average = 0.0
    for i, value in enumerate(values):
        average = alpha * value + (1.0 - alpha) * average
        out[i] = average / (1.0 - (1.0 - alpha) ** (i + 1))
    return out


def smoothing_span(num_steps: int) -> int:
    """Steps in the EMA window: about 1/20 of the run (at most 1000), so any run shows its
    trend."""
    return int(min(1000, max(1, round(num_steps / 20))))


def _loss_label(run_dir: Path) -> str:
    """'MSE loss (m²)' from the run's config.yaml when it names the loss, else 'loss'."""
    name = None
    try:
        import yaml

        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        name = config["train"]["loss"]
    except Exception:  # noqa: BLE001 - a missing or odd config only costs the label its unit
        name = None
    if not isinstance(name, str):
        return "loss"
    unit = LOSS_UNITS.get(name)
    label = f"{name.upper() if len(name) <= 5 else name} loss"
    return f"{label} ({unit})" if unit else label


def _mean_pose_baseline_mm(run_dir: Path) -> float | None:
    """The mean-pose baseline's test MPJPE from the run's evaluation.json, when there is one."""
    try:
        report = json.loads((run_dir / "evaluation.json").read_text())
        value = report["headline"]["mpjpe_mm"]["baseline_frame_average"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _epoch_axis(ax: Any, metrics: RunMetrics) -> None:
    """Epoch numbers along the top, at the step where each epoch ended (when few enough)."""
    ends = metrics.test_epochs["mpjpe_mm"]
    if len(ends.steps) == 0:
        ends = metrics.train_epochs["loss"]
    if not 0 < len(ends.steps) <= 30:
        return
    top = ax.secondary_xaxis("top")
    top.set_xticks(ends.steps, labels=[str(e) for e in ends.epochs])
    top.set_xlabel("end of epoch")
    top.tick_params(labelsize=8)
    for step in ends.steps:
        ax.axvline(step, color="0.85", linewidth=0.6, zorder=0)


def _mid_epoch_steps(end_steps: np.ndarray) -> np.ndarray:
    """Middle of each epoch from the steps where epochs ended (the first starts at step 0)."""
    starts = np.concatenate([[0.0], end_steps[:-1]])
    return (starts + end_steps) / 2.0


def _spans_decades(*arrays: np.ndarray) -> bool:
    values = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in arrays])
    return values.size > 1 and values.max() / values.min() >= 30.0


def _zoom_to_curves(
    ax: Any, train: Series, others: list[np.ndarray], baseline: float | None
) -> None:
    """Linear y-limits around the curves, ignoring the rare raw spikes (2nd-98th percentile),
    so a few huge early steps do not flatten everything after them."""
    shown = [np.asarray(v, dtype=np.float64) for v in others if len(v)]
    if len(train.values):
        shown.append(smooth(train.values, smoothing_span(len(train.values))))
        shown.append(np.percentile(train.values, [2, 98]))
    if baseline is not None:
        shown.append(np.asarray([baseline]))
    if not shown:
        return
    low = min(float(v.min()) for v in shown)
    high = max(float(v.max()) for v in shown)
    pad = 0.08 * (high - low) if high > low else 0.1 * abs(high) + 1e-9
    bottom = low - pad
    if low >= 0:
        bottom = max(0.0, bottom)  # errors and losses are never negative
    ax.set_ylim(bottom, high + pad)


def _draw(
    ax: Any, metrics: RunMetrics, quantity: str, log_scale: bool, baseline: float | None = None
) -> None:
    """The curves of ``quantity`` on ``ax``; ``baseline`` draws a dashed mean-pose line."""
    train = metrics.train_steps[quantity]
    train_epoch = metrics.train_epochs[quantity]
    test = metrics.test_epochs[quantity]
    if len(train.steps):
        span = smoothing_span(len(train.steps))
        ax.plot(
            train.steps, train.values, color=TRAIN_COLOR, alpha=0.2, lw=0.6, label="train, per step"
        )
        label = "train, smoothed" + (f" (EMA over {span} steps)" if span > 1 else "")
        ax.plot(train.steps, smooth(train.values, span), color=TRAIN_COLOR, lw=1.8, label=label)
    if len(train_epoch.steps):
        # An epoch mean describes the whole epoch, so it sits mid-epoch, not at its end.
        ax.plot(
            _mid_epoch_steps(train_epoch.steps),
            train_epoch.values,
            ls="none",
            marker="s",
            ms=5,
            mfc="white",
            mec=TRAIN_COLOR,
            mew=1.3,
            label="train, epoch mean",
        )
    if len(test.steps):
        ax.plot(test.steps, test.values, color=TEST_COLOR, lw=1.6, marker="o", ms=5, label="test")
    if baseline is not None:
        ax.axhline(baseline, color="0.3", ls="--", lw=1.2, label="mean-pose baseline, test")
    if log_scale:
        ax.set_yscale("log")
    else:
        _zoom_to_curves(ax, train, [train_epoch.values, test.values], baseline)
    ax.set_xlabel("training step (optimizer updates)")
    ax.grid(True, axis="y", which="major", alpha=0.3)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    _epoch_axis(ax, metrics)


def build_figures(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The two curve figures of ``run_dir``, by file name (matplotlib ``Figure`` objects).

    Raises :class:`UserError` for a missing folder or a missing, empty or malformed
    metrics.csv.
    """
    from matplotlib.figure import Figure

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: not a run folder (does not exist)")
    metrics = read_metrics(run_dir / "metrics.csv")
    name = run_dir.resolve().name
    loss_values = [metrics.train_steps["loss"].values, metrics.test_epochs["loss"].values]
    specs = [
        (
            LOSS_FIGURE,
            "loss",
            _loss_label(run_dir),
            f"Loss vs step — run '{name}'",
            _spans_decades(*loss_values),
        ),
        (MPJPE_FIGURE, "mpjpe_mm", "MPJPE (mm)", f"MPJPE vs step — run '{name}'", False),
    ]
    baselines = {"mpjpe_mm": _mean_pose_baseline_mm(run_dir)}
    figures = {}
    for filename, quantity, ylabel, title, log_scale in specs:
        fig = Figure(figsize=(8, 4.8), layout="constrained")
        ax = fig.add_subplot()
        _draw(ax, metrics, quantity, log_scale, baselines.get(quantity))
        ax.set_ylabel(ylabel + (", log scale" if log_scale else ""))
        ax.set_title(title)
        figures[filename] = fig
    return figures


def plot_run(run_dir: str | os.PathLike) -> list[Path]:
    """Write ``curves_loss.png`` and ``curves_mpjpe.png`` into ``run_dir`` from metrics.csv.

    Returns the two paths. Raises :class:`UserError` for a missing folder or a missing, empty
    or malformed metrics.csv (nothing is written then). Each file is replaced atomically.
    """
    paths = []
    for filename, fig in build_figures(run_dir).items():
        path = Path(run_dir) / filename
        with user_error_on_write(path), atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=150)
        paths.append(path)
    return paths
