"""Writing sequence stores: a whole store at once, or one more 2D source for an existing one.

See :mod:`vidpose.sequences` for the format. Everything is validated before anything is
written, with one-line :class:`~vidpose.infra.errors.UserError` messages naming the output and the
array at fault.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.infra.atomic import (
    partial_name,
    remove_stale_partials,
    replace_dir,
    user_error_on_write,
    write_atomic,
    write_json_atomic,
)
from vidpose.infra.errors import UserError
from vidpose.keypoints.layouts import canonical_layout
from vidpose.pose import skeleton
from vidpose.sequences.sequence_store import (
    FORMAT_NAME,
    FORMAT_VERSION,
    INT_COLUMNS,
    SEQUENCE_COLUMNS,
    SequenceInfo,
    SequenceStore,
    check_array,
    check_keypoints,
    check_missing,
    check_poses,
    check_sequences,
    check_source_name,
    open_sequences,
)


def _as_info(item: SequenceInfo | Mapping[str, Any], start: int) -> SequenceInfo:
    if isinstance(item, SequenceInfo):
        return item
    values = {key: item[key] for key in SEQUENCE_COLUMNS if key in item}
    values.setdefault("start", start)
    return SequenceInfo(
        **{k: str(v) for k, v in values.items() if k not in INT_COLUMNS},
        **{k: int(values[k]) for k in INT_COLUMNS},
    )


def _with_confidence(array: np.ndarray, where: str) -> tuple[np.ndarray, bool]:
    """(F, J, 2 or 3) → float32 (F, J, 3) and whether the input had a confidence column."""
    array = np.asarray(array)
    if array.ndim != 3 or array.shape[-1] not in (2, 3):
        raise UserError(f"{where}: shape {array.shape}, expected (frames, joints, 2 or 3)")
    if array.shape[-1] == 3:
        return np.ascontiguousarray(array, dtype=np.float32), True
    out = np.ones((*array.shape[:2], 3), np.float32)
    out[..., :2] = array
    return out, False


def _prepare_source(
    name: str, array: np.ndarray, layout: str, frames: int, where: str
) -> tuple[np.ndarray, str, bool]:
    check_source_name(name, where)
    try:
        layout = canonical_layout(layout)
    except ValueError as exc:
        raise UserError(f"{where}: 2D source {name!r}: {exc}") from None
    array, has_confidence = _with_confidence(array, f"{where}: 2D source {name!r}")
    check_keypoints(array, f"{where}: 2D source {name!r} ({layout})", layout, frames)
    return array, layout, has_confidence


def write_sequences(
    out_dir: str | os.PathLike,
    sequences: Iterable[SequenceInfo | Mapping[str, Any]],
    poses3d: np.ndarray,
    root: np.ndarray,
    intrinsics: np.ndarray,
    keypoints: Mapping[str, tuple],
    *,
    source: str,
    fps: float = 50.0,
    from_mocap: bool = False,
    default_2d: str | None = None,
    missing_2d: Mapping[str, list[int]] | None = None,
    describe_2d: Mapping[str, Mapping[str, Any]] | None = None,
    extra_meta: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> SequenceStore:
    """Write a whole sequence store at ``out_dir`` (atomically) and return it opened.

    ``sequences``: :class:`SequenceInfo` or dicts with its fields (``start`` may be left out:
    sequences are then back to back in the given order). ``poses3d`` (F, 17, 3) root-relative
    metres, ``root`` (F, 3) metres, ``intrinsics`` (S, 4); ``keypoints``: {name: (array
    (F, J, 2 or 3) pixels, layout)}, a confidence of 1 added where the array has none (a
    third element, when given, is meta's ``has_confidence``: whether the *source* had one,
    for arrays that carry zero confidences only for what the source lacks).
    ``missing_2d``: {name: sequence indices the source lacks}; ``describe_2d``: {name: extra
    keys for its meta.json entry, e.g. the file it came from}. ``default_2d`` defaults to the
    first source. Every problem is a :class:`UserError` naming ``out_dir`` and the array.
    """
    out_dir = Path(out_dir)
    where = str(out_dir)
    if out_dir.exists() and not overwrite:
        raise UserError(f"{out_dir}: already exists (use --overwrite to replace it)")
    infos: list[SequenceInfo] = []
    for item in sequences:
        infos.append(_as_info(item, infos[-1].stop if infos else 0))
    frames = check_sequences(infos, where)
    # float64 input is fine: the store holds float32 (finite values are checked after the cast)
    poses3d = np.asarray(poses3d, dtype=np.float32)
    check_poses(poses3d, f"{where}: poses3d", frames)
    root = np.asarray(root, dtype=np.float32)
    check_array(root, f"{where}: root", (frames, 3))
    intrinsics = np.asarray(intrinsics, dtype=np.float32)
    check_array(intrinsics, f"{where}: intrinsics", (len(infos), 4))
    if np.any(intrinsics[:, :2] <= 0):
        raise UserError(f"{where}: intrinsics: focal lengths must be positive")
    if not keypoints:
        raise UserError(f"{where}: a sequence store needs at least one 2D source")
    missing_2d = dict(missing_2d or {})
    prepared = {}
    for name, (array, layout, *given) in keypoints.items():
        array, layout, has_confidence = _prepare_source(name, array, layout, frames, where)
        prepared[name] = (array, layout, bool(given[0]) if given else has_confidence)
    unknown = set(missing_2d) - set(prepared)
    if unknown:
        raise ValueError(f"missing_2d names unknown 2D sources {sorted(unknown)}")
    default_2d = next(iter(prepared)) if default_2d is None else default_2d
    if default_2d not in prepared:
        raise UserError(f"{where}: default 2D source {default_2d!r} is not among the sources")

    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "skeleton": "h36m17",
        "joint_names": list(skeleton.JOINT_NAMES),
        "units": "metres (3D), source-image pixels (2D)",
        "fps": float(fps),
        "source": source,
        "from_mocap": bool(from_mocap),
        "num_sequences": len(infos),
        "num_frames": frames,
        "sources_2d": _sources_meta(prepared, missing_2d, describe_2d or {}, len(infos), where),
        "default_2d": default_2d,
        **dict(extra_meta or {}),
    }
    arrays = {"poses3d": poses3d, "root": root, "intrinsics": intrinsics}
    for name, (array, _, _) in prepared.items():
        arrays[f"keypoints2d_{name}"] = array
    _write_store(out_dir, arrays, infos, meta)
    return open_sequences(out_dir)


def _sources_meta(
    prepared: dict[str, tuple], missing: dict, describe: Mapping, count: int, where: str
) -> dict[str, dict[str, Any]]:
    """meta.json's ``sources_2d`` for the ``prepared`` 2D sources of ``count`` sequences."""
    return {
        name: {
            "layout": layout,
            "has_confidence": has_confidence,
            "file": f"keypoints2d_{name}.npy",
            "missing": check_missing(
                list(missing.get(name, [])), count, f"{where}: 2D source {name!r}"
            ),
            **dict(describe.get(name, {})),
        }
        for name, (_, layout, has_confidence) in prepared.items()
    }


