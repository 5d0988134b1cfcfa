"""The course report's numpy arrays → a clip store (``vidpose prepare npy X.npy Y.npy OUT``,
:func:`convert`).

Inputs:

- ``X``: (N, T, H, W, 3) RGB clips, uint8, or float in [0, 1] or [0, 255]. For floats the range
  is decided from the largest value in a sample of clips spread over N (``--x-range`` forces
  it), then confirmed on every chunk while streaming. X is opened as a memory map and copied
  in chunks of at most ``--chunk-mb`` megabytes, so memory stays bounded for the 7.2 GB (uint8)
  or 29 GB (float32) arrays of the report.
- ``Y``: (N, T, 17, 3) joint positions in metres, Human3.6M 17-joint order. When the pelvis is
  not at the origin (beyond ``ROOT_TOLERANCE_M``), it is subtracted and kept in ``root.npy``.

2D poses: the arrays carry no camera, so ``poses2d.npy`` is a documented stand-in, a
weak-perspective (orthographic, uniform scale) fit into the frame: per clip, the camera-frame
x (right) and y (down) of the root-relative 3D joints are scaled so that the joints' bounding
box over the whole clip spans 1/``MARGIN`` of the frame along its tighter axis, centred in the
frame (pixel coordinates with (0, 0) at the top-left corner of the top-left pixel). One scale
per clip keeps the body's size constant over time. meta.json records this under ``poses2d``.

``--meta clips.csv`` labels the clips: columns ``subject,action`` and optionally ``camera``,
``sequence``, ``start_frame``, one row per clip in X's order. Missing labels are ``unknown``
(``start_frame`` 0).
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.clips.crops import CROP_MARGIN
from vidpose.infra.atomic import check_output
from vidpose.infra.errors import UserError, read_utf8

X_RANGES = ("auto", "unit", "byte")
#: Margin of the 2D fit: the clip's joint bounding box spans 1/MARGIN of the frame.
MARGIN = CROP_MARGIN
#: A pelvis this close to the origin (metres) in every frame means Y is already root-relative.
ROOT_TOLERANCE_M = 1e-3
#: Float X may stray this fraction beyond its range (rounding) before it counts as wrong.
RANGE_TOLERANCE = 0.01
#: How many clips, spread over N, decide the range of float X.
RANGE_SAMPLE_CLIPS = 16
X_DTYPES = ("uint8", "float16", "float32", "float64")
META_REQUIRED = ("subject", "action")
META_OPTIONAL = ("camera", "sequence", "start_frame")
POSES2D_CONVENTION = {
    "kind": "weak_perspective_fit",
    "description": (
        "no camera in the input: per clip, root-relative camera-frame x (right) and y (down) "
        f"scaled uniformly so the clip's joint bounding box spans 1/{MARGIN} of the frame "
        "along its tighter axis, centred in the frame"
    ),
    "margin": MARGIN,
}


def open_inputs(x_path: Path, y_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """X as a read-only memory map and Y as float64, both validated."""
    from vidpose.infra.array_files import open_npy

    x = open_npy(x_path, mmap=True)
    if x.dtype.name not in X_DTYPES:
        raise UserError(f"{x_path}: unsupported dtype {x.dtype} (need one of {X_DTYPES})")
    if x.ndim != 5 or x.shape[-1] != 3:
        raise UserError(f"{x_path}: shape {x.shape}, expected (N, T, H, W, 3) RGB clips")
    y = open_npy(y_path, mmap=False)
    if not np.issubdtype(y.dtype, np.floating):
        raise UserError(f"{y_path}: unsupported dtype {y.dtype} (need float metres)")
    if y.ndim != 4 or y.shape[-2:] != (17, 3):
        raise UserError(f"{y_path}: shape {y.shape}, expected (N, T, 17, 3) poses in metres")
    if x.shape[:2] != y.shape[:2]:
        raise UserError(f"{y_path}: (N, T) = {y.shape[:2]} but {x_path} has (N, T) = {x.shape[:2]}")
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        bad = int(np.flatnonzero(~np.isfinite(y).reshape(len(y), -1).all(axis=1))[0])
        raise UserError(f"{y_path}: contains NaN or inf (first in clip {bad})")
    return x, y


def read_meta(path: Path, num_clips: int) -> list[dict[str, Any]]:
    """clips.csv rows for the store from the user's ``--meta`` file."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    with io.StringIO(read_utf8(path), newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or ()]
        missing = [c for c in META_REQUIRED if c not in columns]
        unknown = [c for c in columns if c not in META_REQUIRED + META_OPTIONAL]
        if missing or unknown:
            problem = f"missing columns {missing}" if missing else f"unknown columns {unknown}"
            allowed = list(META_REQUIRED + META_OPTIONAL)
            raise UserError(f"{path}: {problem} (columns: {allowed}, first two required)")
        rows = []
        for line, raw in enumerate(reader, start=2):
            raw = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            row = {
                "subject": raw["subject"],
                "action": raw["action"],
                "camera": raw.get("camera") or "unknown",
                "sequence": raw.get("sequence") or "unknown",
                "start_frame": raw.get("start_frame") or "0",
            }
            if not row["subject"] or not row["action"]:
                raise UserError(f"{path}: line {line}: empty subject or action")
            try:
                row["start_frame"] = int(row["start_frame"])
            except ValueError:
                raise UserError(f"{path}: line {line}: start_frame is not an integer") from None
            if row["start_frame"] < 0:
                raise UserError(f"{path}: line {line}: start_frame is negative")
            rows.append(row)
    if len(rows) != num_clips:
        raise UserError(f"{path}: {len(rows)} rows, but X and Y hold {num_clips} clips")
    return rows


