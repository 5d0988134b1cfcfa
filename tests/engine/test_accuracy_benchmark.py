"""benchmarks/accuracy.py end to end at a toy size."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "accuracy.py"


def _load():
    spec = importlib.util.spec_from_file_location("accuracy_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_benchmark_trains_both_recipes_and_reports_the_table(tiny_data, tmp_path, capsys):
    accuracy = _load()
    out = tmp_path / "accuracy.json"
    argv = ["--data", str(tiny_data), "--image-size", "16", "--epochs", "1", "--device", "cpu"]
    argv += ["--train-clips", "6", "--test-clips", "5", "--json", str(out)]
    argv += ["--set", "train.batch_size=3", "--set", "eval.batch_size=4"]
    argv += ["--set", "data.clip_frames=4"]  # the tiny stores hold 4-frame clips
    argv += ["--ablate", "--only", "report (seed.yaml)", "default", "default, no flip test"]
    argv += ["--set", "model.hidden_size=8", "--set", "model.feature_dim=8"]
    assert accuracy.main(argv) == 0
    result = json.loads(out.read_text())
    assert result["protocol"] == {
        "data": str(tiny_data),
        "image_size": 16,
        "stored_size": 16,
        "epochs": 1,
        "train_clips": 6,
        "test_clips": 5,
        "device": "cpu",
    }
    rows = result["results"]
    assert list(rows) == [
        "mean pose (baseline)",
        "report (seed.yaml)",
        "default",
        "default, no flip test",
    ]
    # A test-time-only ablation re-evaluates the default's weights instead of retraining.
    assert rows["default, no flip test"]["train_s"] is None
    assert rows["default, no flip test"]["p1_mm"] != rows["default"]["p1_mm"]
    for row in rows.values():
        assert row.get("image_size") in (None, 16)  # None: the mean pose, no model
        assert row["p1_mm"] > 0 and row["p2_mm"] > 0 and row["mpjve_mm"] > 0
        assert row["p2_mm"] <= row["p1_mm"] + 1e-6  # alignment can only help
    # Trained rows carry a time (rounded to 0.1 s, so a toy run on an idle machine may show 0.0).
    for name in ("default", "report (seed.yaml)"):
        assert rows[name]["train_s"] is not None and rows[name]["train_s"] >= 0
    # One run per recipe: the ratio of that pair, printed and in the JSON.
    percent = 100 * rows["default"]["p1_mm"] / rows["report (seed.yaml)"]["p1_mm"]
    assert result["default_over_report_p1_percent"] == {"run": pytest.approx(percent)}
    printed = capsys.readouterr().out
    assert "| default " in printed and "| report (seed.yaml) " in printed
    assert f"default P1 / report P1 (run): {percent:.1f} %" in printed


def test_every_ablation_is_a_valid_config():
    from vidpose.runs.run_config import load_config

    accuracy = _load()
    for name, overrides in accuracy.ABLATIONS.items():
        config = load_config(SCRIPT.parents[1] / "configs" / "default.yaml", overrides)
        assert config != load_config(SCRIPT.parents[1] / "configs" / "default.yaml"), name


@pytest.mark.slow
def test_without_image_size_each_recipe_keeps_its_own_capped_at_the_stores(tiny_data, tmp_path):
    """The report's 224 px is capped at the stored 24 px; a recipe asking for less keeps it."""
    import yaml

    accuracy = _load()
    recipe = yaml.safe_load((SCRIPT.parents[1] / "configs" / "default.yaml").read_text())
    recipe["data"]["image_size"] = 16
    default = tmp_path / "default16.yaml"
    default.write_text(yaml.safe_dump(recipe))
    out = tmp_path / "accuracy.json"
    argv = ["--data", str(tiny_data), "--epochs", "1", "--device", "cpu", "--json", str(out)]
    argv += ["--set", "train.batch_size=3", "--set", "eval.batch_size=4"]
    argv += ["--set", "data.clip_frames=4", "--set", "model.hidden_size=8"]
    argv += ["--set", "model.feature_dim=8", "--only", "report (seed.yaml)", "default"]
    argv += ["--default-config", str(default)]
    assert accuracy.main(argv) == 0
    result = json.loads(out.read_text())
    assert result["protocol"]["stored_size"] == 24
    assert result["results"]["report (seed.yaml)"]["image_size"] == 24
    assert result["results"]["default"]["image_size"] == 16


