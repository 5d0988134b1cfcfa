"""benchmarks/lifting.py runs end to end on a tiny store and prints one JSON object."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "lifting.py"


def test_benchmark_prints_both_models_beside_the_mean_pose(pose_dataset, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("lifting_benchmark", BENCHMARK)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    out = tmp_path / "out.json"
    argv = ["--data", str(pose_dataset), "--train-frames", "400", "--json", str(out)]
    argv += ["--set", "train.batch_size=16", "--set", "model.hidden_size=16"]
    assert benchmark.main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert set(printed["models"]) == {"default", "mlp"}
    assert printed["models"]["mlp"]["model"]["lifter"] == "mlp"
    for result in printed["models"].values():
        assert result["train_samples_per_s"] > 0 and result["inference_frames_per_s"] > 0
        assert set(result["metrics_mm"]) == {"mpjpe_mm", "p_mpjpe_mm", "n_mpjpe_mm", "mpjve_mm"}
    assert printed["mean_pose_mm"]["mpjpe_mm"]["action_average"] > 0
    assert printed["default_s_per_100k_train_frames"] > 0
