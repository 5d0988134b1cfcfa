"""Finding mocap files and reading each into a converted 17-joint motion.

Inputs are BVH files (``.bvh``) and AMC files (``.amc``) with their ASF skeleton: an ASF given
among the inputs is used for every AMC when it is the only one; otherwise an AMC's skeleton is
the ASF beside it named after its subject (``02_01.amc`` → ``02.asf``), or the only ASF in its
folder, or else ``--asf FILE`` (:attr:`ImportOptions.fallback_asf`: CMU's ASFs share one
topology and bone axes, so any of them can carry an AMC whose own skeleton is lost; the bone
lengths are not the actor's). Folders are searched recursively for ``.bvh`` and ``.amc`` files.

**Source frame rate**, in order: a CMU take index (``--cmu-index``) gives the capture rate of
the takes it lists, to an AMC file (which states none) and to a BVH file that claims 120 fps
(cgspeed's blanket value; a BVH at another rate, such as the 30-fps 16_01, was resampled and
keeps it); else ``--source-fps``; else the BVH's ``Frame Time`` or 120 fps for AMC (CMU's
rate). It must lie within :data:`PLAUSIBLE_FPS`: ``Frame Time: 1e-300`` or ``100000`` is a
broken file, not a capture.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from vidpose.infra.errors import UserError
from vidpose.mocap import asf_amc, bvh
from vidpose.mocap.cmu_index import IndexedTake, take_key
from vidpose.mocap.convert import Converted, convert_take
from vidpose.mocap.joint_maps import resolve_map
from vidpose.mocap.motion_writer import default_subject
from vidpose.mocap.proportions import target_bone_lengths

MOTION_SUFFIXES = (".bvh", ".amc")
#: Frame rates a capture can have (frames per second).
PLAUSIBLE_FPS = (0.1, 10_000.0)
#: cgspeed's BVH files claim this rate whatever the capture's.
CLAIMED_FPS = 120.0


@dataclass(frozen=True)
class ImportOptions:
    """``bones``: "source" (the file's lengths, the default here: a faithful import),
    "h36m" (a Human3.6M-like body drawn per subject with ``seed``, ``prepare mocap``'s
    default) or "h36m-mean" (see :mod:`.proportions`)."""

    fps: float = 50.0
    scale: float | None = None  # metres per unit; None: auto
    up: str = "auto"
    source_fps: float | None = None  # override the file's frame rate (AMC: 120 by default)
    user_map: dict | None = None
    fallback_asf: Path | None = None
    cmu_index: dict[str, IndexedTake] | None = None
    bones: str = "source"
    seed: int = 0


@dataclass(frozen=True)
class Imported:
    """A converted file and what was decided for it: ``asf`` the skeleton an AMC used;
    ``restored_m`` the length (metres) of a bone the BVH conversion had dropped."""

    converted: Converted
    fps_origin: str
    asf: Path | None = None
    restored_m: float | None = None


def find_inputs(paths: list[str | os.PathLike]) -> tuple[list[Path], list[Path]]:
    """(motion files, ASF files given): folders are searched recursively, in sorted order."""
    motions, skeletons = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MOTION_SUFFIXES
            )
            if not found:
                raise UserError(f"{path}: folder has no .bvh or .amc files")
            motions.extend(found)
        elif path.is_file():
            suffix = path.suffix.lower()
            if suffix == ".asf":
                skeletons.append(path)
            elif suffix in MOTION_SUFFIXES:
                motions.append(path)
            else:
                raise UserError(f"{path}: not a .bvh, .amc or .asf file")
        else:
            raise UserError(f"{path}: no such file or folder")
    if not motions:
        raise UserError("no .bvh or .amc files among the inputs")
    return motions, skeletons


def asf_for(amc: Path, given: list[Path], fallback: Path | None = None) -> Path:
    """The ASF skeleton of the AMC file ``amc`` (see the module docstring)."""
    if len(given) == 1:
        return given[0]
    subject = re.split(r"[_\-]", amc.stem)[0]
    candidates = [p for p in given if p.stem == subject]
    if candidates:
        return candidates[0]
    beside = amc.with_name(f"{subject}.asf")
    if beside.is_file():
        return beside
    in_folder = sorted(amc.parent.glob("*.asf"))
    if len(in_folder) == 1:
        return in_folder[0]
    if fallback is not None:
        return fallback
    raise UserError(
        f"{amc}: no ASF skeleton found ({beside.name} is missing); give the .asf file too, "
        "or --asf FILE to use another subject's skeleton"
    )


def source_frame_rate(
    path: Path, file_fps: float | None, options: ImportOptions
) -> tuple[float, str]:
    """(frames per second of the file's motion, where it came from); see the module
    docstring. ``file_fps`` is the BVH's rate, None for AMC."""
    indexed = None
    if options.cmu_index is not None:
        key = take_key(path.stem)
        indexed = options.cmu_index.get(key) if key is not None else None
    if indexed is not None and indexed.capture_fps is not None:
        fps = indexed.capture_fps
        if file_fps is None:
            return _plausible(path, fps, "CMU index"), "CMU index"
        if abs(file_fps - CLAIMED_FPS) < 1e-3 * CLAIMED_FPS:
            if abs(fps - file_fps) < 1e-3 * fps:
                return _plausible(path, file_fps, "Frame Time"), "Frame Time, as the CMU index"
            return _plausible(path, fps, "CMU index"), f"CMU index (the file says {file_fps:.4g})"
        origin = f"Frame Time (a resampled file: the CMU index's {fps:g} is the capture's)"
        return _plausible(path, file_fps, "Frame Time"), origin
    if options.source_fps is not None:
        return _plausible(path, options.source_fps, "--source-fps"), "--source-fps"
    if file_fps is None:
        return asf_amc.AMC_DEFAULT_FPS, "AMC default"
    return _plausible(path, file_fps, "Frame Time"), "Frame Time"


def _plausible(path: Path, fps: float, origin: str) -> float:
    low, high = PLAUSIBLE_FPS
    if not low <= fps <= high:
        hint = "; pass --source-fps" if origin == "Frame Time" else ""
        raise UserError(
            f"{path}: a frame rate of {fps:.6g} fps ({origin}) is not a capture's "
            f"({low:g}-{high:g} fps){hint}"
        )
    return fps


def import_file(
    path: Path, skeletons: list[Path], options: ImportOptions, subject: str | None = None
) -> Converted:
    """Read one .bvh or .amc file and convert it (UserError when anything is wrong)."""
    return import_take(path, skeletons, options, subject).converted


def import_take(
    path: Path, skeletons: list[Path], options: ImportOptions, subject: str | None = None
) -> Imported:
    """:func:`import_file` and what was decided. The file is parsed first, so a malformed file
    is reported as such before its skeleton is mapped; ``subject`` (default: the CMU number
    of the file name) seeds its body under ``--bones h36m``."""
    asf_path, restored = None, None
    if path.suffix.lower() == ".bvh":
        parsed = bvh.read_bvh(path)
        resolved = resolve_map(parsed.names, path, options.user_map)
        anatomy = resolved.anatomy
        if anatomy is not None and anatomy.dropped_bone is not None:
            restored = bvh.restore_dropped_bone(parsed, anatomy.dropped_bone)
            parsed = parsed if restored is None else restored[0]
        fps, origin = source_frame_rate(path, 1.0 / parsed.frame_time, options)
        frames = () if anatomy is None else (anatomy.head_frame,)
        take = bvh.bvh_take(parsed, resolved.needed(), fps, rotations_of=frames)
    else:
        asf_path = asf_for(path, skeletons, options.fallback_asf)
        asf = asf_amc.read_asf(asf_path)
        table = asf_amc.read_amc(path, asf)
        resolved = resolve_map([b.name for b in asf.bones], path, options.user_map)
        fps, origin = source_frame_rate(path, None, options)
        frames = () if resolved.anatomy is None else (resolved.anatomy.head_frame,)
        take = asf_amc.asf_amc_take(asf, path, fps, resolved.needed(), table, rotations_of=frames)
    bones = target_bone_lengths(options.bones, subject or default_subject(path.stem), options.seed)
    converted = convert_take(
        take, resolved, fps=options.fps, scale=options.scale, up=options.up, bones=bones
    )
    restored_m = None if restored is None else restored[1] * converted.metres_per_unit
    return Imported(converted, origin, asf_path, restored_m)
