"""The pose-sequence store: whole 2D/3D pose sequences for lifting (docs/human36m.md).

Where a clip store (:mod:`vidpose.clips.clip_store`) holds fixed-length clips with frames, a
sequence store holds every frame of every sequence, so a lifter can use any receptive field and
evaluation can cover every frame at the source frame rate. One directory per split::

    meta.json               format, version, skeleton, joint names, fps, source, from_mocap,
                            sources_2d {name: {layout, has_confidence, file, missing}},
                            default_2d, and anything a source wants to record
    sequences.csv           one row per sequence (one take seen by one camera): subject,
                            action, camera, sequence, start, frames, width, height
    poses3d.npy   float32 (F, 17, 3)  metres, camera frame (x right, y down, z forward),
                                      root-relative: the pelvis row is exactly 0
    root.npy      float32 (F, 3)      the pelvis in camera coordinates, metres
    intrinsics.npy float32 (S, 4)     fx, fy, cx, cy in pixels, one row per sequence
    keypoints2d_<name>.npy float32 (F, J, 3)  x, y in source-image pixels and a confidence
                                      (1 where the source had none, 0 for joints or whole
                                      sequences the source lacks), J joints of the source's
                                      layout (:mod:`vidpose.keypoints.layouts`)

F is the total number of frames: sequence ``i`` is rows ``start .. start + frames - 1`` of
every frame array, sequences back to back in file order. ``sources_2d[name]["missing"]``
lists the sequences (row numbers of sequences.csv) that 2D source lacks; their keypoints are
all zero. ``meta["exclude_from_evaluation"]`` lists rules ``{"subject", "sequence" (or
"action", "camera"), "reason"}`` matching sequences kept in the store but left out of the
standard evaluation (Human3.6M's S11 "Directions", whose video is corrupt);
:meth:`SequenceStore.evaluation_indices` applies both.

Stores are written whole into a hidden directory renamed into place (:func:`write_sequences`);
:func:`add_2d_source` adds a 2D source to an existing store, file first, meta.json last, both
atomically. :func:`open_sequences` validates everything and raises one-line
:class:`~vidpose.infra.errors.UserError` naming the file at fault.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.infra.json_files import read_json
from vidpose.keypoints.layouts import LAYOUTS, to_h36m17
from vidpose.pose import skeleton

FORMAT_NAME = "vidpose-sequences"
FORMAT_VERSION = 1
SEQUENCE_COLUMNS = ("subject", "action", "camera", "sequence", "start", "frames", "width", "height")
INT_COLUMNS = ("start", "frames", "width", "height")
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_CHUNK = 1 << 18  # frames checked at a time, so validating a memory map stays bounded


@dataclass(frozen=True)
class SequenceInfo:
    """One sequence: a take of ``subject`` doing ``action``, seen by ``camera``.

    ``sequence`` is the take's own name (``"Walking 1"``; ``action`` is its canonical action,
    ``"Walking"``); ``start``/``frames`` locate it in the frame arrays; ``width``/``height``
    are the source image's size in pixels.
    """

    subject: str
    action: str
    camera: str
    sequence: str
    start: int
    frames: int
    width: int
    height: int

    @property
    def stop(self) -> int:
        return self.start + self.frames


@dataclass
class SequenceStore:
    """An opened, validated sequence store; frame arrays are read-only memory maps."""

    path: Path
    meta: dict[str, Any]
    sequences: list[SequenceInfo]
    poses3d: np.ndarray  # (F, 17, 3) float32, metres, root-relative
    root: np.ndarray  # (F, 3) float32, metres, camera frame
    intrinsics: np.ndarray  # (S, 4) float32, fx fy cx cy pixels
    _keypoints: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def num_frames(self) -> int:
        return int(self.poses3d.shape[0])

    @property
    def fps(self) -> float:
        return float(self.meta["fps"])

    @property
    def from_mocap(self) -> bool:
        return bool(self.meta["from_mocap"])

    @property
    def sources_2d(self) -> list[str]:
        return list(self.meta["sources_2d"])

    @property
    def default_2d(self) -> str:
        return str(self.meta["default_2d"])

    @property
    def subjects(self) -> list[str]:
        return sorted({info.subject for info in self.sequences})

    @property
    def actions(self) -> list[str]:
        return sorted({info.action for info in self.sequences})

    def slice(self, index: int) -> slice:
        """Rows of sequence ``index`` in every frame array."""
        info = self.sequences[index]
        return slice(info.start, info.stop)

    def _source(self, name: str | None) -> tuple[str, dict[str, Any]]:
        name = self.default_2d if name is None else name
        if name not in self.meta["sources_2d"]:
            known = ", ".join(self.sources_2d)
            raise UserError(f"{self.path}: no 2D source {name!r} (this store has: {known})")
        return name, self.meta["sources_2d"][name]

    def layout(self, name: str | None = None) -> str:
        """The joint layout of 2D source ``name`` (default: ``default_2d``)."""
        return self._source(name)[1]["layout"]

    def keypoints_raw(self, name: str | None = None) -> np.ndarray:
        """2D source ``name`` as stored: (F, J, 3) float32 memory map in its own layout."""
        name, _ = self._source(name)
        return self._keypoints[name]

    def keypoints(self, name: str | None = None) -> np.ndarray:
        """2D source ``name`` mapped to the 17 H36M joints: (F, 17, 3) float32, x, y in
        source-image pixels and confidence. For an ``h36m17`` source this is the memory map
        itself; other layouts are mapped (into memory) by :func:`to_h36m17`."""
        name, info = self._source(name)
        if info["layout"] == "h36m17":
            return self._keypoints[name]
        return to_h36m17(self._keypoints[name], info["layout"])

    def missing_2d(self, name: str | None = None) -> list[int]:
        """Sequences (indices) that 2D source ``name`` lacks: their keypoints are all zero."""
        return list(self._source(name)[1].get("missing", []))

    def evaluation_indices(self, name: str | None = None) -> list[int]:
        """Sequences of the standard evaluation with 2D source ``name``: all but those
        matching an entry of ``meta["exclude_from_evaluation"]`` and those the source lacks."""
        missing = set(self.missing_2d(name))
        return [
            index
            for index, info in enumerate(self.sequences)
            if index not in missing and not _excluded(info, self.meta.get(_EXCLUDE, []))
        ]

    def sequence_of_frame(self) -> np.ndarray:
        """(F,) int64: the sequence index of every frame."""
        frames = np.array([info.frames for info in self.sequences], dtype=np.int64)
        return np.repeat(np.arange(len(self.sequences), dtype=np.int64), frames)

    def image_sizes(self) -> np.ndarray:
        """(S, 2) float32: width, height of every sequence's source image, pixels."""
        return np.array([(info.width, info.height) for info in self.sequences], np.float32)


