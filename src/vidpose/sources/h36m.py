"""The official Human3.6M release → clip stores (``vidpose prepare h36m RAW_DIR OUT``,
:func:`convert`).

Writes ``OUT/train`` and ``OUT/test`` with the conventions of the synthetic data: 17 joints,
camera frame, metres, root-relative ``poses3d``, the pelvis in ``root.npy``, ``poses2d`` in
stored-frame pixels, and ``crop`` + ``intrinsics`` so that a stored pose projects back into
its frame: ``u = (fx * X / Z + cx - x0) * size / side`` (the same for v with fy, cy, y0).

Sequences are converted in parallel (``--workers``) into ``OUT.partial/``; a sequence there
that was finished with the same settings is not converted again, so an interrupted run
resumes. The stores are assembled in ``OUT.partial/`` and renamed to ``OUT`` only when both
splits are complete; then ``OUT.partial/`` is removed.

Sequences whose files are missing, unreadable or too short are skipped with a warning in the
summary and listed in meta.json under ``skipped``; the conversion fails (:class:`UserError`)
only when nothing at all could be converted. See :mod:`vidpose.sources.h36m_clips` for
sampling and cropping.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidpose.infra.atomic import check_output, replace_dir
from vidpose.infra.errors import UserError
from vidpose.pose.skeleton import TEST_SUBJECTS, TRAIN_SUBJECTS
from vidpose.sources.h36m_cameras import CAMERA_IDS, load_intrinsics
from vidpose.sources.h36m_clips import MAX_SIZE, MIN_SIZE, every_for
from vidpose.sources.h36m_layout import (
    SequenceFiles,
    Skipped,
    check_subjects,
    scan_subject,
    split_of,
)
from vidpose.sources.h36m_sequence import (
    SequenceResult,
    Settings,
    convert_sequence,
    load_finished,
    output_paths,
    require_cdflib,
)

FPS = 50.0
COPY_CHUNK = 64  # clips copied at a time while assembling a store

#: How crop, intrinsics and poses relate, written to meta.json (same wording as synth's).
CROP_CONVENTION = {
    "crop": "crop.npy (N, T, 3) = x0, y0, side of the square crop in source-image pixels",
    "intrinsics": "intrinsics.npy (N, 4) = fx, fy, cx, cy in source-image pixels (pinhole)",
    "projection": (
        "P = poses3d + root[..., None, :] (camera frame, metres, x right, y down, z forward); "
        "u = (fx * X / Z + cx - x0) * S / side, v = (fy * Y / Z + cy - y0) * S / side, "
        "with S the stored frame size; equals poses2d for sequences whose 2D joints are the "
        "projection, and differs by the lens distortion (a few pixels) where D2_Positions is used"
    ),
    "crop_rule": "one square per clip around its 2D joints, side = 1.2 x the longer side",
}


@dataclass(frozen=True)
class ClipOptions:
    """How sequences are cut into clips: ``size`` px frames, ``frames`` per clip ``stride``
    source frames apart, a clip every ``every`` frames (None: the split's default, or back to
    back with ``full_rate``); see :mod:`vidpose.sources.h36m_clips`."""

    size: int = 224
    frames: int = 8
    stride: int = 4
    every: int | None = None
    full_rate: bool = False

    def check(self) -> None:
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise UserError(f"--size {self.size}: must be between {MIN_SIZE} and {MAX_SIZE}")
        for name in ("frames", "stride", "every"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UserError(f"--{name} {value}: must be at least 1")


@dataclass
class H36MSummary:
    """What :func:`convert` wrote: clips per split, how many files were skipped, how many
    sequences an earlier interrupted run had already converted, and lines to show the user."""

    out: Path
    clips: dict[str, int]
    skipped: int
    resumed: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _collect_jobs(
    raw_dir: Path, subjects, train_subjects, test_subjects, cameras: list[str]
) -> tuple[list[tuple[SequenceFiles, str]], list[Skipped]]:
    """(the sequences of the subjects with their split, the files skipped)."""
    train = check_subjects(list(train_subjects), "--train-subjects")
    test = check_subjects(list(test_subjects), "--test-subjects")
    explicit = subjects is not None
    subjects = check_subjects(list(subjects), "--subjects") if explicit else train + test
    unknown = [camera for camera in cameras if camera not in CAMERA_IDS]
    if unknown:
        raise UserError(f"--cameras: unknown camera {unknown[0]} (known: {', '.join(CAMERA_IDS)})")
    jobs, skipped = [], []
    for subject in subjects:
        split = split_of(subject, train, test)
        if not (raw_dir / subject).is_dir():
            if explicit:
                raise UserError(f"{raw_dir / subject}: subject folder missing")
            skipped.append(Skipped(str(raw_dir / subject), "subject folder missing"))
            continue
        try:
            found, problems = scan_subject(raw_dir, subject, cameras)
        except UserError as error:  # no pose folder: fatal only for a subject asked for by name
            if explicit:
                raise
            skipped.append(Skipped(str(raw_dir / subject), str(error)))
            continue
        jobs += [(files, split) for files in found]
        skipped += problems
    return jobs, skipped


def _convert_all(
    pending: list[tuple[SequenceFiles, Settings]], work_dir: Path, workers: int
) -> list[SequenceResult]:
    from vidpose.infra.progress import progress_bar

    results = []
    progress = progress_bar(total=len(pending), desc="sequences", unit="seq", disable=not pending)
    if workers == 1 or len(pending) <= 1:
        for files, settings in pending:
            results.append(convert_sequence(files, settings, work_dir))
            progress.update()
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn, not fork: OpenCV's decoder threads do not survive a fork reliably
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(convert_sequence, f, s, work_dir) for f, s in pending]
            try:
                for future in as_completed(futures):
                    results.append(future.result())
                    progress.update()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    progress.close()
    return results


def _assemble(out_dir: Path, finished: list[SequenceFiles], work_dir: Path, meta: dict) -> int:
    """Write one split's store at ``out_dir`` from its converted sequences; → clip count."""
    from vidpose.clips.clip_store import StoreWriter
    from vidpose.infra.progress import progress_bar

    def load(files: SequenceFiles) -> dict[str, np.ndarray]:
        with np.load(output_paths(work_dir, files)[1], allow_pickle=False) as arrays:
            return {name: arrays[name] for name in arrays.files}

    # Two passes (count, then copy) so only one sequence's arrays are in memory at a time.
    counts = [len(load(files)["starts"]) for files in finished]
    writer = StoreWriter(
        out_dir,
        sum(counts),
        meta["frames"],
        (meta["size"], meta["size"]),
        source=meta["source"],
        fps=FPS,
        frame_stride=meta["stride"],
        overwrite=True,
        optional=("root", "crop", "intrinsics"),
        extra_meta=meta["extra"],
    )
    with writer:
        rows, offset = [], 0
        for files, count in progress_bar(
            list(zip(finished, counts, strict=True)), desc=out_dir.name
        ):
            arrays = load(files)
            frames = np.load(output_paths(work_dir, files)[0], mmap_mode="r")
            for first in range(0, count, COPY_CHUNK):
                last = min(first + COPY_CHUNK, count)
                writer.write(slice(offset + first, offset + last), frames=frames[first:last])
            del frames
            names = ("poses3d", "poses2d", "root", "crop", "intrinsics")
            writer.write(slice(offset, offset + count), **{name: arrays[name] for name in names})
            rows += [
                {
                    "subject": files.subject,
                    "action": files.action,
                    "camera": files.camera,
                    "sequence": files.sequence,
                    "start_frame": int(start),
                }
                for start in arrays["starts"]
            ]
            offset += count
        writer.set_clips(rows)
    return len(rows)


