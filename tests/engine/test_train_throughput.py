"""benchmarks/train_throughput.py at a toy size: both loops run and the JSON adds up."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "train_throughput.py"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("train_throughput", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_runs_both_loops_on_cpu(benchmark, tiny_data, capsys, tmp_path):
    argv = ["--data", str(tiny_data), "--device", "cpu", "--backbone", "tinycnn", "--size", "32"]
    argv += ["--batch-size", "2", "--warmup", "1", "--steps", "9", "--workers", "1"]
    assert benchmark.main([*argv, "--json", str(tmp_path / "out.json")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == json.loads((tmp_path / "out.json").read_text())
    engine, reference = result["engine"], result["reference"]
    assert engine["precision"] == "fp32" and engine["data_path_train"] == "direct"
    assert not engine["compile"] and engine["batch_size"] == 2 and engine["first_step_s"] > 0
    assert engine["timed_steps"] == 3  # 10 clips, batch 2: 5 steps, 1 warm-up, the last kept out
    assert reference["batch_size"] == 2 and reference["loader_workers"] == 1
    for value in (engine["clips_per_s"], reference["clips_per_s"], engine["eval_clips_per_s"]):
        assert value > 0
    assert result["speedup"] == pytest.approx(engine["clips_per_s"] / reference["clips_per_s"])
    projected = result["projected_report_workload_s"]
    train_s = 5964 * 10 / engine["clips_per_s"]
    assert train_s < projected["engine"] < train_s + 1368 * 10 / engine["eval_clips_per_s"] + 1e3
    assert result["peak_gpu_memory_gb"] is None and result["device_name"] == "cpu"


def test_benchmark_needs_a_full_step_after_the_warm_up(benchmark, tiny_data):
    argv = ["--data", str(tiny_data), "--device", "cpu", "--backbone", "tinycnn", "--size", "32"]
    with pytest.raises(SystemExit, match="leaves no full step to time in an epoch of 5 steps"):
        benchmark.main([*argv, "--batch-size", "2", "--warmup", "4"])