@pytest.mark.slow
def test_resume_continues_an_interrupted_run_to_the_same_result(tiny_data, tmp_path, monkeypatch):
    """A benchmark stopped mid-run and started again with --resume ends where an uninterrupted
    one does (resuming is exact), instead of refusing the run folder or starting over."""
    import vidpose.tracks as tracks
    from vidpose.infra.errors import UserError

    accuracy = _load()
    argv = ["--data", str(tiny_data), "--epochs", "2", "--device", "cpu", "--image-size", "16"]
    argv += ["--set", "train.batch_size=3", "--set", "eval.batch_size=4"]
    argv += ["--set", "data.clip_frames=4", "--set", "model.hidden_size=8"]
    argv += ["--set", "model.feature_dim=8", "--only", "default"]

    def run(work: Path, *extra: str) -> dict:
        out = work / "accuracy.json"
        assert accuracy.main([*argv, "--work", str(work), "--json", str(out), *extra]) == 0
        return json.loads(out.read_text())["results"]["default"]

    straight = run(tmp_path / "straight")
    real_train = tracks.train
    monkeypatch.setattr(tracks, "train", lambda *a, **k: real_train(*a, **k, stop_after_steps=3))
    with pytest.raises(UserError, match="training stopped before its last epoch"):
        accuracy.main([*argv, "--work", str(tmp_path / "resumed")])
    assert (tmp_path / "resumed" / "run_0" / "last.pt").is_file()
    monkeypatch.setattr(tracks, "train", real_train)
    with pytest.raises(UserError, match="already holds a run"):
        accuracy.main([*argv, "--work", str(tmp_path / "resumed")])
    resumed = run(tmp_path / "resumed", "--resume")
    for key in ("p1_mm", "p2_mm", "mpjve_mm"):
        assert resumed[key] == pytest.approx(straight[key], rel=1e-5), key
    assert resumed["train_s"] > 0


def test_resume_needs_the_work_folder(tiny_data, capsys):
    accuracy = _load()
    with pytest.raises(SystemExit) as exit_info:
        accuracy.parse_args(["--data", str(tiny_data), "--resume"])
    assert exit_info.value.code == 2
    assert "--resume: needs the --work folder" in capsys.readouterr().err


def test_resized_store_cuts_evenly_and_resizes_frames_and_2d_alike(tiny_data, tmp_path):
    from vidpose.clips.clip_store import open_store

    accuracy = _load()
    source = open_store(tiny_data / "train")
    keep = np.unique(np.linspace(0, source.num_clips - 1, 3).round().astype(int))
    accuracy.resized_store(tiny_data / "train", tmp_path / "cut", None, 3)
    cut = open_store(tmp_path / "cut")
    np.testing.assert_array_equal(cut.frames, source.frames[keep])  # no resize: the same bytes
    np.testing.assert_array_equal(cut.poses3d, source.poses3d[keep])
    accuracy.resized_store(tiny_data / "train", tmp_path / "small", 12, 0)
    small = open_store(tmp_path / "small")
    assert small.frames.shape[1:] == (source.frames_per_clip, 12, 12, 3)
    scale = 12 / source.image_size[1]
    np.testing.assert_allclose(small.poses2d, source.poses2d * scale, rtol=1e-6)