def _plan(
    jobs: list[tuple[SequenceFiles, str]],
    skipped: list[Skipped],
    intrinsics: dict,
    intrinsics_from: str,
    options: ClipOptions,
) -> tuple[list[tuple[SequenceFiles, str, Settings]], dict[str, int]]:
    """(each sequence with its split and conversion settings, the clip spacing per split)."""
    every = {
        split: every_for(split, options.frames, options.stride, options.every, options.full_rate)
        for split in ("train", "test")
    }
    planned = []
    for files, split in jobs:
        if files.camera not in intrinsics:
            skipped.append(Skipped(str(files.poses3d_cdf), f"no intrinsics ({intrinsics_from})"))
            continue
        settings = Settings(
            options.size,
            options.frames,
            options.stride,
            every[split],
            tuple(intrinsics[files.camera]),
        )
        planned.append((files, split, settings))
    return planned, every


def _split_meta(
    raw_dir: Path, finished: list, done: dict, options: ClipOptions, every: int, context: dict
) -> dict:
    """The meta.json content of one split's store (``context``: intrinsics_from, skipped,
    warnings)."""
    from_2d = Counter(done[files]["poses2d_from"] for files in finished)
    return {
        "size": options.size,
        "frames": options.frames,
        "stride": options.stride,
        "source": {
            "kind": "h36m",
            "raw_dir": str(raw_dir.resolve()),
            "poses3d_from": "D3_Positions_mono",
            "poses2d_from": dict(sorted(from_2d.items())),  # 2D source → sequences
            "intrinsics_from": context["intrinsics_from"],
            "crop": "one square per clip: bounding box of its 2D joints, longer side x 1.2",
            "every": every,
            "subjects": sorted({files.subject for files in finished}),
        },
        "extra": {
            "crop_convention": CROP_CONVENTION,
            "skipped": [item.as_dict() for item in context["skipped"]],
            "warnings": context["warnings"],
        },
    }


