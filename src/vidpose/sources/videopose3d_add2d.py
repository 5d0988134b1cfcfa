"""``vidpose prepare add-2d OUT NAME=FILE ...``: attach VideoPose3D 2D files to existing stores.

Adds each file as 2D source NAME to ``OUT/train`` and ``OUT/test`` made by ``vidpose prepare
videopose3d``, checked against the 3D file those stores came from exactly as ``prepare
videopose3d --2d NAME=FILE`` would. Both splits and all files are read and checked before
anything is written; each store then gains its keypoints file, then its meta.json entry.
"""

from __future__ import annotations

import sys
from pathlib import Path

from vidpose.errors import UserError
from vidpose.sequences import add_2d_source, open_sequences
from vidpose.sources.videopose3d import add_2d_arguments, load_named_2d
from vidpose.sources.videopose3d_files import (
    assemble_2d,
    check_against_3d,
    parse_named_file,
)

PREPARE_NAME = "add-2d"


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        PREPARE_NAME,
        help="attach VideoPose3D 2D files (NAME=FILE) to the stores of `prepare videopose3d`",
        description=__doc__.split("\n\n")[0].replace("``", ""),
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="folder holding train/ and test/")
    parser.add_argument(
        "named", type=parse_named_file, nargs="*", metavar="NAME=FILE", help="2D files to add"
    )
    add_2d_arguments(parser)
    parser.add_argument("--replace", action="store_true", help="replace sources of that name")
    parser.set_defaults(run=run)


def run(args) -> int:
    named = list(args.named) + list(args.files_2d)
    if not named:
        raise UserError("add-2d: give at least one NAME=FILE")
    if args.default_2d is not None and args.default_2d not in [n for n, _ in named]:
        raise UserError(f"--default-2d: {args.default_2d!r} is not one of the files being added")
    splits = [args.out / split for split in ("train", "test") if (args.out / split).is_dir()]
    if not splits:
        raise UserError(f"{args.out}: no train/ or test/ store (made by prepare videopose3d)")
    stores = [open_sequences(path) for path in splits]
    for store in stores:
        if store.meta.get("source") != "videopose3d" or "videopose3d" not in store.meta:
            raise UserError(f"{store.path}: not a store made by `vidpose prepare videopose3d`")
    files_2d = load_named_2d(named, args.layouts)

    arrays = []
    for store in stores:
        record = store.meta["videopose3d"]
        for file2d in files_2d:
            if file2d.name in store.sources_2d and not args.replace:
                raise UserError(
                    f"{store.path}: already has a 2D source {file2d.name!r} (use --replace)"
                )
            check_against_3d(file2d, record["sequences_3d"], store.subjects)
            array, missing = assemble_2d(file2d, store.sequences, store.num_frames)
            arrays.append((store, file2d, array, missing))

    for store, file2d, array, missing in arrays:
        for index in missing:
            info = store.sequences[index]
            print(
                f"vidpose prepare: warning: {file2d.path} has no {info.subject}/{info.sequence} "
                f"camera {info.camera}: 2D source {file2d.name!r} has zero confidence there",
                file=sys.stderr,
            )
        add_2d_source(
            store.path,
            file2d.name,
            array,
            file2d.layout,
            missing=missing,
            has_confidence=file2d.has_confidence,
            replace=args.replace,
            make_default=file2d.name == args.default_2d,
            describe={"path": str(file2d.path.resolve()), "layout_from": file2d.layout_from},
        )
    added = ", ".join(f"{f.name} ({f.layout})" for f in files_2d)
    print(f"added to {', '.join(str(s.path) for s in stores)}: {added}")
    return 0