@pytest.mark.slow
def test_seeds_train_each_recipe_per_seed_and_report_means_and_ratios(tiny_data, tmp_path):
    accuracy = _load()
    out = tmp_path / "accuracy.json"
    argv = ["--data", str(tiny_data), "--image-size", "16", "--epochs", "1", "--device", "cpu"]
    argv += ["--train-clips", "6", "--test-clips", "5", "--json", str(out), "--seeds", "0", "3"]
    argv += ["--set", "train.batch_size=3", "--set", "eval.batch_size=4"]
    argv += ["--set", "data.clip_frames=4", "--work", str(tmp_path / "work")]
    argv += ["--set", "model.hidden_size=8", "--set", "model.feature_dim=8"]
    argv += ["--only", "report (seed.yaml)", "default"]
    assert accuracy.main(argv) == 0
    result = json.loads(out.read_text())
    rows = result["results"]
    assert result["protocol"]["seeds"] == [0, 3]
    trained = ["report (seed.yaml), seed 0", "default, seed 0"]
    trained += ["report (seed.yaml), seed 3", "default, seed 3"]
    means = ["report (seed.yaml), mean of 2 seeds", "default, mean of 2 seeds"]
    assert list(rows) == ["mean pose (baseline)", *trained, *means]
    for name in trained:
        seed = name.rsplit(" ", 1)[-1]
        assert rows[name]["overrides"].count(f"seed={seed}") == 1
    # Different seeds are different runs (initialisation and order), not copies.
    assert rows["default, seed 0"]["p1_mm"] != rows["default, seed 3"]["p1_mm"]
    for recipe in ("report (seed.yaml)", "default"):
        for key in ("p1_mm", "p2_mm", "mpjve_mm"):
            each = [rows[f"{recipe}, seed {seed}"][key] for seed in (0, 3)]
            assert rows[f"{recipe}, mean of 2 seeds"][key] == pytest.approx(np.mean(each))
    ratios = result["default_over_report_p1_percent"]
    assert list(ratios) == ["seed 0", "seed 3", "means"]
    for seed in (0, 3):
        expected = (
            rows[f"default, seed {seed}"]["p1_mm"]
            / rows[f"report (seed.yaml), seed {seed}"]["p1_mm"]
        )
        assert ratios[f"seed {seed}"] == pytest.approx(100 * expected)
    expected = (
        rows["default, mean of 2 seeds"]["p1_mm"]
        / rows["report (seed.yaml), mean of 2 seeds"]["p1_mm"]
    )
    assert ratios["means"] == pytest.approx(100 * expected)


@pytest.mark.slow
def test_with_seeds_a_test_time_ablation_reuses_its_own_seeds_default(
    tiny_data, tmp_path, monkeypatch
):
    accuracy = _load()
    reused = []
    evaluate = accuracy.evaluate_only

    def recording(config_path, overrides, data, run_dir, device):
        reused.append((run_dir.name, [item for item in overrides if item.startswith("seed=")]))
        return evaluate(config_path, overrides, data, run_dir, device)

    monkeypatch.setattr(accuracy, "evaluate_only", recording)
    work = tmp_path / "work"
    argv = ["--data", str(tiny_data), "--image-size", "16", "--epochs", "1", "--device", "cpu"]
    argv += ["--train-clips", "6", "--test-clips", "5", "--seeds", "0", "1", "--work", str(work)]
    argv += ["--set", "train.batch_size=3", "--set", "eval.batch_size=4"]
    argv += ["--set", "data.clip_frames=4", "--ablate", "--only", "default"]
    argv += [
        "default, no flip test",
        "--set",
        "model.hidden_size=8",
        "--set",
        "model.feature_dim=8",
    ]
    assert accuracy.main(argv) == 0
    # run_0: seed 0's default, run_1 its ablation, run_2: seed 1's default, run_3 its ablation.
    assert reused == [("run_0", ["seed=0"]), ("run_2", ["seed=1"])]
    assert not (work / "run_1").exists() and not (work / "run_3").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--seeds", "0", "0"], "--seeds [0, 0]: expected distinct non-negative integers"),
        (["--seeds", "-1"], "--seeds [-1]: expected distinct non-negative integers"),
        (["--seeds", "0", "1", "--default-run", "runs/x"], "--default-run: names one run"),
    ],
)
def test_bad_seeds_are_refused_in_one_line(tiny_data, capsys, extra, message):
    accuracy = _load()
    with pytest.raises(SystemExit) as exit_info:
        accuracy.parse_args(["--data", str(tiny_data), *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
