"""``vidpose prepare videopose3d DATA_3D.npz [DATA_2D.npz] OUT``: VideoPose3D's pose files →
sequence stores (:func:`vidpose.sources.videopose3d.convert`)."""

from __future__ import annotations

from pathlib import Path

from vidpose.cli.prepare_shared import (
    add_2d_arguments,
    add_camera_arguments,
    add_split_arguments,
    describe_2d,
    print_messages,
)


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        "videopose3d",
        help="VideoPose3D's data_3d_h36m.npz + 2D files → sequence stores OUT/train, OUT/test",
        description="Convert VideoPose3D's data_3d_h36m.npz and 2D files (ground truth, CPN, "
        "Stacked Hourglass, Detectron) into the sequence stores OUT/train and OUT/test: every "
        "frame of every sequence, in each camera's frame, for the lifting track.",
    )
    parser.add_argument("data_3d", type=Path, metavar="DATA_3D.npz")
    parser.add_argument("paths", type=Path, nargs="+", metavar="[DATA_2D.npz] OUT")
    add_2d_arguments(parser)
    add_split_arguments(parser)
    add_camera_arguments(
        parser,
        calibration_help="metadata.xml or JSON intrinsics (default: the public calibration)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        metavar="METRES_PER_UNIT",
        help="unit of DATA_3D.npz (default: metres, or the unit its leg length shows, e.g. "
        "millimetres: 0.001)",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.infra.errors import UserError
    from vidpose.sources.videopose3d import convert

    if len(args.paths) > 2:
        raise UserError("expected DATA_3D.npz [DATA_2D.npz] OUT, got more paths")
    data_2d, out = (None, args.paths[0]) if len(args.paths) == 1 else args.paths
    summary = convert(
        args.data_3d,
        out,
        data_2d,
        files_2d=args.files_2d,
        layouts=args.layouts,
        default_2d=args.default_2d,
        subjects=args.subjects,
        train_subjects=args.train_subjects,
        test_subjects=args.test_subjects,
        cameras=args.cameras,
        calibration=args.calibration,
        scale=args.scale,
        overwrite=args.overwrite,
    )
    print_messages(summary)
    splits = "; ".join(
        f"{split} {sequences} sequences, {frames} frames"
        for split, (sequences, frames) in summary.splits.items()
    )
    print(
        f"wrote {summary.out}: {splits}; 3D units: {summary.units_3d}; "
        f"2D sources: {describe_2d(summary.sources_2d)}"
    )
    return 0
