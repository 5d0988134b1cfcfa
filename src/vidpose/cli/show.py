"""``vidpose show STORE --out sheet.png``: a contact sheet of a store: a clip store's clips, or a
pose-sequence store's sequences (their 2D keypoints on grey, frames spread along each)."""

from __future__ import annotations

from pathlib import Path

from vidpose.cli.argtypes import add_overwrite_option, int_in_range

ORDER = 15
SUFFIXES = (".png", ".jpg", ".jpeg")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "show",
        help="draw a contact sheet of a store (rows = clips or sequences, columns = frames)",
        description=(
            "Draw a contact sheet of STORE. A clip store: one row per clip (spread over the "
            "actions), one column per frame, labels on the left, and the stored 2D skeleton "
            "over every other row (left side blue, right side red). A pose-sequence store: one "
            "row per sequence, its default 2D source at frames spread along it, on grey."
        ),
    )
    parser.add_argument("store", metavar="STORE", help="a store directory, e.g. data/x/test")
    parser.add_argument("--out", required=True, help="image to write (.png or .jpg)")
    parser.add_argument(
        "--clips", type=int_in_range(1, 200), default=8, help="rows: clips or sequences (default 8)"
    )
    parser.add_argument("--tile", type=int_in_range(1, 200), help="pixels per frame on the sheet")
    parser.add_argument(
        "--colors",
        type=int_in_range(2, 256),
        help="write a palette PNG of this many colours (2-256): much smaller files",
    )
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.clips.contact_sheet import write_image
    from vidpose.infra.atomic import check_output, user_error_on_write
    from vidpose.infra.errors import UserError
    from vidpose.tracks import store_track

    out = Path(args.out)
    if out.suffix.lower() not in SUFFIXES:
        raise UserError(f"--out {out}: use a .png or .jpg file name")
    if out.is_dir():
        raise UserError(f"--out {out}: is a directory")
    check_output(out, overwrite=args.overwrite, inputs=(args.store,), what="--out")
    track = store_track(args.store)
    store = track.open_store(args.store)
    sheet, rows = track.contact_sheet(store, args.clips, args.tile and max(args.tile, 16))
    with user_error_on_write(out):
        write_image(out, sheet, colors=args.colors)
    print(f"wrote {out}: {sheet.shape[1]}x{sheet.shape[0]} px, {rows} {track.row_noun}s")
    return 0
