"""VideoPose3D's pose files → sequence stores ``OUT/train`` and ``OUT/test``
(``vidpose prepare videopose3d``, :func:`convert`).

Converts the files made by VideoPose3D's ``data/prepare_data_h36m.py`` (and the 2D files
distributed in the same layout: ground truth, CPN, Stacked Hourglass, Detectron) into the
sequence stores of :mod:`vidpose.sequences`: every frame of every sequence, for the lifting
track.

- 3D: each sequence of ``DATA_3D.npz`` (world frame, metres; a file in millimetres or another
  unit is recognised by its leg length, as ``prepare mocap`` does, and converted) is seen by
  each of the four
  cameras: moved into that camera's frame with Human3.6M's public extrinsics (x right, y
  down, z forward, metres), the pelvis kept in ``root.npy`` and subtracted from the joints.
- 2D: ``DATA_2D.npz`` and each named file become named 2D sources in image pixels
  (1000 × 1002 for cameras 54138969 and 60457274, 1000 × 1000 for the others), with their
  confidence column when the file has one. The positional file is named after its file name
  (``data_2d_h36m_gt.npz`` → ``gt``) and is the default source unless ``default_2d``. The
  layout comes from the file's metadata (``layout_name``, else ``num_joints``) or is given.
  Without any 2D file the 3D joints are projected with a pinhole model as source
  ``projected`` (VideoPose3D's ground-truth 2D adds lens distortion, a few pixels).
  :func:`vidpose.sources.videopose3d_add2d.add_2d` attaches further files to the stores later.
- Sub-sequences keep their names (``Walking 1``) and belong to one of the 15 actions.
  S11 ``Directions`` (corrupt video; VideoPose3D's own files drop it) is kept when present
  and marked in meta.json ``exclude_from_evaluation``, which the evaluation applies.

What a 2D file holds beyond the 3D file is left out, as VideoPose3D leaves it out (one note,
and ``not_in_3d`` in meta.json). A 2D file missing a subject being converted, wrong shapes or
layouts, fewer 2D frames than 3D poses, NaN coordinates (a zero
confidence is fine) or NaN 3D positions: one-line error, nothing written. A 2D file lacking a
few sequences is accepted: they are listed (warning, and ``missing`` in meta.json) and have
zero confidence there.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidpose.infra.atomic import check_output, partial_name, remove_stale_partials, replace_dir
from vidpose.infra.errors import UserError
from vidpose.mocap.convert import choose_scale, leg_length
from vidpose.pose.camera import project
from vidpose.pose.skeleton import ROOT, TEST_SUBJECTS, TRAIN_SUBJECTS
from vidpose.sequences import SequenceInfo, write_sequences
from vidpose.sequences.sequence_store import check_source_name
from vidpose.sources.h36m_cameras import (
    CAMERA_IDS,
    PUBLIC_EXTRINSICS,
    load_intrinsics,
    world_to_camera,
)
from vidpose.sources.h36m_layout import Skipped, canonical_sequence, check_subjects, split_of
from vidpose.sources.videopose3d_files import (
    IMAGE_SIZES,
    Keypoints2DFile,
    assemble_2d,
    canonical_keys,
    check_against_3d,
    load_2d_file,
    load_pickled_dict,
    not_in_3d_note,
    positions_17,
    source_name,
)

FPS = 50.0
SPLITS = ("train", "test")
PROJECTED = "projected"
EXCLUDED = {
    "subject": "S11",
    "sequence": "Directions",
    "reason": "corrupt video of camera 54138969 in the release; VideoPose3D's files and the "
    "standard protocol leave it out",
}


@dataclass
class VideoPose3DSummary:
    """What :func:`convert` wrote: per split (sequences, frames), the 2D sources as
    (name, layout, how the layout was chosen), and lines to show the user."""

    out: Path
    splits: dict[str, tuple[int, int]]
    sources_2d: list[tuple[str, str, str]]
    units_3d: str  # the 3D file's unit and why (millimetres (leg 880 units = 0.880 m))
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Inputs:
    """Everything :func:`convert` read and checked before writing anything."""

    data_3d: Path
    positions: dict  # subject → {file key: (F, 32 or 17, 3) world positions}
    subjects: list[str]  # those converted
    splits: dict[str, list[str]]  # split → its subjects among those converted
    cameras: list[str]
    intrinsics: dict[str, tuple[float, float, float, float]]
    intrinsics_from: str
    sequences_3d: dict[str, list[str]]  # every subject of the file → canonical sequences
    files_2d: list[Keypoints2DFile]
    default_2d: str | None
    left_out: dict[str, list[str]]  # 2D source → what it holds beyond the 3D file
    metres_per_unit: float  # of the 3D file
    units_3d: str  # its unit, and why
    warnings: list[str]  # found while reading


def load_named_2d(
    named: Sequence[tuple[str, Path]], layouts: Sequence[tuple[str, str]]
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


def _subjects(
    data_3d: Path, positions: dict, subjects, train: list[str], test: list[str]
) -> dict[str, list[str]]:
    """{split: the subjects of ``positions`` to convert into it}."""
    if subjects is None:
        chosen = [s for s in train + test if s in positions]
    else:
        chosen = check_subjects(list(subjects), "--subjects")
        missing = [s for s in chosen if s not in positions]
        if missing:
            raise UserError(f"{data_3d}: no subject {missing[0]} in positions_3d")
    if not chosen:
        raise UserError(f"{data_3d}: none of the subjects {train + test} is in the file")
    for subject in chosen:
        split_of(subject, train, test)
        if subject not in PUBLIC_EXTRINSICS:
            raise UserError(f"{data_3d}: {subject} has no public camera calibration")
    return {split: [s for s in chosen if split_of(s, train, test) == split] for split in SPLITS}


def _check_scale(scale: float | None) -> None:
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise UserError(f"--scale {scale:g}: must be a positive number (metres per unit)")


def _units(
    data_3d: Path, first_frames: list[np.ndarray], scale: float | None, warnings: list
) -> tuple[float, str]:
    """(metres per unit of the 3D file, its unit and why): ``scale`` when given, else decided
    from the leg length (median over the sequences' ``first_frames``, (17, 3) each) as
    ``prepare mocap`` does.
    VideoPose3D's files are in metres; Human3.6M's own poses, and files made from them
    without VideoPose3D's division by 1000, are in millimetres. A leg that fits no unit keeps
    the format's metres, with a warning."""
    _check_scale(scale)
    if scale is not None:
        return float(scale), f"{scale:g} m per unit (--scale)"
    legs = [leg_length(first) for first in first_frames]
    if not legs:
        return 1.0, "metres (VideoPose3D's unit)"
    leg = float(np.median(legs))
    try:
        return choose_scale(leg, None, data_3d)
    except UserError:
        warnings.append(
            f"{data_3d}: the leg (hip to ankle) is {leg:.4g} units, no person's leg in any "
            "known unit: kept as metres, VideoPose3D's unit (--scale METRES_PER_UNIT to say)"
        )
        return 1.0, f"metres, VideoPose3D's unit (the leg, {leg:.4g}, fits no unit)"


def _read_inputs(
    data_3d: Path,
    named_2d: list[tuple[str, Path]],
    layouts: Sequence[tuple[str, str]],
    default_2d: str | None,
    subjects,
    train_subjects,
    test_subjects,
    cameras: Sequence[str],
    calibration: Path | None,
    scale: float | None,
) -> _Inputs:
    """Read and check every input, so a bad file fails before anything is written."""
    cameras = list(cameras)
    unknown = [camera for camera in cameras if camera not in CAMERA_IDS]
    if unknown:
        raise UserError(f"--cameras: unknown camera {unknown[0]} (known: {', '.join(CAMERA_IDS)})")
    intrinsics, intrinsics_from = load_intrinsics(calibration, None)
    missing = [camera for camera in cameras if camera not in intrinsics]
    if missing:
        raise UserError(f"{calibration}: no intrinsics for camera {missing[0]}")
    if default_2d is not None and default_2d not in [n for n, _ in named_2d]:
        raise UserError(f"--default-2d: no 2D source named {default_2d!r}")
    train = check_subjects(list(train_subjects), "--train-subjects")
    test = check_subjects(list(test_subjects), "--test-subjects")

    positions, _ = load_pickled_dict(data_3d, "positions_3d")
    splits = _subjects(data_3d, positions, subjects, train, test)
    chosen = [s for split in SPLITS for s in splits[split]]
    sequences_3d = {
        str(subject): sorted(canonical_keys(data_3d, str(subject), value))
        for subject, value in positions.items()
    }
    warnings: list[str] = []
    _check_scale(scale)
    lengths, first_frames = {}, []  # every sequence checked once here; _views converts it
    for subject in chosen:
        for sequence, key in canonical_keys(data_3d, subject, positions[subject]).items():
            world = positions_17(data_3d, subject, key, positions[subject][key])
            lengths[subject, sequence] = len(world)
            first_frames.append(world[0].copy())  # not a view: the rest is freed
    metres_per_unit, units_3d = _units(data_3d, first_frames, scale, warnings)
    files_2d = load_named_2d(named_2d, layouts)
    left_out = {}
    for file2d in files_2d:
        left_out[file2d.name] = check_against_3d(file2d, sequences_3d, chosen)
        for (subject, sequence), frames in lengths.items():
            for camera in cameras:
                file2d.keypoints(subject, sequence, camera, frames)
    return _Inputs(
        data_3d, positions, chosen, splits, cameras, intrinsics, intrinsics_from,
        sequences_3d, files_2d, default_2d, left_out, metres_per_unit, units_3d, warnings,
    )  # fmt: skip


def _views(inputs: _Inputs, subjects: list[str], skipped: list[Skipped]):
    """(infos without start, joints [(F, 17, 3) float32 camera frame, metres], intrinsics
    rows), one entry per view of every sequence of ``subjects``."""
    cameras = [camera for camera in CAMERA_IDS if camera in inputs.cameras]
    infos, joints, rows = [], [], []
    for subject in subjects:
        sequences = inputs.positions[subject]
        keys = canonical_keys(inputs.data_3d, subject, sequences)
        skipped += [
            Skipped(f"{subject}/{key}", "not one of the 15 actions")
            for key in sequences
            if key not in keys.values()
        ]
        views = f"{len(keys)} sequence{'s' * (len(keys) != 1)} × {len(cameras)} cameras"
        print(f"vidpose prepare: {subject}: {views}", file=sys.stderr, flush=True)
        for sequence in sorted(keys):
            world = inputs.metres_per_unit * positions_17(
                inputs.data_3d, subject, keys[sequence], sequences[keys[sequence]]
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
                rows.append(inputs.intrinsics[camera])
    return infos, joints, rows


def _split_arrays(infos: list, joints: list, rows: list):
    """Views back to back → (infos with starts, poses3d root-relative, root, intrinsics)."""
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


def _keypoints(inputs: _Inputs, infos, poses3d, root, rows, warnings: list[str]):
    """{name: (array, layout, has_confidence)} and {name: indices the file lacks}."""
    keypoints, missing_2d = {}, {}
    for file2d in inputs.files_2d:
        array, lacking = assemble_2d(file2d, infos, len(poses3d))
        keypoints[file2d.name] = (array, file2d.layout, file2d.has_confidence)
        missing_2d[file2d.name] = lacking
        for index in lacking:
            info = infos[index]
            warnings.append(
                f"{file2d.path} has no {info.subject}/{info.sequence} camera {info.camera}: "
                f"2D source {file2d.name!r} has zero confidence there"
            )
    if not inputs.files_2d:
        keypoints[PROJECTED] = (_projected(infos, poses3d, root, rows), "h36m17")
    return keypoints, missing_2d


def _write_split(
    inputs: _Inputs, split: str, where: Path, skipped: list[Skipped], warnings: list[str]
) -> tuple[int, int] | None:
    """Write one split's store at ``where``; → (sequences, frames), None when it has none."""
    views = _views(inputs, inputs.splits[split], skipped)
    if not views[0]:
        return None
    infos, poses3d, root, rows = _split_arrays(*views)
    del views
    keypoints, missing_2d = _keypoints(inputs, infos, poses3d, root, rows, warnings)
    record = {
        "positions_3d": str(inputs.data_3d.resolve()),
        "units_3d": inputs.units_3d,
        "metres_per_unit_3d": inputs.metres_per_unit,
        "intrinsics_from": inputs.intrinsics_from,
        "extrinsics_from": "public calibration (VideoPose3D's h36m_dataset.py)",
        "subjects": inputs.subjects,
        "sequences_3d": inputs.sequences_3d,
        "skipped": [item.as_dict() for item in skipped],
    }
    if not inputs.files_2d:
        record["projected"] = "pinhole projection of the 3D joints"
    store = write_sequences(
        where,
        infos,
        poses3d,
        root,
        rows,
        keypoints,
        source="videopose3d",
        fps=FPS,
        from_mocap=False,
        default_2d=inputs.default_2d,
        missing_2d=missing_2d,
        describe_2d={
            f.name: {
                "path": str(f.path.resolve()),
                "layout_from": f.layout_from,
                "not_in_3d": inputs.left_out[f.name],
            }
            for f in inputs.files_2d
        },
        extra_meta={"videopose3d": record, "exclude_from_evaluation": [EXCLUDED]},
    )
    return len(store), store.num_frames


def convert(
    data_3d: Path,
    out: Path,
    data_2d: Path | None = None,
    *,
    files_2d: Sequence[tuple[str, Path]] = (),
    layouts: Sequence[tuple[str, str]] = (),
    default_2d: str | None = None,
    subjects: Sequence[str] | None = None,
    train_subjects: Sequence[str] = TRAIN_SUBJECTS,
    test_subjects: Sequence[str] = TEST_SUBJECTS,
    cameras: Sequence[str] = CAMERA_IDS,
    calibration: Path | None = None,
    scale: float | None = None,
    overwrite: bool = False,
) -> VideoPose3DSummary:
    """Write the sequence stores ``out/train`` and ``out/test`` from VideoPose3D's 3D file
    ``data_3d`` and 2D files: ``data_2d`` (named after its file) and ``files_2d``
    ``[(name, path)]``; ``layouts`` ``[(name, layout)]`` for files whose metadata does not
    say. ``subjects`` (default: those of both splits in the file) are converted, seen by
    ``cameras`` with the intrinsics of ``calibration`` (default: the public ones). The 3D
    file's unit is ``scale`` metres, else decided from its leg length (and converted).
    Raises :class:`UserError` (nothing written) for any problem with the inputs or ``out``.
    """
    data_3d, out = Path(data_3d), Path(out)
    named = [(name, Path(path)) for name, path in files_2d]
    if data_2d is not None:
        named.insert(0, (source_name(Path(data_2d)), Path(data_2d)))
    check_output(out, overwrite=overwrite, inputs=(data_3d, calibration, *[p for _, p in named]))
    inputs = _read_inputs(
        data_3d, named, layouts, default_2d, subjects, train_subjects, test_subjects,
        cameras, calibration, scale,
    )  # fmt: skip
    skipped: list[Skipped] = []
    warnings = inputs.warnings
    splits = {}
    remove_stale_partials(out)
    tmp = partial_name(out)
    try:
        for split in SPLITS:
            written = _write_split(inputs, split, tmp / split, skipped, warnings)
            if written is not None:
                splits[split] = written
        if not splits:
            raise UserError(f"{data_3d}: no sequence of the 15 actions to convert")
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    warnings += [f"skipped {item.path}: {item.reason}" for item in skipped]
    notes = [n for f in inputs.files_2d if (n := not_in_3d_note(f, inputs.left_out[f.name]))]
    if inputs.metres_per_unit != 1.0:
        notes.insert(0, f"{data_3d}: 3D positions in {inputs.units_3d}; converted to metres")
    sources = [(f.name, f.layout, f.layout_from) for f in inputs.files_2d]
    if not sources:
        sources = [(PROJECTED, "h36m17", "the 3D joints projected")]
    return VideoPose3DSummary(out, splits, sources, inputs.units_3d, warnings, notes)
