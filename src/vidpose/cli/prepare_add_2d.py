"""``vidpose prepare add-2d OUT NAME=FILE ...``: attach VideoPose3D 2D files to the stores of
``prepare videopose3d`` (:func:`vidpose.sources.videopose3d_add2d.add_2d`)."""

from __future__ import annotations

from pathlib import Path

from vidpose.cli.prepare_shared import add_2d_arguments, describe_2d, named_file, print_messages


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        "add-2d",
        help="attach VideoPose3D 2D files (NAME=FILE) to the stores of `prepare videopose3d`",
        description="Attach VideoPose3D 2D files to the stores OUT/train and OUT/test made by "
        "`vidpose prepare videopose3d`, as named 2D sources.",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="folder holding train/ and test/")
    parser.add_argument(
        "named", type=named_file, nargs="*", metavar="NAME=FILE", help="2D files to add"
    )
    add_2d_arguments(parser)
    parser.add_argument("--replace", action="store_true", help="replace sources of that name")
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.sources.videopose3d_add2d import add_2d

    summary = add_2d(
        args.out,
        list(args.named) + list(args.files_2d),
        layouts=args.layouts,
        default_2d=args.default_2d,
        replace=args.replace,
    )
    print_messages(summary)
    stores = ", ".join(str(path) for path in summary.stores)
    print(f"added to {stores}: {describe_2d(summary.sources_2d)}")
    return 0
