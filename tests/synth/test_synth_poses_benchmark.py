"""benchmarks/synth_poses.py at a toy size: it runs and its JSON adds up."""

import importlib.util
import json
from pathlib import Path

import pytest

from vidpose.synth.motion import takes_per_action

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "synth_poses.py"


def test_benchmark_prints_one_consistent_json_object(capsys, tmp_path):
    spec = importlib.util.spec_from_file_location("synth_poses", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = ["--preset", "tiny", "--views", "2", "--repeats", "1", "--json", str(tmp_path / "o")]
    assert module.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == json.loads((tmp_path / "o").read_text())
    takes = sum(takes_per_action(1).values())  # per subject, in the mix
    assert result["frames"] == 7 * takes * 100 * 2  # 7 subjects, 2 s at 50 fps, 2 views
    synth, motions = result["synth"], result["baseline_motions"]
    assert synth["frames_per_s"] == pytest.approx(result["frames"] / synth["seconds"])
    assert result["ratio_synth_to_motions"] == pytest.approx(synth["seconds"] / motions["seconds"])
    assert result["ratio_synth_to_write"] > 0
    assert result["meets_target"] == (synth["frames_per_s"] >= 100_000)
