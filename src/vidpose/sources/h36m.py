"""``vidpose prepare h36m RAW_DIR OUT``: the official Human3.6M release → clip stores.

Writes ``OUT/train`` and ``OUT/test`` with the conventions of the synthetic data: 17 joints,
camera frame, metres, root-relative ``poses3d``, the pelvis in ``root.npy``, ``poses2d`` in
stored-frame pixels, and ``crop`` + ``intrinsics`` so that a stored pose projects back into
its frame: ``u = (fx * X / Z + cx - x0) * size / side`` (the same for v with fy, cy, y0).

Sequences are converted in parallel (``--workers``) into ``OUT.partial/``; a sequence there
that was finished with the same settings is not converted again, so an interrupted run
resumes. The stores are assembled in ``OUT.partial/`` and renamed to ``OUT`` only when both
splits are complete; then ``OUT.partial/`` is removed.

Sequences whose files are missing, unreadable or too short are skipped with a warning on
stderr and listed in meta.json under ``skipped``; the run fails (exit 2) only when nothing at
all could be converted. See :mod:`vidpose.sources.h36m_clips` for sampling and cropping.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from vidpose.argtypes import positive_int
from vidpose.atomic import check_writable, replace_dir
from vidpose.errors import UserError
from vidpose.sources.h36m_cameras import CAMERA_IDS, add_camera_arguments, load_intrinsics
from vidpose.sources.h36m_clips import add_clip_arguments, every_for, image_size
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

PREPARE_NAME = "h36m"
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


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        PREPARE_NAME,
        help="the official Human3.6M release (CDF poses + mp4 videos) → OUT/train, OUT/test",
        description=__doc__.split("\n\n")[0].replace("``", ""),
    )
    parser.add_argument("raw_dir", type=Path, metavar="RAW_DIR", help="folder holding S1, S5, …")
    parser.add_argument("out", type=Path, metavar="OUT", help="output folder for train/ and test/")
    parser.add_argument("--size", type=image_size, default=224, help="stored frame side (224)")
    add_clip_arguments(parser)
    add_camera_arguments(
        parser,
        calibration_help="metadata.xml or a JSON {camera: {fx, fy, cx, cy}} (default: "
        "RAW_DIR/metadata.xml, else the public calibration)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=min(4, os.cpu_count() or 1),
        help="sequences converted in parallel",
    )
    parser.set_defaults(run=run)


def _warn(message: str) -> None:
    from tqdm import tqdm

    tqdm.write(f"vidpose prepare: warning: {message}", file=sys.stderr)


def _collect_jobs(args) -> tuple[list[tuple[SequenceFiles, str]], list[Skipped]]:
    train = check_subjects(args.train_subjects, "--train-subjects")
    test = check_subjects(args.test_subjects, "--test-subjects")
    explicit = args.subjects is not None
    subjects = check_subjects(args.subjects, "--subjects") if explicit else train + test
    unknown = [camera for camera in args.cameras if camera not in CAMERA_IDS]
    if unknown:
        raise UserError(f"--cameras: unknown camera {unknown[0]} (known: {', '.join(CAMERA_IDS)})")
    jobs, skipped = [], []
    for subject in subjects:
        split = split_of(subject, train, test)
        if not (args.raw_dir / subject).is_dir():
            if explicit:
                raise UserError(f"{args.raw_dir / subject}: subject folder missing")
            skipped.append(Skipped(str(args.raw_dir / subject), "subject folder missing"))
            continue
        try:
            found, problems = scan_subject(args.raw_dir, subject, list(args.cameras))
        except UserError as error:  # no pose folder: fatal only for a subject asked for by name
            if explicit:
                raise
            skipped.append(Skipped(str(args.raw_dir / subject), str(error)))
            continue
        jobs += [(files, split) for files in found]
        skipped += problems
    return jobs, skipped


def _convert_all(
    pending: list[tuple[SequenceFiles, Settings]], work_dir: Path, workers: int
) -> list[SequenceResult]:
    from vidpose.progress import progress_bar

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
    from vidpose.progress import progress_bar
    from vidpose.store import StoreWriter

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


def run(args) -> int:
    require_cdflib()
    raw_dir, out = args.raw_dir, args.out
    if not raw_dir.is_dir():
        raise UserError(f"{raw_dir}: Human3.6M folder does not exist")
    if out.exists() and not args.overwrite:
        raise UserError(f"{out}: already exists (use --overwrite to replace it)")
    check_writable(out)
    jobs, skipped = _collect_jobs(args)
    intrinsics, intrinsics_from = load_intrinsics(args.calibration, raw_dir)
    work_dir = out.with_name(out.name + ".partial")
    sequences_dir = work_dir / "sequences"

    every = {
        split: every_for(split, args.frames, args.stride, args.every, args.full_rate)
        for split in ("train", "test")
    }
    planned: list[tuple[SequenceFiles, str, Settings]] = []
    for files, split in jobs:
        if files.camera not in intrinsics:
            skipped.append(Skipped(str(files.poses3d_cdf), f"no intrinsics ({intrinsics_from})"))
            continue
        settings = Settings(
            args.size, args.frames, args.stride, every[split], tuple(intrinsics[files.camera])
        )
        planned.append((files, split, settings))
    if not planned:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:2]) or "no .cdf files"
        raise UserError(f"{raw_dir}: no sequence can be converted ({reasons})")

    done = {files: load_finished(sequences_dir, files, s) for files, _, s in planned}
    pending = [(files, s) for files, _, s in planned if done[files] is None]
    if len(pending) < len(planned):
        print(f"resuming: {len(planned) - len(pending)} sequences already converted")
    warnings: list[str] = []
    for result in _convert_all(pending, sequences_dir, args.workers):
        warnings += result.warnings
        if result.skipped is None:
            done[result.files] = {"poses2d_from": result.poses2d_from}
        else:
            skipped.append(Skipped(*result.skipped))
    for item in skipped:
        _warn(f"skipped {item.path}: {item.reason}")
    for message in warnings:
        _warn(message)

    stores_dir = work_dir / "stores"
    shutil.rmtree(stores_dir, ignore_errors=True)  # an interrupted assembly's leftovers
    counts = {}
    for split in ("train", "test"):
        finished = sorted(
            (files for files, s, _ in planned if s == split and done[files] is not None),
            key=lambda f: (f.subject, f.action, f.sequence, f.camera),
        )
        if not finished:
            _warn(f"no {split} clips: {split} store not written")
            continue
        from_2d = Counter(done[files]["poses2d_from"] for files in finished)
        meta = {
            "size": args.size,
            "frames": args.frames,
            "stride": args.stride,
            "source": {
                "kind": "h36m",
                "raw_dir": str(raw_dir.resolve()),
                "poses3d_from": "D3_Positions_mono",
                "poses2d_from": dict(sorted(from_2d.items())),  # 2D source → sequences
                "intrinsics_from": intrinsics_from,
                "crop": "one square per clip: bounding box of its 2D joints, longer side x 1.2",
                "every": every[split],
                "subjects": sorted({files.subject for files in finished}),
            },
            "extra": {
                "crop_convention": CROP_CONVENTION,
                "skipped": [item.as_dict() for item in skipped],
                "warnings": warnings,
            },
        }
        counts[split] = _assemble(stores_dir / split, finished, sequences_dir, meta)
    if not counts:
        raise UserError(f"{raw_dir}: nothing could be converted (see the warnings above)")
    replace_dir(stores_dir, out)
    shutil.rmtree(work_dir, ignore_errors=True)
    summary = ", ".join(f"{split} {count} clips" for split, count in counts.items())
    print(f"wrote {out}: {summary}; {len(skipped)} files skipped")
    return 0
