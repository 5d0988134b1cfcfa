"""benchmarks/image_fit.py: the lifted and fitted scores of a small store."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from vidpose.sequences import open_sequences
from vidpose.video.lift import load_lifter

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "image_fit.py"


def test_the_fit_is_scored_beside_the_lifted_poses(pose_dataset):
    spec = importlib.util.spec_from_file_location("image_fit_benchmark", BENCHMARK)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    model, checkpoint, _ = load_lifter(None)
    store = open_sequences(pose_dataset / "test")
    rows = benchmark.score_source(model, checkpoint, store, "gt", [1.0, 1.5], every=2)
    assert [row["focal_scale"] for row in rows] == [1.0, 1.5]
    for row in rows:
        assert row["sequences"] == len(store.evaluation_indices("gt")[::2])
        assert row["fitted"]["p1_action"] > 0 and row["fit_frames_per_s"] > 0
    # Exact 2D through the true camera: the fit brings the 3D onto it, and closer to the truth.
    exact = rows[0]
    assert (
        exact["reprojection_median_pct"]["fitted"]
        < 0.5 * exact["reprojection_median_pct"]["lifted"]
    )
    assert exact["fitted"]["p1_action"] < exact["lifted"]["p1_action"]
    assert exact["fitted"]["p2_action"] < exact["lifted"]["p2_action"]
