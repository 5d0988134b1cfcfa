"""``vidpose prepare videopose3d DATA_3D.npz [DATA_2D.npz] OUT``: VideoPose3D's pose files.

Converts the files made by VideoPose3D's ``data/prepare_data_h36m.py`` (and the 2D files
distributed in the same layout: ground truth, CPN, Stacked Hourglass, Detectron) into the
sequence stores ``OUT/train`` and ``OUT/test`` (:mod:`vidpose.sequences`): every frame of
every sequence, for the lifting track.

- 3D: each sequence of ``DATA_3D.npz`` (world frame, metres) is seen by each of the four
  cameras: moved into that camera's frame with Human3.6M's public extrinsics (x right, y
  down, z forward, metres), the pelvis kept in ``root.npy`` and subtracted from the joints.
- 2D: ``DATA_2D.npz`` and each ``--2d NAME=FILE`` become named 2D sources in image pixels
  (1000 × 1002 for cameras 54138969 and 60457274, 1000 × 1000 for the others), with their
  confidence column when the file has one. The positional file is named after its file name
  (``data_2d_h36m_gt.npz`` → ``gt``) and is the default source unless ``--default-2d``. The
  layout comes from the file's metadata (``layout_name``, else ``num_joints``) or
  ``--layout NAME=LAYOUT``. Without any 2D file the 3D joints are projected with a pinhole
  model as source ``projected`` (VideoPose3D's ground-truth 2D adds lens distortion, a few
  pixels). ``vidpose prepare add-2d`` attaches further files to the stores later.
- Sub-sequences keep their names (``Walking 1``) and belong to one of the 15 actions.
  S11 ``Directions`` (corrupt video; VideoPose3D's own files drop it) is kept when present
  and marked in meta.json ``exclude_from_evaluation``, which the evaluation applies.

A 2D file whose subjects or sequences are not in the 3D file, one missing a subject being
converted, wrong shapes or layouts, fewer 2D frames than 3D poses, NaN coordinates (a zero
confidence is fine) or NaN 3D positions: one-line error, exit 2, nothing written. A 2D file
lacking a few sequences is accepted: they are listed (warning, and ``missing`` in meta.json)
and have zero confidence there.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

from vidpose.atomic import check_writable, partial_name, remove_stale_partials, replace_dir
from vidpose.camera import project
from vidpose.errors import UserError
from vidpose.sequences import SequenceInfo, write_sequences
from vidpose.sequences.store import check_source_name
from vidpose.skeleton import ROOT
from vidpose.sources.h36m_cameras import (
    CAMERA_IDS,
    PUBLIC_EXTRINSICS,
    add_camera_arguments,
    load_intrinsics,
    world_to_camera,
)
from vidpose.sources.h36m_clips import add_split_arguments
from vidpose.sources.h36m_layout import Skipped, canonical_sequence, check_subjects, split_of
from vidpose.sources.videopose3d_files import (
    IMAGE_SIZES,
    Keypoints2DFile,
    assemble_2d,
    canonical_keys,
    check_against_3d,
    load_2d_file,
    load_pickled_dict,
    parse_named_file,
    parse_named_layout,
    positions_17,
    source_name,
)

PREPARE_NAME = "videopose3d"
FPS = 50.0
PROJECTED = "projected"
EXCLUDED = {
    "subject": "S11",
    "sequence": "Directions",
    "reason": "corrupt video of camera 54138969 in the release; VideoPose3D's files and the "
    "standard protocol leave it out",
}


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        PREPARE_NAME,
        help="VideoPose3D's data_3d_h36m.npz + 2D files → sequence stores OUT/train, OUT/test",
        description=__doc__.split("\n\n")[0].replace("``", ""),
    )
    parser.add_argument("data_3d", type=Path, metavar="DATA_3D.npz")
    parser.add_argument("paths", type=Path, nargs="+", metavar="[DATA_2D.npz] OUT")
    add_2d_arguments(parser)
    add_split_arguments(parser)
    add_camera_arguments(
        parser,
        calibration_help="metadata.xml or JSON intrinsics (default: the public calibration)",
    )
    parser.set_defaults(run=run)


def add_2d_arguments(parser) -> None:
    """``--2d``, ``--layout`` and ``--default-2d`` (also used by ``prepare add-2d``)."""
    parser.add_argument(
        "--2d",
        dest="files_2d",
        type=parse_named_file,
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a VideoPose3D 2D file attached as 2D source NAME (repeatable): gt, cpn, sh, ...",
    )
    parser.add_argument(
        "--layout",
        dest="layouts",
        type=parse_named_layout,
        action="append",
        default=[],
        metavar="NAME=LAYOUT",
        help="keypoint layout of 2D source NAME (h36m17, coco17, halpe26, mpii16, body25) when "
        "its metadata does not say",
    )
    parser.add_argument(
        "--default-2d", metavar="NAME", help="the store's default 2D source (default: the first)"
    )


def load_named_2d(
    named: list[tuple[str, Path]], layouts: list[tuple[str, str]]
) -> list[Keypoints2DFile]:
    """Load the 2D files ``[(name, path)]``; names unique and valid, ``--layout`` names known."""
    names = [name for name, _ in named]
    for name in names:
        check_source_name(name, "--2d")
        if names.count(name) > 1:
            raise UserError(f"--2d: two 2D sources named {name!r}")
    given = dict(layouts)
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise UserError(f"--layout: no 2D source named {unknown[0]!r} (sources: {names})")
    return [load_2d_file(path, name, given.get(name)) for name, path in named]


def _subjects(args, data_3d: dict) -> tuple[list[str], list[str], list[str]]:
    """(subjects to convert, train subjects, test subjects)."""
    train = check_subjects(args.train_subjects, "--train-subjects")
    test = check_subjects(args.test_subjects, "--test-subjects")
    if args.subjects is None:
        subjects = [s for s in train + test if s in data_3d]
    else:
        subjects = check_subjects(args.subjects, "--subjects")
        missing = [s for s in subjects if s not in data_3d]
        if missing:
            raise UserError(f"{args.data_3d}: no subject {missing[0]} in positions_3d")
    for subject in subjects:
        split_of(subject, train, test)
        if subject not in PUBLIC_EXTRINSICS:
            raise UserError(f"{args.data_3d}: {subject} has no public camera calibration")
    return subjects, train, test


def _convert_3d(args, data_3d: dict, subjects: list[str], intrinsics: dict, skipped: list):
    """Per subject: (infos without start, joints [(F, 17, 3) float32 camera frame, metres],
    intrinsics rows), one entry per view."""
    cameras = [camera for camera in CAMERA_IDS if camera in args.cameras]
    converted = []
    for subject in subjects:
        keys = canonical_keys(args.data_3d, subject, data_3d[subject])
        for key in data_3d[subject]:
            if key not in keys.values():
                skipped.append(Skipped(f"{subject}/{key}", "not one of the 15 actions"))
        views = f"{len(keys)} sequence{'s' * (len(keys) != 1)} × {len(cameras)} cameras"
        print(f"vidpose prepare: {subject}: {views}", file=sys.stderr, flush=True)
        infos, joints, rows = [], [], []
        for sequence in sorted(keys):
            world = positions_17(
                args.data_3d, subject, keys[sequence], data_3d[subject][keys[sequence]]
            )
            action = canonical_sequence(sequence)[0]
            for camera in cameras:
                view = world_to_camera(world, subject, CAMERA_IDS.index(camera))
                joints.append(view.astype(np.float32))
                width, height = IMAGE_SIZES[camera]
                infos.append(
                    dict(subject=subject, action=action, camera=camera, sequence=sequence,
                         frames=len(world), width=width, height=height)
                )  # fmt: skip
                rows.append(intrinsics[camera])
        converted.append((infos, joints, rows))
    return converted


def _split_arrays(parts: list) -> tuple[list[SequenceInfo], np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate per-subject parts → (infos with starts, poses3d, root, intrinsics)."""
    infos, joints, rows = [], [], []
    for part_infos, part_joints, part_rows in parts:
        infos += part_infos
        joints += part_joints
        rows += part_rows
    starts = np.cumsum([0] + [info["frames"] for info in infos])[:-1]
    infos = [
        SequenceInfo(start=int(start), **info) for info, start in zip(infos, starts, strict=True)
    ]
    poses3d = np.concatenate(joints)  # camera frame, float32
    root = poses3d[:, ROOT].copy()
    poses3d -= root[:, None]  # the pelvis row becomes exactly 0
    return infos, poses3d, root, np.asarray(rows, np.float32)


