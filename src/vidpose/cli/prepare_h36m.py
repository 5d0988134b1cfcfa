"""``vidpose prepare h36m RAW_DIR OUT``: the official Human3.6M release → clip stores
(:func:`vidpose.sources.h36m.convert`)."""

from __future__ import annotations

import os
from pathlib import Path

from vidpose.cli.argtypes import int_in_range, positive_int
from vidpose.cli.prepare_shared import add_camera_arguments, add_split_arguments, print_messages
from vidpose.sources.h36m_clips import DEFAULT_EVERY, MAX_SIZE, MIN_SIZE


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        "h36m",
        help="the official Human3.6M release (CDF poses + mp4 videos) → OUT/train, OUT/test",
        description="Convert the official Human3.6M release (CDF poses and mp4 videos) into the "
        "clip stores OUT/train and OUT/test: person crops, 3D poses in the camera frame, 2D "
        "joints, crops and intrinsics. Interrupted runs resume.",
    )
    parser.add_argument("raw_dir", type=Path, metavar="RAW_DIR", help="folder holding S1, S5, …")
    parser.add_argument("out", type=Path, metavar="OUT", help="output folder for train/ and test/")
    parser.add_argument(
        "--size", type=int_in_range(MIN_SIZE, MAX_SIZE), default=224, help="stored frame side (224)"
    )
    parser.add_argument("--frames", type=positive_int, default=8, help="frames per clip (8)")
    parser.add_argument(
        "--stride",
        type=positive_int,
        default=4,
        help="source frames (50 fps) between clip frames (4: 12.5 fps, as `synth --preset h36m`)",
    )
    parser.add_argument(
        "--every",
        type=positive_int,
        default=None,
        metavar="K",
        help=f"a clip starts every K source frames (default: train {DEFAULT_EVERY['train']}, "
        f"test {DEFAULT_EVERY['test']}: about the report's 5,964 / 1,368 clips)",
    )
    parser.add_argument(
        "--full-rate",
        action="store_true",
        help="clips back to back (K = frames × stride): every sequence covered end to end",
    )
    add_split_arguments(parser)
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


def run(args) -> int:
    from vidpose.sources.h36m import ClipOptions, convert

    summary = convert(
        args.raw_dir,
        args.out,
        options=ClipOptions(args.size, args.frames, args.stride, args.every, args.full_rate),
        subjects=args.subjects,
        train_subjects=args.train_subjects,
        test_subjects=args.test_subjects,
        cameras=args.cameras,
        calibration=args.calibration,
        workers=args.workers,
        overwrite=args.overwrite,
    )
    print_messages(summary)
    clips = ", ".join(f"{split} {count} clips" for split, count in summary.clips.items())
    resumed = (
        f"; {summary.resumed} sequences reused from an interrupted run" if summary.resumed else ""
    )
    print(f"wrote {summary.out}: {clips}; {summary.skipped} files skipped{resumed}")
    return 0
