"""benchmarks/readme_tables.py: the README's demo table is written from an evaluation report,
and the committed table matches the committed numbers."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location(
        "readme_tables", ROOT / "benchmarks" / "readme_tables.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(scale=1.0):
    keys = ("frame_average", "action_average", "baseline_frame_average", "baseline_action_average")
    headline = {
        name: {key: scale * (10 * row + col + 0.25) for col, key in enumerate(keys)}
        for row, name in enumerate(("mpjpe_mm", "p_mpjpe_mm", "n_mpjpe_mm", "mpjve_mm"), start=1)
    }
    return {
        "format": "vidpose-evaluation",
        "version": 1,
        "num_clips": 2,
        "frames_per_clip": 8,
        "num_frames": 16,
        "protocols": {},
        "headline": headline,
        "per_action": {"Walking": {}},
        "context": {"checkpoint": "runs/demo/best.pt", "epoch": 7, "step": 658, "data": "x"},
    }


def test_the_table_holds_each_protocols_four_numbers_in_mm_to_one_decimal():
    table = _load().demo_table(_report())
    assert table == (
        "| metric | frame average | action average | mean-pose baseline (frame / action) |\n"
        "|---|---|---|---|\n"
        "| P1 MPJPE | 10.2 | 11.2 | 12.2 / 13.2 |\n"
        "| P2 P-MPJPE | 20.2 | 21.2 | 22.2 / 23.2 |\n"
        "| N-MPJPE | 30.2 | 31.2 | 32.2 / 33.2 |\n"
        "| MPJVE | 40.2 | 41.2 | 42.2 / 43.2 |\n"
    )


def test_writing_replaces_only_the_table_and_keeps_the_numbers_beside_it(tmp_path, capsys):
    tables = _load()
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\ntext\n{tables.BEGIN}\n| old |\n{tables.END}\nafter\n")
    evaluation, copy = tmp_path / "evaluation.json", tmp_path / "docs.json"
    evaluation.write_text(json.dumps(_report()))
    paths = ["--readme", str(readme), "--docs-copy", str(copy)]
    assert tables.main(["--evaluation", str(evaluation), *paths]) == 0
    text = readme.read_text()
    assert text.startswith(f"# title\ntext\n{tables.BEGIN}\n| metric |")
    assert text.endswith(f"| MPJVE | 40.2 | 41.2 | 42.2 / 43.2 |\n{tables.END}\nafter\n")
    kept = json.loads(copy.read_text())
    assert kept["headline"] == _report()["headline"] and "per_action" not in kept
    assert kept["context"] == {
        "checkpoint": "runs/demo/best.pt",
        "epoch": 7,
        "step": 658,
        "flip_test": None,
    }
    assert tables.main(["--check", *paths]) == 0
    evaluation.write_text(json.dumps(_report(scale=1.01)))
    assert tables.main(["--check", "--evaluation", str(evaluation), *paths]) == 1
    assert "the demo table differs" in capsys.readouterr().err


def test_a_readme_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="demo-table"):
        _load().replace_table("# no table here\n", "| x |\n")


def test_the_committed_readme_table_matches_the_committed_demo_numbers():
    assert _load().main(["--check"]) == 0