def unknown_clips(num_clips: int) -> list[dict[str, Any]]:
    row = {"subject": "unknown", "action": "unknown", "camera": "unknown", "sequence": "unknown"}
    return [{**row, "start_frame": 0} for _ in range(num_clips)]


def check_out(out: Path, overwrite: bool, inputs: tuple, needed_bytes: int) -> None:
    """Fail early, before any work, when OUT cannot or must not be written."""
    check_output(out, overwrite=overwrite, inputs=inputs)
    if out.exists() or out.is_symlink():
        is_store = (out / "meta.json").is_file() or (out.is_dir() and not any(out.iterdir()))
        if not is_store:
            raise UserError(f"{out}: exists and is not a clip store; refusing to replace it")
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    free = shutil.disk_usage(ancestor).free
    if free < needed_bytes:
        raise UserError(f"{out}: needs {needed_bytes / 1e9:.2f} GB, {free / 1e9:.2f} GB free")


def float_range_limit(x: np.ndarray, x_path: Path, choice: str) -> float:
    """255 or 1: the top of float X's range, forced by ``choice`` or sampled from the data."""
    if choice != "auto":
        return 1.0 if choice == "unit" else 255.0
    sample = np.unique(np.linspace(0, len(x) - 1, RANGE_SAMPLE_CLIPS).round().astype(int))
    top = max(float(np.nanmax(x[i])) for i in sample)  # one clip at a time: bounded memory
    if top > 255.0 * (1 + RANGE_TOLERANCE):
        raise UserError(f"{x_path}: float values up to {top:g}, not in [0, 1] or [0, 255]")
    return 1.0 if top <= 1.0 + RANGE_TOLERANCE else 255.0


def to_uint8(chunk: np.ndarray, limit: float | None, x_path: Path, first_clip: int) -> np.ndarray:
    """A chunk of X as uint8; float values in [0, ``limit``] are rescaled to [0, 255]."""
    if limit is None:
        return np.asarray(chunk)
    values = np.array(chunk, dtype=np.float32)  # the one working copy of this chunk
    where = f"clips {first_clip}..{first_clip + len(values) - 1}"
    if not np.isfinite(values).all():
        raise UserError(f"{x_path}: NaN or inf in {where}")
    low, high = float(values.min()), float(values.max())
    if low < -RANGE_TOLERANCE * limit or high > limit * (1 + RANGE_TOLERANCE):
        raise UserError(
            f"{x_path}: values {low:g}..{high:g} in {where} leave the range [0, {limit:g}] "
            "decided from a sample (set --x-range)"
        )
    values *= 255.0 / limit
    np.rint(values, out=values)
    np.clip(values, 0.0, 255.0, out=values)
    return values.astype(np.uint8)


