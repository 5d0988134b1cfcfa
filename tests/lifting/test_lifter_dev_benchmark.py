"""benchmarks/lifter_dev.py: the projection check in closed form, and the store scores."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from vidpose.sequences import open_sequences
from vidpose.video.lift import load_lifter

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "lifter_dev.py"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("lifter_dev", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_scaled_and_shifted_pose_projects_exactly(benchmark):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(4, 12, 3))
    keypoints = 250.0 * points[..., :2] + [[[400.0, 300.0]]]
    np.testing.assert_allclose(benchmark.projection_error(points, keypoints), 0.0, atol=1e-9)
    moved = keypoints.copy()
    moved[:, :, 0] += np.where(np.arange(12) % 2 == 0, 3.0, -3.0)  # ±3 px, mean zero per frame
    error = benchmark.projection_error(points, moved)
    assert np.all(error <= 3.0 + 1e-9) and np.all(error > 0)


def test_store_scores_raw_and_with_bones(benchmark, pose_dataset):
    model, checkpoint, _ = load_lifter(None)
    store = open_sequences(pose_dataset / "test")
    scores = benchmark.store_scores(model, store, "gt", flip_test=False, batch_size=8)
    assert set(scores) == {"raw", "bones"}
    for kind in scores.values():
        assert kind["p1_action"] > 0 and kind["p2_frame"] <= kind["p1_frame"]
        assert set(kind["per_action"]) == {"Directions", "Walking"}
