"""Output checks and leftovers: vidpose.infra.atomic's check_writable, write_failure and
remove_stale_partials."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vidpose.infra import atomic
from vidpose.infra.errors import UserError


def test_a_writable_place_passes_and_nothing_is_left(tmp_path):
    for path in (tmp_path / "out.json", tmp_path / "new" / "deeper" / "run", tmp_path):
        assert atomic.check_writable(path) == path
    assert list(tmp_path.iterdir()) == []  # neither the probe file nor the missing folders


def test_a_path_under_a_regular_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError) as info:
        atomic.check_writable(tmp_path / "file" / "sub" / "out.npz", "--out")
    assert str(info.value) == (
        f"--out {tmp_path}/file/sub/out.npz: cannot write here "
        f"({tmp_path}/file is a file, not a folder)"
    )


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_path_in_proc():
    with pytest.raises(UserError, match=r"^/proc/vidpose-run: cannot write here \(/proc: "):
        atomic.check_writable("/proc/vidpose-run")


def test_a_read_only_file_system(tmp_path, read_only):
    read_only(tmp_path)
    with pytest.raises(UserError) as info:
        atomic.check_writable(tmp_path / "run")
    assert (
        str(info.value) == f"{tmp_path}/run: cannot write here ({tmp_path}: Read-only file system)"
    )
    with pytest.raises(OSError):  # the writers see the same file system
        atomic.write_text_atomic(tmp_path / "a.txt", "x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_a_folder_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(UserError, match="Permission denied"):
            atomic.check_writable(locked / "out.png")
    finally:
        locked.chmod(0o700)


def test_write_failure_is_one_line_naming_the_path():
    error = atomic.write_failure("runs/x.json", OSError(errno.ENOSPC, "No space left on device"))
    assert str(error) == "runs/x.json: cannot write (disk full)"
    # NumPy's short write on a full disk carries no error number
    error = atomic.write_failure("s/poses3d.npy", OSError("306000 requested and 262112 written"))
    assert str(error) == "s/poses3d.npy: cannot write (disk full: 262112 of 306000 bytes taken)"
    error = OSError("Not enough free space to write 212160000 bytes after offset 128")
    assert str(atomic.write_failure("s/poses3d.npy", error)) == (
        "s/poses3d.npy: cannot write (disk full: 212160000 bytes do not fit)"
    )
    expected = r"^a\.png: cannot write \(Read-only file system\)$"
    with pytest.raises(UserError, match=expected), atomic.user_error_on_write("a.png"):
        raise OSError(errno.EROFS, "Read-only file system")


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_partial_folders_of_ended_processes_are_removed_and_said(tmp_path, capsys):
    final = tmp_path / "data"
    stale = tmp_path / f".data.partial-{_dead_pid()}"
    (stale / "train").mkdir(parents=True)
    (stale / "train" / "frames.npy").write_bytes(b"\0" * 2_000_000)
    alive = tmp_path / f".data.partial-{os.getppid()}"  # a running process: maybe writing
    alive.mkdir()
    mine = atomic.partial_name(final)
    mine.mkdir()
    other = tmp_path / ".other.partial-1"
    other.mkdir()
    assert atomic.remove_stale_partials(final) == [stale]
    assert not stale.exists() and alive.is_dir() and mine.is_dir() and other.is_dir()
    err = capsys.readouterr().err
    assert err == (
        f"vidpose: removed {stale} (2 MB), left behind by an interrupted run "
        f"(process {stale.name.rsplit('-', 1)[1]} has ended)\n"
    )


def test_outputs_built_beside_their_name_are_checked_in_the_parent(tmp_path, monkeypatch):
    """synth and prepare build OUT as a hidden sibling and rename it: the parent must take a
    new entry even when OUT exists; a run folder is written into, so it is checked itself."""
    out = tmp_path / "parent" / "data"
    out.mkdir(parents=True)
    real = atomic.tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own name
        if Path(dir) == out.parent:  # this folder alone takes no new entries
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp)
    with pytest.raises(UserError, match=r"parent/data: cannot write here \(.*parent: Permission"):
        atomic.check_writable(out)
    assert atomic.check_writable(out, into=True) == out


def test_an_npz_that_cannot_be_written_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    import numpy as np

    path = tmp_path / "out.npz"
    assert atomic.write_npz_atomic(path, {"a": np.arange(3)}) == path
    assert np.load(path)["a"].tolist() == [0, 1, 2]

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "savez_compressed", disk_full)
    other = tmp_path / "other.npz"
    with pytest.raises(UserError, match=r"other\.npz: cannot write \(disk full\)$"):
        atomic.write_npz_atomic(other, {"a": np.arange(3)}, compressed=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npz"]


def test_the_output_rule_refuses_an_existing_file_unless_overwrite(tmp_path):
    out = tmp_path / "poses.npz"
    assert atomic.check_output(out, overwrite=False) == out  # new: fine, nothing made
    assert not out.exists()
    out.write_bytes(b"old")
    with pytest.raises(UserError, match=r"^--out .*poses.npz: already exists \(use --overwrite"):
        atomic.check_output(out, overwrite=False, what="--out")
    assert atomic.check_output(out, overwrite=True) == out
    assert out.read_bytes() == b"old"


def test_the_output_rule_never_lets_a_command_write_over_its_input(tmp_path, monkeypatch):
    source = tmp_path / "walk.mp4"
    source.write_bytes(b"video")
    (tmp_path / "link.mp4").symlink_to(source)
    monkeypatch.chdir(tmp_path)
    for spelling in (source, "walk.mp4", "./sub/../walk.mp4", "link.mp4"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(UserError, match=r"is also an input of this command \(.*walk.mp4\)"):
            atomic.check_output(spelling, overwrite=True, inputs=(None, source), what="--render")
    assert source.read_bytes() == b"video"
    # An input that does not exist yet is compared by its resolved name.
    with pytest.raises(UserError, match="is also an input"):
        atomic.check_output(tmp_path / "new.npz", overwrite=True, inputs=("new.npz",))


def test_the_output_rule_refuses_a_folder_that_holds_an_input(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "X.npy").write_bytes(b"x")
    with pytest.raises(UserError, match=r"holds .*X.npy, an input of this command"):
        atomic.check_output(data, overwrite=True, inputs=(data / "X.npy",))
    assert atomic.check_output(data, overwrite=True, inputs=(tmp_path / "Y.npy",)) == data
