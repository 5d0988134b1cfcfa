"""Training curves from fabricated metrics.csv files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from vidpose.engine.curves import (
    LOSS_FIGURE,
    METRICS_COLUMNS,
    MPJPE_FIGURE,
    build_figures,
    plot_run,
    read_metrics,
    smooth,
)
from vidpose.infra.errors import UserError


def write_metrics(run_dir: Path, epochs: int = 3, steps_per_epoch: int = 20, decay=0.05):
    """A plausible metrics.csv: loss falling by ``decay`` per step, with noise; returns rows."""
    rng = np.random.default_rng(0)
    run_dir.mkdir(parents=True, exist_ok=True)
    rows, step = [], 0
    for epoch in range(1, epochs + 1):
        losses = []
        for _ in range(steps_per_epoch):
            step += 1
            loss = (0.01 + np.exp(-decay * step)) * rng.lognormal(0, 0.3)
            losses.append(loss)
            rows.append(["step", epoch, step, "train", loss, 1000 * np.sqrt(loss), 1e-3, step])
        mean = float(np.mean(losses))
        rows.append(["epoch", epoch, step, "train", mean, 1000 * np.sqrt(mean), 1e-3, step])
        test = 0.02 + np.exp(-decay * step)
        rows.append(["epoch", epoch, step, "test", test, 1000 * np.sqrt(test), "", step])
    with open(run_dir / "metrics.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(METRICS_COLUMNS)
        writer.writerows(rows)
    return rows


def test_plot_run_writes_both_pngs_and_nothing_else(tmp_path):
    rows = write_metrics(tmp_path)
    paths = plot_run(tmp_path)
    assert [p.name for p in paths] == [LOSS_FIGURE, MPJPE_FIGURE]
    for path in paths:
        image = imread(path)
        assert image.shape[0] >= 600 and image.shape[1] >= 1000
        assert image[..., :3].std() > 0.05  # something was drawn
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["metrics.csv", LOSS_FIGURE, MPJPE_FIGURE]
    )
    assert len(rows) == 3 * 22


def test_read_metrics_splits_step_epoch_and_test_rows(tmp_path):
    write_metrics(tmp_path, epochs=2, steps_per_epoch=5)
    metrics = read_metrics(tmp_path / "metrics.csv")
    assert metrics.train_steps["loss"].steps.tolist() == list(range(1, 11))
    assert metrics.train_epochs["loss"].steps.tolist() == [5, 10]
    assert metrics.test_epochs["mpjpe_mm"].steps.tolist() == [5, 10]
    assert metrics.test_epochs["mpjpe_mm"].epochs.tolist() == [1, 2]
    np.testing.assert_allclose(
        metrics.test_epochs["mpjpe_mm"].values, 1000 * np.sqrt(metrics.test_epochs["loss"].values)
    )


def test_a_repeated_step_after_resume_keeps_the_row_written_last(tmp_path):
    write_metrics(tmp_path, epochs=1, steps_per_epoch=4)
    with open(tmp_path / "metrics.csv", "a", newline="") as handle:
        csv.writer(handle).writerow(["step", 1, 3, "train", 9.5, 97.0, 1e-3, 3])
    loss = read_metrics(tmp_path / "metrics.csv").train_steps["loss"]
    assert loss.steps.tolist() == [1, 2, 3, 4]
    assert loss.values[2] == 9.5


def test_smooth_is_an_unbiased_ema():
    assert smooth(np.full(50, 3.0), span=10) == pytest.approx(np.full(50, 3.0))
    noisy = np.random.default_rng(1).normal(5.0, 1.0, size=2000)
    smoothed = smooth(noisy, span=50)
    assert smoothed[0] == pytest.approx(
        noisy[0]
    )  # bias correction: no pull towards zero at the start
    assert smoothed[100:].std() < noisy.std() / 4
    assert smoothed[100:].mean() == pytest.approx(5.0, abs=0.1)


def _axes(run_dir: Path, filename: str):
    (ax,) = [a for a in build_figures(run_dir)[filename].axes if a.get_lines()]
    return ax


def test_figure_shows_raw_smoothed_epoch_and_test_curves(tmp_path):
    write_metrics(tmp_path, epochs=3, steps_per_epoch=20)
    ax = _axes(tmp_path, MPJPE_FIGURE)
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert labels[0] == "train, per step"
    assert labels[1].startswith("train, smoothed")
    assert labels[2:] == ["train, epoch mean", "test"]
    test_line = next(line for line in ax.get_lines() if line.get_label() == "test")
    assert test_line.get_xdata().tolist() == [20, 40, 60]  # at the step each epoch ended
    raw, smoothed = ax.get_lines()[0], ax.get_lines()[1]
    assert raw.get_alpha() < 0.5 and smoothed.get_alpha() in (None, 1.0)
    assert ax.get_legend() is not None and ax.get_xlabel()


def test_loss_spanning_decades_is_drawn_on_a_log_scale(tmp_path):
    falling, flat = tmp_path / "falling", tmp_path / "flat"
    write_metrics(falling, decay=0.2)  # loss falls about 100x
    write_metrics(flat, decay=0.0)
    assert _axes(falling, LOSS_FIGURE).get_yscale() == "log"
    assert _axes(flat, LOSS_FIGURE).get_yscale() == "linear"
    assert _axes(falling, MPJPE_FIGURE).get_yscale() == "linear"


def test_axis_labels_carry_units_from_the_run_config(tmp_path):
    write_metrics(tmp_path)
    (tmp_path / "config.yaml").write_text("train:\n  loss: mse\n  epochs: 3\n")
    assert _axes(tmp_path, LOSS_FIGURE).get_ylabel().startswith("MSE loss (m²)")
    assert _axes(tmp_path, MPJPE_FIGURE).get_ylabel() == "MPJPE (mm)"
    assert "step" in _axes(tmp_path, MPJPE_FIGURE).get_xlabel()


def test_a_run_with_only_training_rows_still_plots(tmp_path):
    write_metrics(tmp_path, epochs=1, steps_per_epoch=3)
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    (tmp_path / "metrics.csv").write_text("\n".join(l for l in lines if ",test," not in l) + "\n")
    assert all(p.is_file() for p in plot_run(tmp_path))


HEADER = ",".join(METRICS_COLUMNS)


@pytest.mark.parametrize(
    "content, problem",
    [
        (None, "missing"),
        ("", "empty file"),
        (HEADER + "\n", "holds no metric rows"),
        ("kind,step,loss\nstep,1,0.5\n", "missing columns epoch, split, mpjpe_mm"),
        (HEADER + "\nstep,1,1,train,abc,10,0.001,1\n", "line 2: loss 'abc' is not a number"),
        (HEADER + "\nstep,1,1,train,0.5\n", "line 2: expected 8 fields"),
        (HEADER + "\nbatch,1,1,train,0.5,10,0.001,1\n", "line 2: kind/split 'batch'/'train'"),
        (HEADER + "\nstep,1,,train,0.5,10,0.001,1\n", "step and epoch must be given"),
    ],
)
def test_bad_metrics_files_are_one_line_errors_and_write_nothing(tmp_path, content, problem):
    if content is not None:
        (tmp_path / "metrics.csv").write_text(content)
    with pytest.raises(UserError, match=problem) as info:
        plot_run(tmp_path)
    assert "\n" not in str(info.value)
    assert str(tmp_path / "metrics.csv") in str(info.value)
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".*"))


def test_missing_run_dir_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not a run folder"):
        plot_run(tmp_path / "nope")


def test_mpjpe_figure_shows_the_mean_pose_baseline_from_evaluation_json(tmp_path):
    write_metrics(tmp_path)
    report = {"headline": {"mpjpe_mm": {"baseline_frame_average": 987.5}}}
    (tmp_path / "evaluation.json").write_text(json.dumps(report))
    ax = _axes(tmp_path, MPJPE_FIGURE)
    (line,) = [l for l in ax.get_lines() if l.get_label() == "mean-pose baseline, test"]
    assert list(line.get_ydata()) == [987.5, 987.5]
    assert ax.get_ylim()[1] > 987.5  # zoomed to keep it in view
    assert not any("baseline" in l.get_label() for l in _axes(tmp_path, LOSS_FIGURE).get_lines())
