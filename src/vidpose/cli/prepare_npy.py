"""``vidpose prepare npy X.npy Y.npy OUT``: the course report's arrays → a clip store
(:func:`vidpose.sources.npy.convert`)."""

from __future__ import annotations

from pathlib import Path

from vidpose.cli.argtypes import add_overwrite_option


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        "npy",
        help="the report's X.npy (clips) and Y.npy (3D poses) arrays",
        description=(
            "Convert X.npy, (N, T, H, W, 3) RGB clips (uint8, or float in [0, 1] or [0, 255]), "
            "and Y.npy, (N, T, 17, 3) joint positions in metres, into the clip store OUT. "
            "Without a camera, poses2d.npy is a weak-perspective fit of the 3D poses into the "
            "frame (see meta.json)."
        ),
    )
    parser.add_argument("x", type=Path, metavar="X.npy", help="clips (N, T, H, W, 3)")
    parser.add_argument("y", type=Path, metavar="Y.npy", help="3D poses (N, T, 17, 3), metres")
    parser.add_argument("out", type=Path, metavar="OUT", help="clip store directory to write")
    parser.add_argument(
        "--meta",
        type=Path,
        metavar="CLIPS.csv",
        help="per-clip labels: subject,action[,camera,sequence,start_frame]",
    )
    add_overwrite_option(parser)
    parser.add_argument(
        "--fps", type=float, default=50.0, help="frame rate of the clips (default 50)"
    )
    parser.add_argument(
        "--x-range",
        choices=("auto", "unit", "byte"),
        default="auto",
        help="range of float X: [0, 1] (unit), [0, 255] (byte) or decided from the data (auto)",
    )
    parser.add_argument(
        "--chunk-mb",
        type=float,
        default=256.0,
        help="most megabytes of X read at once (default 256)",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.cli.prepare_shared import print_messages
    from vidpose.sources.npy import convert

    summary = convert(
        args.x,
        args.y,
        args.out,
        meta=args.meta,
        fps=args.fps,
        x_range=args.x_range,
        chunk_mb=args.chunk_mb,
        overwrite=args.overwrite,
    )
    print_messages(summary)
    kept = "pelvis kept in root.npy" if summary.root_kept else "Y was root-relative"
    print(
        f"wrote {summary.out}: {summary.clips} clips x {summary.frames} frames of "
        f"{summary.width}x{summary.height} pixels ({kept})"
    )
    return 0
