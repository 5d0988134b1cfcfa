"""The clip store: the one on-disk format every data source is converted to (docs/architecture.md).

A store is a directory, one per split::

    frames.npy      uint8   (N, T, H, W, 3)  RGB, opened as a memory map (absent when
                                              meta.json says ``"has_frames": false``)
    poses3d.npy     float32 (N, T, 17, 3)    metres, camera frame, root-relative
    poses2d.npy     float32 (N, T, 17, 2)    pixels in the stored frames (x right, y down)
    root.npy        float32 (N, T, 3)        pelvis in camera coordinates, metres (optional)
    crop.npy        float32 (N, T, 3)        crop square (x0, y0, side) in source-image pixels
                                              (optional; a stored frame of size S maps
                                              source pixel u to (u - x0) * S / side)
    intrinsics.npy  float32 (N, 4)           fx, fy, cx, cy of the source camera, pixels
                                              (optional)
    clips.csv       one row per clip: subject, action, camera, sequence, start_frame
    meta.json       format name and version, skeleton, joint names, fps, frame stride,
                    image size, source, and anything a source wants to record

Stores are written by :class:`StoreWriter` into a hidden temporary directory that is renamed
into place only when complete, so a store that exists is a whole store. :func:`open_store`
validates everything but the pixel values and never reads the frames into memory.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.infra.atomic import (
    partial_name,
    remove_stale_partials,
    replace_dir,
    user_error_on_write,
)
from vidpose.infra.errors import UserError, read_utf8
from vidpose.infra.json_files import read_json
from vidpose.pose import skeleton

FORMAT_NAME = "vidpose-clip-store"
FORMAT_VERSION = 1
CLIP_COLUMNS = ("subject", "action", "camera", "sequence", "start_frame")
OPTIONAL_ARRAYS = ("root", "crop", "intrinsics")


@dataclass
class ClipStore:
    """An opened, validated clip store. Pose arrays are in memory, frames memory-mapped."""

    path: Path
    meta: dict[str, Any]
    poses3d: np.ndarray  # (N, T, 17, 3) float32, metres
    poses2d: np.ndarray  # (N, T, 17, 2) float32, stored-frame pixels
    clips: list[dict[str, Any]]  # N rows with CLIP_COLUMNS
    frames: np.ndarray | None = None  # (N, T, H, W, 3) uint8 memmap, or None without frames
    root: np.ndarray | None = None  # (N, T, 3) float32, metres
    crop: np.ndarray | None = None  # (N, T, 3) float32
    intrinsics: np.ndarray | None = None  # (N, 4) float32
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def num_clips(self) -> int:
        return int(self.poses3d.shape[0])

    def __len__(self) -> int:
        return self.num_clips

    @property
    def frames_per_clip(self) -> int:
        return int(self.poses3d.shape[1])

    @property
    def has_frames(self) -> bool:
        return self.frames is not None

    @property
    def image_size(self) -> tuple[int, int] | None:
        """(H, W) of the stored frames, or None for a pose-only store."""
        size = self.meta.get("image_size")
        return None if size is None else (int(size[0]), int(size[1]))

    def column(self, name: str) -> np.ndarray:
        """One clips.csv column as an array of N strings (``start_frame`` as int64)."""
        if name not in self._columns:
            values = [row[name] for row in self.clips]
            dtype = np.int64 if name == "start_frame" else object
            self._columns[name] = np.asarray(values, dtype=dtype)
        return self._columns[name]

    @property
    def subjects(self) -> list[str]:
        return sorted(set(self.column("subject")))

    @property
    def actions(self) -> list[str]:
        return sorted(set(self.column("action")))

    def load_frames(self) -> np.ndarray:
        """All frames as an in-memory array (N, T, H, W, 3) uint8. Reads the whole file."""
        if self.frames is None:
            raise UserError(f"{self.path}: this store has no frames (pose-only)")
        return np.array(self.frames)  # a copy: ascontiguousarray would keep the map


def _fail(path: Path, problem: str) -> UserError:
    return UserError(f"{path}: {problem}")


def _load_npy(path: Path, mmap: bool) -> np.ndarray:
    if not path.is_file():
        raise _fail(path, "missing")
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _fail(path, f"not a readable .npy file ({exc})") from None


def _check(array: np.ndarray, path: Path, shape: tuple, dtype: Any, finite: bool) -> None:
    if array.dtype != np.dtype(dtype):
        raise _fail(path, f"dtype {array.dtype}, expected {np.dtype(dtype)}")
    if array.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(array.shape, shape, strict=False)
    ):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise _fail(path, f"shape {tuple(array.shape)}, expected {want}")
    if finite and not np.isfinite(array).all():
        raise _fail(path, "contains NaN or inf")


def read_clips_csv(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise _fail(path, "missing")
    with io.StringIO(read_utf8(path), newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != CLIP_COLUMNS:
            raise _fail(path, f"columns {reader.fieldnames}, expected {list(CLIP_COLUMNS)}")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                row["start_frame"] = int(row["start_frame"])
            except (TypeError, ValueError):
                raise _fail(path, f"line {line}: start_frame is not an integer") from None
            rows.append(row)
    return rows


def open_store(path: str | os.PathLike, load_frames: bool = False) -> ClipStore:
    """Open and validate the store at ``path``; raise :class:`UserError` naming what is wrong.

    Frames stay a read-only memory map unless ``load_frames`` is true.
    """
    path = Path(path)
    if not path.is_dir():
        what = "it is a file" if path.exists() else "does not exist"
        raise _fail(path, f"not a clip store directory ({what})")
    meta_path = path / "meta.json"
    meta = read_json(meta_path, missing="missing (not a clip store)")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        # Commands tell the kinds of store apart first (vidpose.tracks.store_track).
        found = meta.get("format") if isinstance(meta, dict) else None
        raise _fail(meta_path, f"not a {FORMAT_NAME} meta file (format {found!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _fail(meta_path, f"format_version {version!r} unsupported (max {FORMAT_VERSION})")
    if meta.get("joint_names") != list(skeleton.JOINT_NAMES):
        raise _fail(meta_path, "joint_names differ from the Human3.6M 17-joint skeleton")

    poses3d_path = path / "poses3d.npy"
    poses3d = np.asarray(_load_npy(poses3d_path, mmap=False))
    _check(poses3d, poses3d_path, (None, None, 17, 3), np.float32, finite=True)
    n, t = poses3d.shape[:2]
    if n == 0 or t == 0:
        raise _fail(poses3d_path, "holds no clips")

    poses2d_path = path / "poses2d.npy"
    poses2d = np.asarray(_load_npy(poses2d_path, mmap=False))
    _check(poses2d, poses2d_path, (n, t, 17, 2), np.float32, finite=True)

    frames = None
    if meta.get("has_frames", True):
        frames_path = path / "frames.npy"
        frames = _load_npy(frames_path, mmap=True)
        size = meta.get("image_size")
        if not (isinstance(size, list) and len(size) == 2):
            raise _fail(meta_path, "image_size must be [H, W] for a store with frames")
        _check(frames, frames_path, (n, t, size[0], size[1], 3), np.uint8, finite=False)
        if load_frames:
            frames = np.array(frames)

    optional: dict[str, np.ndarray | None] = {}
    shapes = {"root": (n, t, 3), "crop": (n, t, 3), "intrinsics": (n, 4)}
    for name in OPTIONAL_ARRAYS:
        array_path = path / f"{name}.npy"
        if array_path.exists():
            array = np.asarray(_load_npy(array_path, mmap=False))
            _check(array, array_path, shapes[name], np.float32, finite=True)
            optional[name] = array
        else:
            optional[name] = None

    clips = read_clips_csv(path / "clips.csv")
    if len(clips) != n:
        raise _fail(path / "clips.csv", f"{len(clips)} rows, but poses3d.npy holds {n} clips")
    return ClipStore(
        path=path,
        meta=meta,
        poses3d=poses3d,
        poses2d=poses2d,
        clips=clips,
        frames=frames,
        **optional,
    )


class StoreWriter:
    """Write a store of ``num_clips`` clips, in pieces, into a temporary directory.

    Frames go straight to a memory-mapped ``frames.npy`` so memory stays bounded; pose
    arrays are small and kept in memory. :meth:`commit` validates and renames the store
    into place; any exception inside a ``with`` block removes the temporary directory.

    Example::

        with StoreWriter(out, n, t, (h, w), source={"kind": "npy"}) as writer:
            writer.write(slice(0, 100), frames=..., poses3d=..., poses2d=...)
            writer.set_clips(rows)
        # committed on leaving the block without an exception
    """

    def __init__(
        self,
        out_dir: str | os.PathLike,
        num_clips: int,
        frames_per_clip: int,
        image_size: tuple[int, int] | None,
        *,
        source: dict[str, Any],
        fps: float = 50.0,
        frame_stride: int = 1,
        overwrite: bool = False,
        optional: tuple[str, ...] = (),
        extra_meta: dict[str, Any] | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        if self.out_dir.exists() and not overwrite:
            raise UserError(f"{self.out_dir}: already exists (use --overwrite to replace it)")
        if num_clips <= 0 or frames_per_clip <= 0:
            raise UserError(f"{self.out_dir}: a store needs at least one clip of one frame")
        unknown = set(optional) - set(OPTIONAL_ARRAYS)
        if unknown:
            raise ValueError(f"unknown optional arrays {sorted(unknown)}")
        self.tmp_dir = partial_name(self.out_dir)
        try:
            self.out_dir.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_partials(self.out_dir)
            if self.tmp_dir.exists():
                shutil.rmtree(self.tmp_dir)
            self.tmp_dir.mkdir()
        except OSError as exc:
            raise UserError(f"{self.out_dir}: cannot write here ({exc.strerror})") from None
        n, t = num_clips, frames_per_clip
        self.image_size = None if image_size is None else (int(image_size[0]), int(image_size[1]))
        self.frames = None
        if self.image_size is not None:
            shape = (n, t, *self.image_size, 3)
            try:
                self.frames = np.lib.format.open_memmap(
                    self.tmp_dir / "frames.npy", mode="w+", dtype=np.uint8, shape=shape
                )
                reserve_file_space(self.tmp_dir / "frames.npy", self.out_dir)
            except BaseException as exc:
                self.abort()
                if isinstance(exc, OSError):
                    raise UserError(f"{self.out_dir}: cannot write ({exc.strerror})") from None
                raise
        nan = np.float32(np.nan)  # unwritten entries fail validation at commit
        self.arrays: dict[str, np.ndarray] = {
            "poses3d": np.full((n, t, 17, 3), nan, np.float32),
            "poses2d": np.full((n, t, 17, 2), nan, np.float32),
        }
        shapes = {"root": (n, t, 3), "crop": (n, t, 3), "intrinsics": (n, 4)}
        for name in optional:
            self.arrays[name] = np.full(shapes[name], nan, np.float32)
        self.clips: list[dict[str, Any]] | None = None
        self.meta = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "skeleton": "h36m17",
            "joint_names": list(skeleton.JOINT_NAMES),
            "units": "metres",
            "fps": float(fps),
            "frame_stride": int(frame_stride),
            "image_size": None if self.image_size is None else list(self.image_size),
            "has_frames": self.image_size is not None,
            "num_clips": n,
            "frames_per_clip": t,
            "source": source,
            **(extra_meta or {}),
        }

    def write(self, index: slice | np.ndarray | int, **values: np.ndarray) -> None:
        """Write rows ``index`` of ``frames`` and/or any pose array by keyword."""
        for name, value in values.items():
            if name == "frames":
                if self.frames is None:
                    raise ValueError("this store was created without frames")
                self.frames[index] = value
            else:
                self.arrays[name][index] = value

    def set_clips(self, rows: list[dict[str, Any]]) -> None:
        """The clips.csv rows, one dict per clip with the keys of ``CLIP_COLUMNS``."""
        self.clips = [{key: row[key] for key in CLIP_COLUMNS} for row in rows]

    def commit(self) -> ClipStore:
        with user_error_on_write(self.out_dir):
            return self._commit()

    def _commit(self) -> ClipStore:
        n = self.meta["num_clips"]
        if self.clips is None or len(self.clips) != n:
            got = 0 if self.clips is None else len(self.clips)
            raise ValueError(f"{self.out_dir}: {got} clip rows for {n} clips")
        for name, array in self.arrays.items():
            if not np.isfinite(array).all():
                raise UserError(f"{self.out_dir}: {name} has NaN, inf or unwritten entries")
            np.save(self.tmp_dir / f"{name}.npy", array)
        if self.frames is not None:
            self.frames.flush()
            del self.frames
            self.frames = None
        with open(self.tmp_dir / "clips.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CLIP_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(self.clips)
        (self.tmp_dir / "meta.json").write_text(json.dumps(self.meta, indent=2) + "\n")
        replace_dir(self.tmp_dir, self.out_dir)
        return open_store(self.out_dir)

    def abort(self) -> None:
        self.frames = None
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()


def size_text(num_bytes: float) -> str:
    """``7.2 GB``, ``350 MB`` or ``0.4 MB``."""
    if num_bytes >= 1e9:
        return f"{num_bytes / 1e9:.1f} GB"
    return f"{num_bytes / 1e6:.{0 if num_bytes >= 1e7 else 1}f} MB"


def reserve_file_space(path: Path, out: Path) -> None:
    """Allocate every block of ``path`` (a sparse file, e.g. a new memmap) now.

    Writing through a memmap into a sparse file kills the process with SIGBUS when the disk
    fills; reserved blocks cannot run out. A full disk is a ``UserError`` naming ``out`` and
    the space needed. Where ``posix_fallocate`` is missing, free space is checked instead.
    """
    size = path.stat().st_size
    free = shutil.disk_usage(path.parent).free
    no_space = UserError(
        f"{out}: no space left on the device: {path.name} needs {size_text(size)}, "
        f"{size_text(free)} free there"
    )
    fallocate = getattr(os, "posix_fallocate", None)
    if fallocate is not None:
        fd = os.open(path, os.O_RDWR)
        try:
            fallocate(fd, 0, size)
            return
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise no_space from None
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
        finally:
            os.close(fd)
    if free < size:
        raise no_space


def write_store(
    out_dir: str | os.PathLike,
    *,
    poses3d: np.ndarray,
    poses2d: np.ndarray,
    clips: list[dict[str, Any]],
    frames: np.ndarray | None = None,
    source: dict[str, Any] | None = None,
    overwrite: bool = False,
    fps: float = 50.0,
    frame_stride: int = 1,
    extra_meta: dict[str, Any] | None = None,
    **optional: np.ndarray,
) -> ClipStore:
    """Write a whole store from in-memory arrays (convenient for small stores and tests)."""
    n, t = poses3d.shape[:2]
    image_size = None if frames is None else frames.shape[2:4]
    writer = StoreWriter(
        out_dir,
        n,
        t,
        image_size,
        source=source or {"kind": "arrays"},
        fps=fps,
        frame_stride=frame_stride,
        overwrite=overwrite,
        optional=tuple(optional),
        extra_meta=extra_meta,
    )
    with writer:
        values = {"poses3d": poses3d, "poses2d": poses2d, **optional}
        if frames is not None:
            values["frames"] = frames
        writer.write(slice(None), **values)
        writer.set_clips(clips)
    return open_store(out_dir)