_EXCLUDE = "exclude_from_evaluation"


def _excluded(info: SequenceInfo, rules: list[dict[str, Any]]) -> bool:
    """Whether a rule ``{"subject", "sequence" or "action", "reason"}`` matches ``info``."""
    for rule in rules:
        fields = [key for key in ("subject", "action", "sequence", "camera") if key in rule]
        if fields and all(getattr(info, key) == rule[key] for key in fields):
            return True
    return False


# ---------------------------------------------------------------------------------- checks


def check_array(array: np.ndarray, where: str, shape: tuple, *, finite: bool = True) -> None:
    """dtype float32, ``shape`` (None = any), finite values; ``where`` names the array."""
    if array.dtype != np.float32:
        raise UserError(f"{where}: dtype {array.dtype}, expected float32")
    if array.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(array.shape, shape, strict=True)
    ):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise UserError(f"{where}: shape {tuple(array.shape)}, expected {want}")
    if finite:
        for start in range(0, len(array), _CHUNK):
            bad = ~np.isfinite(array[start : start + _CHUNK])
            if bad.any():
                row = start + int(np.argwhere(bad)[0][0])
                raise UserError(f"{where}: NaN or inf in row {row}")


def check_poses(poses3d: np.ndarray, where: str, frames: int) -> None:
    check_array(poses3d, where, (frames, 17, 3))
    for start in range(0, frames, _CHUNK):
        if np.any(poses3d[start : start + _CHUNK, skeleton.ROOT] != 0):
            raise UserError(f"{where}: the pelvis (joint 0) is not 0 (not root-relative)")


def check_keypoints(array: np.ndarray, where: str, layout: str, frames: int) -> None:
    check_array(array, where, (frames, len(LAYOUTS[layout]), 3))
    for start in range(0, frames, _CHUNK):
        if np.any(array[start : start + _CHUNK, :, 2] < 0):
            raise UserError(f"{where}: negative confidence")


def check_source_name(name: str, where: str) -> None:
    if not isinstance(name, str) or not _SOURCE_NAME.fullmatch(name):
        raise UserError(
            f"{where}: 2D source name {name!r} must be lower-case letters, digits, '_' or '-'"
        )


def check_sequences(sequences: list[SequenceInfo], where: str) -> int:
    """Starts back to back from 0, positive frames and sizes; returns the total frames."""
    if not sequences:
        raise UserError(f"{where}: holds no sequences")
    total = 0
    for row, info in enumerate(sequences):
        label = f"{where}: sequence {row} ({info.subject}/{info.sequence}/{info.camera})"
        if not all((info.subject, info.action, info.camera, info.sequence)):
            raise UserError(f"{label}: subject, action, camera and sequence must not be empty")
        if info.frames <= 0 or info.width <= 0 or info.height <= 0:
            raise UserError(f"{label}: frames, width and height must be positive")
        if info.start != total:
            raise UserError(f"{label}: start {info.start}, expected {total} (back to back)")
        total += info.frames
    return total


def check_missing(missing: Any, count: int, where: str) -> list[int]:
    if not isinstance(missing, list) or not all(
        isinstance(i, int) and 0 <= i < count for i in missing
    ):
        raise UserError(f"{where}: 'missing' must list sequence indices below {count}")
    return sorted(set(missing))


