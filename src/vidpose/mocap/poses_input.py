"""What ``vidpose export-bvh`` reads: 17-joint poses in metres and the axes they are in.

- ``predict``'s npz: ``poses3d`` (F, 17, 3), camera frame (x right, y down, z forward), and
  its ``fps``;
- a ``--motion`` npz (``positions`` or ``positions_<name>``, world frame, z up, 50 fps);
- any other npz with exactly one (F, 17, 3) array (or the one ``--key`` names), or a .npy.

Up axes: ``y`` (y up), ``z`` (z up) or ``-y`` (the camera frame: y down, z forward).
:func:`to_bvh_axes` turns each into BVH's Y up with a proper rotation, so left stays left.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidpose.infra.array_files import open_npy, read_npz
from vidpose.infra.errors import UserError

UP_AXES = ("y", "z", "-y")


@dataclass(frozen=True)
class PosesInput:
    positions: np.ndarray  # (F, 17, 3) float64 metres
    fps: float | None  # stated by the file, if it does
    up: str | None  # known from the key ('-y' for predict's camera frame), else None
    key: str
    first_frame: int = 0  # the file's frame that is positions[0] (frames without a pose cut)
    bridged: int = 0  # frames without a pose inside the take, filled by interpolation
    frames_in_file: int | None = None  # before cutting frames without a pose (None: none cut)


def bridge_unposed_frames(array: np.ndarray) -> tuple[np.ndarray, int, int]:
    """``predict``'s poses (F, 17, 3) with NaN frames where the person was not in view →
    (the poses from the first to the last posed frame, interior NaN frames linearly
    interpolated joint by joint, the first posed frame's index, how many were interpolated).
    A motion file cannot skip frames, so a gap is bridged and said, not left as NaN."""
    posed = np.isfinite(array).reshape(len(array), -1).all(1)
    index = np.flatnonzero(posed)
    if len(index) == 0:
        return array[:0], 0, 0
    kept = np.array(array[index[0] : index[-1] + 1], dtype=np.float64)
    known = posed[index[0] : index[-1] + 1]
    frames = np.arange(len(kept))
    flat = kept.reshape(len(kept), -1)
    for column in range(flat.shape[1]):
        flat[~known, column] = np.interp(frames[~known], frames[known], flat[known, column])
    return flat.reshape(kept.shape), int(index[0]), int((~known).sum())


def _check_layout(array: np.ndarray, path: Path, key: str) -> None:
    """One-line errors for an array that is not (F, 17, 3) real numbers."""
    if array.ndim != 3 or array.shape[1:] != (17, 3):
        raise UserError(f"{path}: '{key}' has shape {array.shape}, expected (F, 17, 3)")
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise UserError(f"{path}: '{key}' has dtype {array.dtype}, expected real numbers")


def _check_values(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    """An (F, 17, 3) array of real numbers as float64, with one-line errors for no frames, NaN
    or inf, and a span too wide for metres."""
    if len(array) == 0:
        raise UserError(f"{path}: '{key}' has no frames")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        frame = int(np.flatnonzero(~np.isfinite(array).reshape(len(array), -1).all(1))[0])
        raise UserError(f"{path}: '{key}' contains NaN or inf (first in frame {frame})")
    extent = float(np.abs(array - array.mean(axis=(0, 1))).max())
    if extent > 50:
        raise UserError(f"{path}: '{key}' spans {extent:.0f} units; poses must be in metres")
    return array


def _check(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    _check_layout(array, path, key)
    return _check_values(array, path, key)


def _read(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    """The array of a .npy file, or the arrays of an .npz archive, with one-line errors (a
    text file, a damaged archive, Python objects)."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(6)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    if start == b"\x93NUMPY":
        return open_npy(path, mmap=False)
    return read_npz(path)


def _fps(arrays: dict[str, np.ndarray], path: Path) -> float | None:
    """The file's ``fps`` (one positive number), None when it has none."""
    if "fps" not in arrays:
        return None
    value = arrays["fps"]
    if value.size != 1:
        raise UserError(f"{path}: 'fps' has shape {value.shape}, expected one number (frames/s)")
    item = value.reshape(()).item()
    try:
        fps = float(item)
    except (TypeError, ValueError):
        raise UserError(f"{path}: 'fps' is {item!r}, not a number (frames per second)") from None
    if not (np.isfinite(fps) and fps > 0):
        raise UserError(f"{path}: 'fps' is {fps:g}, not a positive number (frames per second)")
    return fps


def load_poses(path: str | os.PathLike, key: str | None = None) -> PosesInput:
    """The poses in ``path`` (see the module docstring), validated."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    loaded = _read(path)
    if isinstance(loaded, np.ndarray):
        if key is not None:
            raise UserError(f"--key {key}: {path} is a single array (.npy), it has no keys")
        return PosesInput(_check(loaded, path, "array"), None, None, "array")
    archive = loaded
    files = list(archive)
    if key is not None:
        if key not in files:
            raise UserError(f"--key {key}: not in {path} (keys: {', '.join(files)})")
        chosen = key
    elif "poses3d" in files:
        chosen = "poses3d"
    else:
        shaped = [k for k in files if archive[k].ndim == 3 and archive[k].shape[1:] == (17, 3)]
        if len(shaped) != 1:
            what = "no" if not shaped else f"{len(shaped)} ({', '.join(shaped)})"
            raise UserError(f"{path}: {what} (F, 17, 3) arrays; name the one to export with --key")
        chosen = shaped[0]
    fps = _fps(archive, path)
    if chosen == "poses3d":
        # predict leaves frames where the person is not in view NaN.
        poses = np.asarray(archive[chosen])
        _check_layout(poses, path, chosen)
        if len(poses) == 0:
            raise UserError(f"{path}: '{chosen}' has no frames")
        bridged, first, filled = bridge_unposed_frames(poses)
        if len(bridged) == 0:
            raise UserError(f"{path}: 'poses3d' has no frame with a pose")
        positions = _check_values(bridged, path, chosen)
        return PosesInput(positions, fps, "-y", chosen, first, filled, len(poses))
    positions = _check(archive[chosen], path, chosen)
    if chosen == "positions" or chosen.startswith("positions_"):
        return PosesInput(positions, fps or 50.0, "z", chosen)
    return PosesInput(positions, fps, None, chosen)


def detect_up(positions: np.ndarray, source) -> str:
    """The up axis of upright poses (F, 17, 3): where the pelvis → head direction mostly points."""
    rise = positions[:, 10] - positions[:, 0]
    mean = np.mean(rise / np.maximum(np.linalg.norm(rise, axis=-1, keepdims=True), 1e-12), axis=0)
    axis = int(np.argmax(np.abs(mean)))
    guess = {(1, 1.0): "y", (2, 1.0): "z", (1, -1.0): "-y"}.get((axis, float(np.sign(mean[axis]))))
    if guess is None or abs(mean[axis]) < 0.5:
        raise UserError(
            f"{source}: cannot tell which axis is up (mean pelvis→head direction "
            f"{np.round(mean, 2).tolist()}); pass --up y, z or -y"
        )
    return guess


def to_bvh_axes(positions: np.ndarray, up: str) -> np.ndarray:
    """(..., 3) points with ``up`` → BVH axes (Y up), by a rotation: z up (x, y, z) →
    (x, z, -y); camera frame (x, y, z) → (x, -y, -z), which also turns a person facing the
    camera to face +Z."""
    x, y, z = positions[..., 0], positions[..., 1], positions[..., 2]
    if up == "y":
        return np.array(positions, dtype=np.float64, copy=True)
    if up == "z":
        return np.stack([x, z, -y], axis=-1)
    if up == "-y":
        return np.stack([x, -y, -z], axis=-1)
    raise UserError(f"--up {up!r}: choose one of {', '.join(UP_AXES)} or auto")
