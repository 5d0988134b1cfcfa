"""Atomic file and directory writes: write under a temporary name, then rename into place.

A crash or an error half-way never leaves a partial file under the final name. Every command
checks its output locations with :func:`check_output` (the one rule: an existing output only
with ``--overwrite``, never one of the command's own inputs, and a place that can be written)
before the work starts, and turns an ``OSError`` while writing into one line with
:func:`write_failure`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vidpose.infra.errors import UserError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _nearest_existing(path: Path) -> Path:
    """``path`` or the closest folder above it that exists (``.`` for a relative path)."""
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def check_writable(path: str | os.PathLike, what: str = "", *, into: bool = False) -> Path:
    """Raise ``UserError`` unless ``path`` can be written; return ``path``.

    The check creates a file where the writer will and removes it again, so it finds what
    writing would: a read-only file system, a folder without permission, a pseudo file system
    like /proc, or a regular file where a folder must be. That place is the nearest existing
    folder above ``path`` (files and folders are written beside their final name, then renamed
    into place), or ``path`` itself when ``into`` and it is an existing folder that files are
    written into (a run folder). Folders still missing are not created. ``what`` prefixes the
    path in the message (``--out``).
    """
    path = Path(path)
    label = f"{what} {path}" if what else str(path)
    folder = path if into and path.is_dir() else _nearest_existing(path.parent)
    if not folder.is_dir():
        raise UserError(f"{label}: cannot write here ({folder} is a file, not a folder)")
    try:
        fd, probe = tempfile.mkstemp(prefix=".vidpose-write-check-", dir=folder)
    except OSError as exc:
        # /proc and its kind answer "no such file" to a new file in a folder that exists.
        reason = "no new files can be made" if exc.errno == errno.ENOENT else exc.strerror or exc
        where = "" if folder == path else f"{folder}: "
        raise UserError(f"{label}: cannot write here ({where}{reason})") from None
    os.close(fd)
    os.unlink(probe)
    return path


def _same_place(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file or folder (through links, ``..``, other spellings)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.abspath(os.path.realpath(a)) == os.path.abspath(os.path.realpath(b))


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` or below it (links resolved)."""
    return Path(os.path.realpath(folder)) in Path(os.path.realpath(path)).parents


def check_output(
    path: str | os.PathLike,
    *,
    overwrite: bool,
    inputs: tuple = (),
    what: str = "",
    into: bool = False,
) -> Path:
    """The one output rule of every command; raise ``UserError`` or return ``path``.

    An output that is one of the command's ``inputs`` (files or folders it reads; ``None``
    entries are skipped), or a folder that holds one (it would be replaced whole: ``prepare
    npy data/X.npy data/Y.npy data --overwrite``), is refused even with ``overwrite``: no
    command writes over what it reads. An output that already exists is refused unless
    ``overwrite``. Then the place is checked as :func:`check_writable` does. ``what`` (the
    option, e.g. ``--out``) prefixes the path in the message.
    """
    path = Path(path)
    label = f"{what} {path}" if what else str(path)
    for source in inputs:
        if source is not None and _same_place(path, Path(source)):
            raise UserError(
                f"{label}: is also an input of this command ({source}); choose another output"
            )
        if source is not None and _inside(Path(source), path):
            raise UserError(
                f"{label}: holds {source}, an input of this command, and would be replaced "
                "whole; choose another output"
            )
    if os.path.lexists(path) and not overwrite:
        raise UserError(f"{label}: already exists (use --overwrite to replace it)")
    return check_writable(path, what, into=into)


#: NumPy's words for a write the disk took only part of (``ndarray.tofile``, ``np.save``), and
#: for one it refused up front (its ``fallocate`` of a large array); neither has an errno.
_SHORT_WRITE = re.compile(r"(\d+) requested and (\d+) written")
_NO_ROOM = re.compile(r"Not enough free space to write (\d+) bytes")


