"""Opening a user's ``.npy`` or ``.npz`` file with one-line errors instead of numpy's exceptions.

:func:`open_npy`: the header is read and checked first (magic string, dtype, size on disk), so
a wrong or truncated file is reported without reading its data, and large arrays open as memory
maps. :func:`read_npz`: every array of an archive, read whole; a file that is not an archive,
a damaged one, or one holding Python objects is one line naming the file (and never numpy's
advice to load it "unsafely using allow_pickle").
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError


def _header(path: Path) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, offset of the data) from the header of the .npy file at ``path``."""
    try:
        with open(path, "rb") as handle:
            try:
                version = np.lib.format.read_magic(handle)
            except ValueError:
                raise UserError(f"{path}: not a .npy file (no numpy header)") from None
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            try:
                shape, _fortran, dtype = read(handle)
            except (ValueError, EOFError, SyntaxError) as exc:
                raise UserError(f"{path}: not a .npy file (bad header: {exc})") from None
            return tuple(shape), dtype, handle.tell()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None


def open_npy(path: str | os.PathLike, *, mmap: bool = True) -> np.ndarray:
    """The array in ``path``, memory-mapped read-only (or loaded when ``mmap`` is false).

    Raises :class:`UserError` naming the file when it is missing, not a .npy file, truncated,
    holds Python objects, or is empty.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    shape, dtype, offset = _header(path)
    if dtype.hasobject:
        raise UserError(f"{path}: unsupported dtype {dtype} (Python objects)")
    needed = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    size = path.stat().st_size
    if size < needed:
        raise UserError(f"{path}: truncated .npy file ({size} bytes, its header needs {needed})")
    if 0 in shape:
        raise UserError(f"{path}: empty array of shape {shape}")
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UserError(f"{path}: not a readable .npy file ({exc})") from None


def read_npz(path: str | os.PathLike, *, allow_pickle: bool = False) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive at ``path``, by name.

    ``allow_pickle`` only for formats that are pickled dicts by definition (VideoPose3D's
    files); otherwise an array of Python objects is refused. Raises :class:`UserError` naming
    the file when it is missing, not a NumPy archive (a ``.npy`` file, text, anything else),
    damaged, or holds objects it may not load.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    try:
        is_zip = zipfile.is_zipfile(path)
        if not is_zip:
            with open(path, "rb") as handle:
                start = handle.read(6)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    if not is_zip:
        kind = "a .npy array" if start == b"\x93NUMPY" else "not a NumPy archive"
        raise UserError(f"{path}: not an .npz file ({kind})")
    arrays = {}
    try:
        with np.load(path, allow_pickle=allow_pickle) as archive:
            for name in archive.files:
                try:
                    arrays[name] = archive[name]
                except ValueError as exc:
                    if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                        raise UserError(
                            f"{path}: '{name}' holds Python objects, which vidpose does not load "
                            f"from this kind of file"
                        ) from None
                    raise
    except UserError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise UserError(f"{path}: damaged .npz file ({type(exc).__name__}: {exc})") from None
    return arrays
