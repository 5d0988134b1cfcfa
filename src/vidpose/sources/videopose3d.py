"""``vidpose prepare videopose3d DATA_3D.npz [DATA_2D.npz] OUT``: VideoPose3D's pose files.

Converts the files made by VideoPose3D's ``data/prepare_data_h36m.py`` (and the 2D detection
files distributed in the same layout) into pose-only clip stores ``OUT/train`` and
``OUT/test``: no frames (meta.json says ``"has_frames": false``), for pose-only use and for
comparison with tools built on those files.

- ``DATA_3D.npz``, key ``positions_3d``: {subject: {sequence: (F, 32, 3)}} in world
  coordinates, metres (17-joint arrays are accepted too). Each sequence becomes four camera
  views, moved into each camera's frame with Human3.6M's public extrinsics.
- ``DATA_2D.npz`` (optional), key ``positions_2d``: {subject: {sequence: four (F', 17, 2)
  arrays}}, source-image pixels, cameras in the order 54138969, 55011271, 58860488, 60457274;
  arrays longer than the 3D poses are cut to them (as VideoPose3D does). Without this file the
  3D joints are projected with a pinhole model (VideoPose3D's own ground-truth 2D file adds lens
  distortion, so it differs from that projection by a few pixels).

``poses2d`` are in source-image pixels (there are no stored frames to crop to). Both files are
pickled dictionaries, so they are loaded with ``allow_pickle=True`` — which can run code hidden
in a file: only convert files you trust. No other vidpose command loads pickles.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.atomic import check_writable, partial_name, remove_stale_partials, replace_dir
from vidpose.errors import UserError
from vidpose.skeleton import H36M_32_TO_17, ROOT
from vidpose.sources.h36m_cameras import (
    CAMERA_IDS,
    PUBLIC_EXTRINSICS,
    add_camera_arguments,
    load_intrinsics,
    project,
    world_to_camera,
)
from vidpose.sources.h36m_clips import add_clip_arguments, clip_starts, every_for
from vidpose.sources.h36m_layout import Skipped, canonical_sequence, check_subjects, split_of

PREPARE_NAME = "videopose3d"
FPS = 50.0


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        PREPARE_NAME,
        help="VideoPose3D's data_3d_h36m.npz [+ 2D file] → pose-only OUT/train, OUT/test",
        description=__doc__.split("\n\n")[0].replace("``", ""),
    )
    parser.add_argument("data_3d", type=Path, metavar="DATA_3D.npz")
    parser.add_argument("paths", type=Path, nargs="+", metavar="[DATA_2D.npz] OUT")
    add_clip_arguments(parser)
    add_camera_arguments(
        parser,
        calibration_help="metadata.xml or JSON intrinsics for the projection (default: public "
        "calibration)",
    )
    parser.set_defaults(run=run)


def load_pickled_dict(path: Path, key: str) -> dict:
    """``np.load(path, allow_pickle=True)[key].item()``, with one-line errors."""
    if not path.is_file():
        raise UserError(f"{path}: file does not exist")
    try:
        with np.load(path, allow_pickle=True) as archive:  # trusted input only: see module doc
            if key not in archive.files:
                raise UserError(f"{path}: no {key!r} array (not a VideoPose3D file?)")
            value = archive[key].item()
    except UserError:
        raise
    except Exception as exc:  # zip, pickle and numpy errors all mean "not such a file"
        raise UserError(f"{path}: not a readable .npz file ({type(exc).__name__})") from None
    if not isinstance(value, dict):
        raise UserError(f"{path}: {key!r} is not a dictionary of subjects")
    return value


def _views(
    subject: str,
    sequence: str,
    positions: Any,
    data_2d: dict | None,
    cameras: list[str],
    intrinsics: dict,
    skipped: list[Skipped],
):
    """Yield (camera, joints (F, 17, 3) camera frame m, points2d (F, 17, 2)) per usable view."""
    where = f"{subject}/{sequence}"
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[1:] not in ((32, 3), (17, 3)) or not len(positions):
        skipped.append(Skipped(where, f"positions of shape {positions.shape}, not (F, 32, 3)"))
        return
    if not np.isfinite(positions).all():
        skipped.append(Skipped(where, "positions hold NaN or inf"))
        return
    joints_world = positions[:, H36M_32_TO_17] if positions.shape[1] == 32 else positions
    for index, camera in enumerate(CAMERA_IDS):
        if camera not in cameras:
            continue
        joints = world_to_camera(joints_world, subject, index)
        if data_2d is None:
            yield camera, joints, project(joints, intrinsics[camera])
            continue
        try:
            points = np.asarray(data_2d[subject][sequence][index], dtype=np.float64)
        except (KeyError, IndexError, TypeError):
            skipped.append(Skipped(f"{where} camera {camera}", "not in the 2D file"))
            continue
        if points.ndim != 3 or points.shape[1:] != (17, 2) or len(points) < len(joints):
            problem = f"2D array of shape {points.shape}, expected ({len(joints)}, 17, 2)"
            skipped.append(Skipped(f"{where} camera {camera}", problem))
            continue
        yield camera, joints, points[: len(joints)]


def _collect(args, data_3d: dict, data_2d: dict | None, intrinsics: dict, skipped: list) -> dict:
    """{split: {"arrays": {...: list of (n, T, ...)}, "rows": [...]}} for every usable view."""
    train = check_subjects(args.train_subjects, "--train-subjects")
    test = check_subjects(args.test_subjects, "--test-subjects")
    if args.subjects is None:
        subjects = [s for s in train + test if s in data_3d]
    else:
        subjects = check_subjects(args.subjects, "--subjects")
        missing = [s for s in subjects if s not in data_3d]
        if missing:
            raise UserError(f"{args.data_3d}: no subject {missing[0]} in positions_3d")
    splits: dict[str, dict] = {}
    offsets = np.arange(args.frames) * args.stride
    for subject in subjects:
        split = split_of(subject, train, test)
        if subject not in PUBLIC_EXTRINSICS:
            skipped.append(Skipped(subject, "no public camera calibration for this subject"))
            continue
        every = every_for(split, args.frames, args.stride, args.every, args.full_rate)
        for sequence in sorted(data_3d[subject]):
            names = canonical_sequence(str(sequence))
            if names is None:
                skipped.append(Skipped(f"{subject}/{sequence}", "not one of the 15 actions"))
                continue
            views = _views(
                subject,
                sequence,
                data_3d[subject][sequence],
                data_2d,
                list(args.cameras),
                intrinsics,
                skipped,
            )
            for camera, joints, points in views:
                starts = clip_starts(len(joints), args.frames, args.stride, every)
                if not len(starts):
                    skipped.append(Skipped(f"{subject}/{sequence}", "shorter than one clip"))
                    break
                index = starts[:, None] + offsets
                root = joints[index][:, :, ROOT]
                part = splits.setdefault(split, {"arrays": {}, "rows": [], "every": every})
                for name, value in (
                    ("poses3d", joints[index] - root[:, :, None]),
                    ("poses2d", points[index]),
                    ("root", root),
                    ("intrinsics", np.tile(intrinsics[camera], (len(starts), 1))),
                ):
                    part["arrays"].setdefault(name, []).append(value.astype(np.float32))
                part["rows"] += [
                    {
                        "subject": subject,
                        "action": names[0],
                        "camera": camera,
                        "sequence": names[1],
                        "start_frame": int(start),
                    }
                    for start in starts
                ]
    return splits


def run(args) -> int:
    from vidpose.store import StoreWriter

    if len(args.paths) > 2:
        raise UserError("expected DATA_3D.npz [DATA_2D.npz] OUT, got more paths")
    data_2d_path, out = (None, args.paths[0]) if len(args.paths) == 1 else args.paths
    if out.exists() and not args.overwrite:
        raise UserError(f"{out}: already exists (use --overwrite to replace it)")
    check_writable(out)
    unknown = [camera for camera in args.cameras if camera not in CAMERA_IDS]
    if unknown:
        raise UserError(f"--cameras: unknown camera {unknown[0]} (known: {', '.join(CAMERA_IDS)})")
    intrinsics, intrinsics_from = load_intrinsics(args.calibration, None)
    intrinsics = {camera: np.asarray(values) for camera, values in intrinsics.items()}
    missing = [camera for camera in args.cameras if camera not in intrinsics]
    if missing:
        raise UserError(f"{args.calibration}: no intrinsics for camera {missing[0]}")
    data_3d = load_pickled_dict(args.data_3d, "positions_3d")
    data_2d = None if data_2d_path is None else load_pickled_dict(data_2d_path, "positions_2d")

    skipped: list[Skipped] = []
    splits = _collect(args, data_3d, data_2d, intrinsics, skipped)
    for item in skipped:
        print(f"vidpose prepare: warning: skipped {item.path}: {item.reason}", file=sys.stderr)
    if not splits:
        raise UserError(f"{args.data_3d}: nothing could be converted")

    remove_stale_partials(out)
    tmp = partial_name(out)
    try:
        for split, part in sorted(splits.items()):
            arrays = {name: np.concatenate(values) for name, values in part["arrays"].items()}
            source = {
                "kind": "videopose3d",
                "positions_3d": str(args.data_3d.resolve()),
                "positions_2d": None if data_2d_path is None else str(data_2d_path.resolve()),
                "poses2d_from": "positions_2d" if data_2d_path else "projection",
                "poses2d_space": "source-image pixels (no stored frames)",
                "intrinsics_from": intrinsics_from,
                "extrinsics_from": "public calibration (VideoPose3D's h36m_dataset.py)",
                "every": part["every"],
            }
            writer = StoreWriter(
                tmp / split,
                len(part["rows"]),
                args.frames,
                None,
                source=source,
                fps=FPS,
                frame_stride=args.stride,
                optional=("root", "intrinsics"),
                extra_meta={"skipped": [item.as_dict() for item in skipped]},
            )
            with writer:
                writer.write(slice(None), **arrays)
                writer.set_clips(part["rows"])
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counts = ", ".join(f"{split} {len(part['rows'])} clips" for split, part in splits.items())
    print(f"wrote {out}: {counts} (pose-only)")
    return 0
