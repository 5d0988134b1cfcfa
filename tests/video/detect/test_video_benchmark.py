"""benchmarks/video.py at a toy size: every stage runs and the JSON says what it measured."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).parents[3] / "benchmarks" / "video.py"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("video_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_video_benchmark_times_each_stage_against_decoding(benchmark, capsys, tmp_path):
    argv = ["--frames", "4", "--threads", "1", "--lift-frames", "300"]
    argv += ["--shared", str(tmp_path / "nothing-here")]
    assert benchmark.main([*argv, "--json", str(tmp_path / "o.json")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == json.loads((tmp_path / "o.json").read_text())
    assert (result["video"]["width"], result["video"]["height"]) == (1280, 720)
    assert result["video"]["frames"] == 4 and result["person_frames_detected"] == 4
    assert result["models"]["stand_in"] and "NOT RTMDet" in result["models"]["note"]
    stages = result["stages"]
    for name in ("decode", "detect", "pose2d", "track", "render", "lift", "image_fit"):
        assert stages[name]["fps"] > 0, name
    # The fit is timed on frames it really fits, every one of them.
    assert stages["image_fit"]["frames_fitted"] == stages["image_fit"]["frames"] > 0
    assert stages["lift"]["frames"] >= 300 and stages["lift"]["model"].startswith("shipped:")
    assert result["lift_ratio_to_target"] == round(stages["lift"]["fps"] / 1000.0, 3)
    ratio = stages["detect"]["fps"] / stages["decode"]["fps"]
    assert abs(result["ratio_to_decode"]["detect"] - ratio) < 1e-3
    assert result["end_to_end"]["fps"] > 0
    assert "not found" in result["real_clip"]["skipped"]


def test_identity_switches_count_split_people_and_merged_tracks(benchmark):
    truth = {"a": ((0, 9),), "b": ((10, 19),)}
    one_each = [{"id": 0, "frames": list(range(10))}, {"id": 1, "frames": list(range(10, 20))}]
    assert benchmark.identity_switches(one_each, truth) == 0
    a_split = [{"id": 0, "frames": [0, 1, 2]}, {"id": 1, "frames": list(range(3, 20))}]
    assert benchmark.identity_switches(a_split, truth) == 2  # a in two tracks; track 1 has a, b


def test_the_real_clip_figures(benchmark, sports2d):
    """On the shared Sports2D clip: two people, no identity switch, the main person (the
    runner) known in every frame his keypoints were found in, nothing held."""
    result = benchmark.real_clip((sports2d["video"], sports2d["keypoints"]))
    assert result["people_tracked"] == 2 and result["identity_switches"] == 0
    main = result["main_person"]
    assert main["known_of_detected"] == 1.0 and main["frames_known"] == 191
    assert main["frames_held"] == 0 and main["frames_not_lifted"] == 39
    assert 0 < main["reprojection"]["median"] < main["readme_measure_mean"] < 0.2
