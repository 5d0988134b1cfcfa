"""benchmarks/video.py at a toy size: every stage runs and the JSON says what it measured."""

import importlib.util
import json
from pathlib import Path

BENCHMARK = Path(__file__).parents[3] / "benchmarks" / "video.py"


def test_the_video_benchmark_times_each_stage_against_decoding(capsys, tmp_path):
    spec = importlib.util.spec_from_file_location("video_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = ["--frames", "4", "--threads", "1", "--lift-frames", "300"]
    assert module.main([*argv, "--json", str(tmp_path / "o.json")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == json.loads((tmp_path / "o.json").read_text())
    assert (result["video"]["width"], result["video"]["height"]) == (1280, 720)
    assert result["video"]["frames"] == 4 and result["person_frames_detected"] == 4
    assert result["models"]["stand_in"] and "NOT RTMDet" in result["models"]["note"]
    stages = result["stages"]
    for name in ("decode", "detect", "pose2d", "track", "render", "lift"):
        assert stages[name]["fps"] > 0, name
    assert stages["lift"]["frames"] >= 300 and stages["lift"]["model"].startswith("shipped:")
    assert result["lift_ratio_to_target"] == round(stages["lift"]["fps"] / 1000.0, 3)
    ratio = stages["detect"]["fps"] / stages["decode"]["fps"]
    assert abs(result["ratio_to_decode"]["detect"] - ratio) < 1e-3
    assert result["end_to_end"]["fps"] > 0