def weak_perspective_2d(poses3d: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Pixel positions (N, T, 17, 2) of root-relative poses (N, T, 17, 3) in (H, W) frames.

    See the module docstring: one uniform scale and offset per clip, orthographic projection.
    """
    height, width = image_size
    xy = np.asarray(poses3d, dtype=np.float64)[..., :2]
    low = xy.min(axis=(1, 2), keepdims=True)  # (N, 1, 1, 2) over the clip's frames and joints
    high = xy.max(axis=(1, 2), keepdims=True)
    span = high - low
    frame = np.array([width, height], dtype=np.float64)
    with np.errstate(divide="ignore"):
        fits = np.where(span > 0, frame / (MARGIN * span), np.inf)
    scale = fits.min(axis=-1, keepdims=True)
    scale = np.where(np.isfinite(scale), scale, 0.0)  # a clip collapsed to a point
    return ((xy - (low + high) / 2) * scale + frame / 2).astype(np.float32)


@dataclass
class NpySummary:
    """What :func:`convert` wrote: N clips of T frames of width × height pixels, and whether
    Y's pelvis went to ``root.npy`` (Y was not root-relative)."""

    out: Path
    clips: int
    frames: int
    width: int
    height: int
    root_kept: bool
    warnings: tuple = ()
    notes: tuple = ()


def _check_options(fps: float, x_range: str, chunk_mb: float) -> None:
    if not chunk_mb > 0:
        raise UserError(f"--chunk-mb {chunk_mb:g}: must be positive")
    if not fps > 0:
        raise UserError(f"--fps {fps:g}: must be positive")
    if x_range not in X_RANGES:
        raise UserError(f"--x-range {x_range!r}: choose one of {', '.join(X_RANGES)}")


def convert(
    x_path: Path,
    y_path: Path,
    out: Path,
    *,
    meta: Path | None = None,
    fps: float = 50.0,
    x_range: str = "auto",
    chunk_mb: float = 256.0,
    overwrite: bool = False,
) -> NpySummary:
    """Write the clip store ``out`` from ``x_path`` (clips) and ``y_path`` (3D poses), labelled
    by the CSV ``meta`` (see the module docstring); X is read ``chunk_mb`` megabytes at a
    time. Raises :class:`UserError` (nothing written) for any problem."""
    from vidpose.clips.clip_store import StoreWriter
    from vidpose.infra.progress import progress_bar

    x_path, y_path, out = Path(x_path), Path(y_path), Path(out)
    meta = None if meta is None else Path(meta)
    _check_options(fps, x_range, chunk_mb)
    x, y = open_inputs(x_path, y_path)
    n, t, height, width = x.shape[:4]
    clips = unknown_clips(n) if meta is None else read_meta(meta, n)
    check_out(out, overwrite, (x_path, y_path, meta), needed_bytes=n * t * height * width * 3)

    limit = None if x.dtype == np.uint8 else float_range_limit(x, x_path, x_range)
    pelvis = y[:, :, 0, :]
    root_relative = bool(np.abs(pelvis).max() <= ROOT_TOLERANCE_M)
    poses3d = y - pelvis[:, :, None, :]
    arrays = {"poses3d": poses3d, "poses2d": weak_perspective_2d(poses3d, (height, width))}
    if not root_relative:
        arrays["root"] = pelvis

    clip_bytes = t * height * width * 3 * x.dtype.itemsize
    clips_per_chunk = max(1, int(chunk_mb * 1e6 // clip_bytes))
    source = {"kind": "npy", "x": str(x_path), "y": str(y_path)}
    if meta is not None:
        source["meta"] = str(meta)
    extra = {
        "poses2d": POSES2D_CONVENTION,
        "input": {
            "x_dtype": str(x.dtype),
            "x_range": None if limit is None else [0.0, limit],
            "y_root_relative": root_relative,
            "labels": "meta" if meta is not None else "unknown",
        },
    }
    with StoreWriter(
        out,
        n,
        t,
        (height, width),
        source=source,
        fps=fps,
        overwrite=overwrite,
        optional=() if root_relative else ("root",),
        extra_meta=extra,
    ) as writer:
        writer.write(slice(None), **{k: v.astype(np.float32) for k, v in arrays.items()})
        writer.set_clips(clips)
        # leave=False: the bar clears itself, so an error below it is a clean single line.
        with progress_bar(total=n, unit="clip", desc=f"prepare npy {out.name}", leave=False) as bar:
            for start in range(0, n, clips_per_chunk):
                stop = min(n, start + clips_per_chunk)
                frames = to_uint8(x[start:stop], limit, x_path, start)
                writer.write(slice(start, stop), frames=frames)
                bar.update(stop - start)
    return NpySummary(out, n, t, width, height, root_kept=not root_relative)
