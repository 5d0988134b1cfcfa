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


# -- the README's commands, as a new user copies them ------------------------------------------

OUTPUT_OPTIONS = ("--out", "--render", "--json")


def _readme_commands() -> list[list[str]]:
    """Every ``vidpose ...`` command in the README's code blocks, split into words (comments
    and shell redirections dropped)."""
    import shlex

    commands, in_block = [], False
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            in_block = not in_block
            continue
        text = line.split(" #")[0].split(">")[0].strip()
        if (in_block or line.startswith("    ")) and text.startswith("vidpose "):
            commands.append(shlex.split(text))
    return commands


def test_no_readme_command_writes_over_one_of_its_inputs():
    """The README once rendered `predict ... walk.mp4 --render walk.mp4` over its own video."""
    commands = _readme_commands()
    assert any(words[1] == "predict" and "--render" in words for words in commands)
    for words in commands:
        outputs = {words[i + 1] for i, word in enumerate(words[:-1]) if word in OUTPUT_OPTIONS}
        inputs = {
            word
            for i, word in enumerate(words[2:], start=2)
            if not word.startswith("-") and words[i - 1] not in OUTPUT_OPTIONS
        }
        assert not outputs & inputs, " ".join(words)


def test_the_readme_says_where_the_vidpose_command_is_after_make():
    text = (ROOT / "README.md").read_text()
    quick_start = text[text.index("## Quick start") : text.index("**3D from your own video**")]
    assert ". .venv/bin/activate" in quick_start and ".venv/bin/vidpose" in quick_start


def test_the_licence_is_an_spdx_string_that_setuptools_reads_without_a_warning():
    """A ``{text = ...}`` table makes setuptools warn twice on every install (and stop
    building after 2027-02-18); setuptools reads an SPDX string from 77 on."""
    import re

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "MIT"
    (requirement,) = [r for r in pyproject["build-system"]["requires"] if "setuptools" in r]
    lower = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", requirement)
    assert lower is not None and int(lower.group(1)) >= 77, requirement
