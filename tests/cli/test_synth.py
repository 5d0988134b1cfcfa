"""``vidpose synth``: writes both splits, one-line errors with exit 2, nothing half-written."""

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.store import open_store

FAST = ["--preset", "tiny", "--size", "32", "--frames", "4", "--workers", "1"]
FEW = ["--train-clips", "5", "--test-clips", "2"]


def _exit_code(argv):
    """main's return value, or the code of argparse's SystemExit for usage errors."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_synth_writes_train_and_test(tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["synth", str(out), *FAST, *FEW, "--seed", "3"]) == 0
    train, test = open_store(out / "train"), open_store(out / "test")
    assert (train.num_clips, test.num_clips) == (5, 2)
    assert train.frames.shape[1:] == (4, 32, 32, 3)
    assert train.meta["source"]["seed"] == 3
    assert "train 5 clips" in capsys.readouterr().out


def test_existing_output_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["synth", str(out), *FAST, *FEW]) == 0
    before = open_store(out / "train").poses3d.copy()
    capsys.readouterr()
    assert main(["synth", str(out), *FAST, *FEW, "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vidpose synth: error: ") and "--overwrite" in err
    assert err.count("\n") == 1
    np.testing.assert_array_equal(open_store(out / "train").poses3d, before)
    assert main(["synth", str(out), *FAST, *FEW, "--seed", "1", "--overwrite"]) == 0
    assert not np.array_equal(open_store(out / "train").poses3d, before)


@pytest.mark.parametrize(
    "args",
    [
        ["--size", "0"],
        ["--size", "big"],
        ["--frames", "-2"],
        ["--train-clips", "0"],
        ["--seed", "-5"],
        ["--preset", "huge"],
        ["--frames", "200", "--stride", "10"],
        ["--size", "100000"],
        ["--motion", "missing.npz"],
    ],
)
def test_bad_arguments_are_one_line_exit_2_and_write_nothing(tmp_path, capsys, args):
    out = tmp_path / "data"
    assert _exit_code(["synth", str(out), *FAST, *FEW, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_motion_file_from_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    t = np.arange(120)[:, None, None] / 50
    positions = rng.normal(0, 0.3, (1, 17, 3)) + [0, 0, 1.0] + 0.1 * np.sin(t)
    np.savez(tmp_path / "m.npz", positions_x=positions, positions_y=positions, subject_y="S9")
    out = tmp_path / "data"
    assert main(["synth", str(out), *FAST, "--motion", str(tmp_path / "m.npz")]) == 0
    assert open_store(out / "test").subjects == ["S9"]
    assert open_store(out / "train").actions == ["x"]
