"""Finding mocap files and reading each into a converted 17-joint motion.

Inputs are BVH files (``.bvh``) and AMC files (``.amc``) with their ASF skeleton: an ASF given
among the inputs is used for every AMC when it is the only one; otherwise an AMC's skeleton is
the ASF beside it named after its subject (``02_01.amc`` → ``02.asf``), or the only ASF in its
folder. Folders are searched recursively for ``.bvh`` and ``.amc`` files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from vidpose.errors import UserError
from vidpose.mocap import asf_amc, bvh
from vidpose.mocap.convert import Converted, convert_take
from vidpose.mocap.joint_maps import resolve_map

MOTION_SUFFIXES = (".bvh", ".amc")


@dataclass(frozen=True)
class ImportOptions:
    fps: float = 50.0
    scale: float | None = None  # metres per unit; None: auto
    up: str = "auto"
    source_fps: float | None = None  # override the file's frame rate (AMC: 120 by default)
    user_map: dict | None = None


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


def asf_for(amc: Path, given: list[Path]) -> Path:
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
    raise UserError(
        f"{amc}: no ASF skeleton found ({beside.name} is missing); give the .asf file too"
    )


def import_file(path: Path, skeletons: list[Path], options: ImportOptions) -> Converted:
    """Read one .bvh or .amc file and convert it (UserError when anything is wrong). The file
    is parsed first, so a malformed file is reported as such before its skeleton is mapped."""
    if path.suffix.lower() == ".bvh":
        parsed = bvh.read_bvh(path)
        resolved = resolve_map(parsed.names, path, options.user_map)
        take = bvh.bvh_take(parsed, resolved.needed(), options.source_fps)
    else:
        asf = asf_amc.read_asf(asf_for(path, skeletons))
        table = asf_amc.read_amc(path, asf)
        resolved = resolve_map([b.name for b in asf.bones], path, options.user_map)
        fps = options.source_fps or asf_amc.AMC_DEFAULT_FPS
        take = asf_amc.asf_amc_take(asf, path, fps, resolved.needed(), table)
    return convert_take(take, resolved, fps=options.fps, scale=options.scale, up=options.up)