# ---------------------------------------------------------------------------------- reading


def _load(path: Path) -> np.ndarray:
    if not path.is_file():
        raise UserError(f"{path}: missing")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UserError(f"{path}: not a readable .npy file ({exc})") from None


def read_sequences_csv(path: Path) -> list[SequenceInfo]:
    if not path.is_file():
        raise UserError(f"{path}: missing")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != SEQUENCE_COLUMNS:
            raise UserError(
                f"{path}: columns {reader.fieldnames}, expected {list(SEQUENCE_COLUMNS)}"
            )
        rows = []
        for line, row in enumerate(reader, start=2):
            if None in row or None in row.values():
                raise UserError(f"{path}: line {line}: expected {len(SEQUENCE_COLUMNS)} columns")
            try:
                values = {key: int(row[key]) for key in INT_COLUMNS}
            except (TypeError, ValueError):
                raise UserError(
                    f"{path}: line {line}: {', '.join(INT_COLUMNS)} must be integers"
                ) from None
            rows.append(SequenceInfo(**{**row, **values}))
    return rows


def _read_meta(path: Path) -> dict[str, Any]:
    meta_path = path / "meta.json"
    meta = read_json(meta_path, missing="missing (not a sequence store)")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise UserError(f"{meta_path}: not a {FORMAT_NAME} meta file")
    version = meta.get("version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise UserError(f"{meta_path}: version {version!r} unsupported (max {FORMAT_VERSION})")
    if meta.get("skeleton") != "h36m17" or meta.get("joint_names") != list(skeleton.JOINT_NAMES):
        raise UserError(f"{meta_path}: skeleton is not the Human3.6M 17-joint skeleton")
    fps = meta.get("fps")
    if not isinstance(fps, (int, float)) or isinstance(fps, bool) or not fps > 0:
        raise UserError(f"{meta_path}: fps must be a positive number, got {fps!r}")
    if not isinstance(meta.get("from_mocap"), bool):
        raise UserError(f"{meta_path}: from_mocap must be true or false")
    sources = meta.get("sources_2d")
    if not isinstance(sources, dict) or not sources:
        raise UserError(f"{meta_path}: sources_2d must name at least one 2D source")
    for name, info in sources.items():
        check_source_name(name, str(meta_path))
        if not isinstance(info, dict) or info.get("layout") not in LAYOUTS:
            raise UserError(f"{meta_path}: 2D source {name!r} needs a layout of {list(LAYOUTS)}")
        if info.get("file") != f"keypoints2d_{name}.npy":
            raise UserError(f"{meta_path}: 2D source {name!r} must be in keypoints2d_{name}.npy")
    rules = meta.get(_EXCLUDE, [])
    if not isinstance(rules, list) or not all(
        isinstance(rule, dict) and set(rule) & {"subject", "action", "sequence", "camera"}
        for rule in rules
    ):
        raise UserError(f"{meta_path}: {_EXCLUDE} must be a list of {{subject, sequence, ...}}")
    if meta.get("default_2d") not in sources:
        raise UserError(f"{meta_path}: default_2d {meta.get('default_2d')!r} is not a 2D source")
    return meta


def open_sequences(path: str | os.PathLike) -> SequenceStore:
    """Open and validate the sequence store at ``path`` (one split's directory).

    Checks meta.json, sequences.csv and every array's dtype, shape and values (finite; the
    pelvis row of poses3d exactly 0; confidences not negative); raises a one-line
    :class:`UserError` naming the file at fault.
    """
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: not a sequence store directory (does not exist)")
    meta = _read_meta(path)
    csv_path = path / "sequences.csv"
    sequences = read_sequences_csv(csv_path)
    frames = check_sequences(sequences, str(csv_path))

    poses3d = _load(path / "poses3d.npy")
    if poses3d.ndim >= 1 and len(poses3d) != frames:
        raise UserError(
            f"{path / 'poses3d.npy'}: {len(poses3d)} frames, but sequences.csv adds up to {frames}"
        )
    check_poses(poses3d, str(path / "poses3d.npy"), frames)
    root = _load(path / "root.npy")
    check_array(root, str(path / "root.npy"), (frames, 3))
    intrinsics = _load(path / "intrinsics.npy")
    check_array(intrinsics, str(path / "intrinsics.npy"), (len(sequences), 4))
    if np.any(intrinsics[:, :2] <= 0):
        raise UserError(f"{path / 'intrinsics.npy'}: focal lengths must be positive")

    keypoints = {}
    for name, info in meta["sources_2d"].items():
        info["missing"] = check_missing(
            info.get("missing", []), len(sequences), f"{path / 'meta.json'}: 2D source {name!r}"
        )
        array = _load(path / info["file"])
        check_keypoints(array, str(path / info["file"]), info["layout"], frames)
        keypoints[name] = array
    return SequenceStore(
        path=path,
        meta=meta,
        sequences=sequences,
        poses3d=poses3d,
        root=root,
        intrinsics=intrinsics,
        _keypoints=keypoints,
    )