def _projected(infos: list[SequenceInfo], poses3d, root, intrinsics) -> np.ndarray:
    """(F, 17, 2) pinhole projection of the camera-frame joints, source-image pixels."""
    out = np.empty((len(poses3d), 17, 2), np.float32)
    for index, info in enumerate(infos):
        rows = slice(info.start, info.stop)
        camera_frame = poses3d[rows].astype(np.float64) + root[rows, None]
        out[rows] = project(camera_frame, tuple(intrinsics[index]))
    return out


def run(args) -> int:
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
    missing = [camera for camera in args.cameras if camera not in intrinsics]
    if missing:
        raise UserError(f"{args.calibration}: no intrinsics for camera {missing[0]}")
    named = list(args.files_2d)
    if data_2d_path is not None:
        named.insert(0, (source_name(data_2d_path), data_2d_path))
    if args.default_2d is not None and args.default_2d not in [n for n, _ in named]:
        raise UserError(f"--default-2d: no 2D source named {args.default_2d!r}")

    data_3d, _ = load_pickled_dict(args.data_3d, "positions_3d")
    subjects, train, test = _subjects(args, data_3d)
    if not subjects:
        raise UserError(f"{args.data_3d}: none of the subjects {train + test} is in the file")
    sequences_3d = {
        str(subject): sorted(canonical_keys(args.data_3d, str(subject), value))
        for subject, value in data_3d.items()
    }
    files_2d = load_named_2d(named, args.layouts)
    # Check every input before converting anything, so a bad file fails at once.
    lengths = {
        (subject, sequence): len(positions_17(args.data_3d, subject, key, data_3d[subject][key]))
        for subject in subjects
        for sequence, key in canonical_keys(args.data_3d, subject, data_3d[subject]).items()
    }
    for file2d in files_2d:
        check_against_3d(file2d, sequences_3d, subjects)
        for (subject, sequence), frames in lengths.items():
            for camera in args.cameras:
                file2d.keypoints(subject, sequence, camera, frames)

    skipped: list[Skipped] = []
    by_split = {
        split: [s for s in subjects if split_of(s, train, test) == split]
        for split in ("train", "test")
    }
    remove_stale_partials(out)
    tmp = partial_name(out)
    summary = []
    try:
        for split, split_subjects in by_split.items():
            parts = _convert_3d(args, data_3d, split_subjects, intrinsics, skipped)
            if not any(part[0] for part in parts):
                continue
            infos, poses3d, root, rows = _split_arrays(parts)
            del parts
            keypoints, missing_2d = {}, {}
            for file2d in files_2d:
                array, lacking = assemble_2d(file2d, infos, len(poses3d))
                keypoints[file2d.name] = (array, file2d.layout, file2d.has_confidence)
                missing_2d[file2d.name] = lacking
                for index in lacking:
                    info = infos[index]
                    where = f"{info.subject}/{info.sequence} camera {info.camera}"
                    print(
                        f"vidpose prepare: warning: {file2d.path} has no {where}: 2D source "
                        f"{file2d.name!r} has zero confidence there",
                        file=sys.stderr,
                    )
            if not files_2d:
                keypoints[PROJECTED] = (_projected(infos, poses3d, root, rows), "h36m17")
            meta = {
                "videopose3d": {
                    "positions_3d": str(args.data_3d.resolve()),
                    "intrinsics_from": intrinsics_from,
                    "extrinsics_from": "public calibration (VideoPose3D's h36m_dataset.py)",
                    "subjects": subjects,
                    "sequences_3d": sequences_3d,
                    "skipped": [item.as_dict() for item in skipped],
                },
                "exclude_from_evaluation": [EXCLUDED],
            }
            if not files_2d:
                meta["videopose3d"]["projected"] = "pinhole projection of the 3D joints"
            store = write_sequences(
                tmp / split,
                infos,
                poses3d,
                root,
                rows,
                keypoints,
                source="videopose3d",
                fps=FPS,
                from_mocap=False,
                default_2d=args.default_2d,
                missing_2d=missing_2d,
                describe_2d={
                    f.name: {"path": str(f.path.resolve()), "layout_from": f.layout_from}
                    for f in files_2d
                },
                extra_meta=meta,
            )
            summary.append(f"{split} {len(store)} sequences, {store.num_frames} frames")
            del keypoints, store, poses3d, root
        if not summary:
            raise UserError(f"{args.data_3d}: no sequence of the 15 actions to convert")
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for item in skipped:
        print(f"vidpose prepare: warning: skipped {item.path}: {item.reason}", file=sys.stderr)
    sources = ", ".join(f"{f.name} ({f.layout})" for f in files_2d) or f"{PROJECTED} (h36m17)"
    print(f"wrote {out}: {'; '.join(summary)}; 2D sources: {sources}")
    return 0
