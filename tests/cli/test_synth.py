"""``vidpose synth``: writes both splits, one-line errors with exit 2, nothing half-written."""

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import open_store

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


def test_a_disk_that_fills_is_one_line_naming_out_and_the_space_and_leaves_nothing(
    tmp_path, capsys, monkeypatch
):
    """Writing frames through a memory map onto a full disk kills the process with SIGBUS;
    the frames' blocks are reserved up front instead, and a refusal is one line."""
    import errno
    import os

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", full, raising=False)
    out = tmp_path / "data"
    assert main(["synth", str(out), *FAST, *FEW]) == 2
    err = capsys.readouterr().err
    message = err.replace("\r", "\n").strip().splitlines()[-1]
    assert message.startswith(
        f"vidpose synth: error: {out}/train: no space left on the device: frames.npy needs 0.1 MB, "
    ), err
    assert message.endswith(" free there") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def _ended_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_rerun_removes_what_a_killed_run_left_and_says_so(tmp_path, capsys):
    out = tmp_path / "data"
    stale = tmp_path / f".data.partial-{_ended_pid()}"
    (stale / "train").mkdir(parents=True)
    (stale / "train" / "frames.npy").write_bytes(b"\0" * 3_000_000)
    assert main(["synth", str(out), *FAST, *FEW]) == 0
    err = capsys.readouterr().err
    assert f"vidpose: removed {stale} (3 MB), left behind by an interrupted run" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_ctrl_c_with_workers_is_one_interrupted_line_and_leaves_nothing(tmp_path):
    """SIGINT to the process group reaches the workers too: only the parent may speak."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "data"
    command = [sys.executable, "-m", "vidpose", "synth", str(out), "--preset", "tiny"]
    command += ["--size", "32", "--frames", "4", "--train-clips", "20000", "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, start_new_session=True, env=env, cwd=tmp_path
    )
    progress = b""
    while b"clip/s]" not in progress.split(b"\r")[-1] or b" 0/" in progress.split(b"\r")[-1]:
        chunk = process.stderr.read1(4096)
        assert chunk, progress.decode(errors="replace")
        progress += chunk
    time.sleep(0.5)  # the workers are rendering
    os.killpg(process.pid, signal.SIGINT)
    err = (progress + process.stderr.read()).decode(errors="replace")
    assert process.wait(timeout=60) == 130
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.strip()]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert lines[-1] == "vidpose synth: interrupted", err
    assert [line for line in lines if not line.startswith("synth tiny:")] == [lines[-1]], err
    assert list(tmp_path.iterdir()) == []