def _write_store(
    out_dir: Path, arrays: dict[str, np.ndarray], infos: list[SequenceInfo], meta: dict
) -> None:
    """Write ``arrays`` (NAME.npy each), sequences.csv and meta.json into a hidden folder
    renamed to ``out_dir`` when whole (and remove those left by writers that died)."""
    tmp = partial_name(out_dir)
    try:
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_partials(out_dir)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
        except OSError as exc:
            raise UserError(f"{out_dir}: cannot write here ({exc.strerror})") from None
        with user_error_on_write(out_dir):  # a full disk: one line naming the store
            for name, array in arrays.items():
                np.save(tmp / f"{name}.npy", array)
            with open(tmp / "sequences.csv", "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=SEQUENCE_COLUMNS, lineterminator="\n")
                writer.writeheader()
                writer.writerows(asdict(info) for info in infos)
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        replace_dir(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def add_2d_source(
    store_dir: str | os.PathLike,
    name: str,
    array: np.ndarray,
    layout: str,
    *,
    missing: list[int] | None = None,
    has_confidence: bool | None = None,
    replace: bool = False,
    make_default: bool = False,
    describe: Mapping[str, Any] | None = None,
) -> SequenceStore:
    """Attach 2D source ``name`` ((F, J, 2 or 3) pixels in ``layout``) to an existing store.

    ``has_confidence`` overrides meta's flag as in :func:`write_sequences`; ``describe``
    adds keys (where the source came from) to its meta.json entry. The keypoints file
    is written first and meta.json last, each atomically, so the store never names a file
    that is not complete. An existing source of that name is an error
    unless ``replace``.
    """
    store = open_sequences(store_dir)
    where = str(store.path)
    if name in store.meta["sources_2d"] and not replace:
        raise UserError(f"{where}: already has a 2D source {name!r} (replace it explicitly)")
    array, layout, had_confidence = _prepare_source(name, array, layout, store.num_frames, where)
    has_confidence = had_confidence if has_confidence is None else bool(has_confidence)
    missing = check_missing(list(missing or []), len(store), f"{where}: 2D source {name!r}")
    file_name = f"keypoints2d_{name}.npy"
    # np.save adds ".npy" to names without it, so save through an open file.
    with user_error_on_write(store.path / file_name):
        write_atomic(store.path / file_name, lambda tmp: _save(tmp, array))
    meta = dict(store.meta)
    meta["sources_2d"] = {
        **meta["sources_2d"],
        name: {
            "layout": layout,
            "has_confidence": has_confidence,
            "file": file_name,
            "missing": missing,
            **dict(describe or {}),
        },
    }
    if make_default:
        meta["default_2d"] = name
    with user_error_on_write(store.path / "meta.json"):
        write_json_atomic(store.path / "meta.json", meta)
    return open_sequences(store.path)


def _save(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array)