def convert(
    raw_dir: Path,
    out: Path,
    *,
    options: ClipOptions | None = None,
    subjects: Sequence[str] | None = None,
    train_subjects: Sequence[str] = TRAIN_SUBJECTS,
    test_subjects: Sequence[str] = TEST_SUBJECTS,
    cameras: Sequence[str] = CAMERA_IDS,
    calibration: Path | None = None,
    workers: int = 1,
    overwrite: bool = False,
) -> H36MSummary:
    """Write the clip stores ``out/train`` and ``out/test`` from the release in ``raw_dir``
    (see the module docstring): ``subjects`` (default: those of both splits) seen by
    ``cameras``, intrinsics from ``calibration`` (default: ``raw_dir/metadata.xml``, else the
    public ones), clips cut by ``options`` (default: :class:`ClipOptions`), ``workers``
    sequences converted in parallel. Raises :class:`UserError` for a problem with the inputs
    or ``out``, and when nothing could be converted."""
    require_cdflib()
    raw_dir, out = Path(raw_dir), Path(out)
    options = options or ClipOptions()
    options.check()
    if workers < 1:
        raise UserError(f"--workers {workers}: must be at least 1")
    if not raw_dir.is_dir():
        raise UserError(f"{raw_dir}: Human3.6M folder does not exist")
    check_output(out, overwrite=overwrite, inputs=(raw_dir, calibration))
    jobs, skipped = _collect_jobs(raw_dir, subjects, train_subjects, test_subjects, list(cameras))
    intrinsics, intrinsics_from = load_intrinsics(calibration, raw_dir)
    planned, every = _plan(jobs, skipped, intrinsics, intrinsics_from, options)
    if not planned:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:2]) or "no .cdf files"
        raise UserError(f"{raw_dir}: no sequence can be converted ({reasons})")

    work_dir = out.with_name(out.name + ".partial")
    sequences_dir = work_dir / "sequences"
    done = {files: load_finished(sequences_dir, files, s) for files, _, s in planned}
    pending = [(files, s) for files, _, s in planned if done[files] is None]
    warnings: list[str] = []
    for result in _convert_all(pending, sequences_dir, workers):
        warnings += result.warnings
        if result.skipped is None:
            done[result.files] = {"poses2d_from": result.poses2d_from}
        else:
            skipped.append(Skipped(*result.skipped))
    summary = H36MSummary(out, {}, len(skipped), len(planned) - len(pending))
    summary.warnings = [f"skipped {item.path}: {item.reason}" for item in skipped] + warnings

    stores_dir = work_dir / "stores"
    shutil.rmtree(stores_dir, ignore_errors=True)  # an interrupted assembly's leftovers
    context = {"intrinsics_from": intrinsics_from, "skipped": skipped, "warnings": warnings}
    for split in ("train", "test"):
        finished = sorted(
            (files for files, s, _ in planned if s == split and done[files] is not None),
            key=lambda f: (f.subject, f.action, f.sequence, f.camera),
        )
        if not finished:
            summary.warnings.append(f"no {split} clips: {split} store not written")
            continue
        meta = _split_meta(raw_dir, finished, done, options, every[split], context)
        summary.clips[split] = _assemble(stores_dir / split, finished, sequences_dir, meta)
    if not summary.clips:
        reasons = "; ".join(summary.warnings[:2])
        raise UserError(f"{raw_dir}: nothing could be converted ({reasons})")
    replace_dir(stores_dir, out)
    shutil.rmtree(work_dir, ignore_errors=True)
    return summary