def write_failure(path: str | os.PathLike, exc: OSError) -> UserError:
    """The one-line ``UserError`` for ``exc`` raised while writing ``path``: a full disk
    (``ENOSPC``, or NumPy's own words for one, which carry no error number) says so."""
    if exc.errno is None and (short := _SHORT_WRITE.search(str(exc))):
        requested, written = short.groups()
        return UserError(f"{path}: cannot write (disk full: {written} of {requested} bytes taken)")
    if exc.errno is None and (no_room := _NO_ROOM.search(str(exc))):
        return UserError(f"{path}: cannot write (disk full: {no_room.group(1)} bytes do not fit)")
    if exc.errno == errno.ENOSPC:
        return UserError(f"{path}: cannot write (disk full)")
    return UserError(f"{path}: cannot write ({exc.strerror or exc})")


@contextlib.contextmanager
def user_error_on_write(path: str | os.PathLike) -> Iterator[None]:
    """Turn an ``OSError`` in the block into :func:`write_failure`'s one line for ``path``."""
    try:
        yield
    except OSError as exc:
        raise write_failure(path, exc) from None


def partial_name(final: str | os.PathLike) -> Path:
    """The hidden sibling a directory is built in before it is renamed to ``final``:
    ``.NAME.partial-PID``, the PID telling a later run whether its writer still lives."""
    final = Path(final)
    return final.with_name(f".{final.name}.partial-{os.getpid()}")


def remove_stale_partials(final: str | os.PathLike) -> list[Path]:
    """Remove the ``.NAME.partial-PID`` siblings of ``final`` whose process has ended (killed,
    or crashed before its cleanup ran), saying so on stderr; return the paths removed. A
    partial folder of a process still running is left alone: it may be writing."""
    final = Path(final)
    removed = []
    prefix = f".{final.name}.partial-"
    try:
        siblings = list(final.parent.iterdir())
    except OSError:
        return removed
    for path in siblings:
        pid_text = path.name[len(prefix) :] if path.name.startswith(prefix) else ""
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _process_alive(int(pid_text)):
            continue
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0
        if remove_path(path):
            removed.append(path)
            print(
                f"vidpose: removed {path} ({size / 1e6:.0f} MB), left behind by an interrupted "
                f"run (process {pid_text} has ended)",
                file=sys.stderr,
            )
    return removed


def remove_path(path: str | os.PathLike) -> bool:
    """Remove ``path``: a folder with everything in it (what cannot be removed stays), else a
    file or a link (never what a link points to). True when nothing is at ``path`` afterwards."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return not os.path.lexists(path)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def write_atomic(path: str | os.PathLike, writer: Callable[[Path], Any]) -> None:
    """Call ``writer(tmp_path)`` and rename the result onto ``path``."""
    with atomic_path(path) as tmp:
        writer(tmp)


def write_npz_atomic(
    path: str | os.PathLike, arrays: dict[str, Any], *, compressed: bool = False
) -> Path:
    """Write ``arrays`` as an npz at ``path`` atomically; an ``OSError`` (a full disk, a
    read-only place) is :func:`write_failure`'s one line. Returns ``path``."""
    import numpy as np

    save = np.savez_compressed if compressed else np.savez
    with user_error_on_write(path), atomic_path(path) as tmp, open(tmp, "wb") as handle:
        save(handle, **arrays)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_atomic(path, lambda p: p.write_text(text))


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def replace_dir(tmp_dir: Path, final_dir: Path) -> None:
    """Move a finished ``tmp_dir`` onto ``final_dir``, replacing an old one if present.

    The old directory is first renamed aside, so ``final_dir`` is never a mix of both.
    """
    if final_dir.exists():
        trash = final_dir.with_name(f".{final_dir.name}.old-{os.getpid()}")
        os.replace(final_dir, trash)
        os.replace(tmp_dir, final_dir)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp_dir, final_dir)
