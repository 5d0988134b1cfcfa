"""``vidpose info STORE [--json] [--train OTHER]``: describe a store without loading frames.

A clip store or a pose-sequence store (each track describes its own, vidpose.tracks). Besides
counts, shapes and labels it prints pose statistics and, whenever a training store is at hand,
the mean-pose baseline: the test MPJPE of predicting the training set's average pose for every
frame, the number any trained model has to beat.
"""

from __future__ import annotations

import json
from pathlib import Path

from vidpose.infra.errors import UserError

ORDER = 15


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "info",
        help="describe a store: clips or sequences, labels, pose statistics, mean-pose baseline",
        description=(
            "Describe a clip store or a pose-sequence store (frames are not read). For a store "
            "named train or test whose sibling split exists, or with --train, also print the "
            "mean-pose baseline."
        ),
    )
    parser.add_argument("store", type=Path, metavar="STORE", help="a store directory")
    parser.add_argument(
        "--train",
        type=Path,
        metavar="OTHER_STORE",
        help="training store for the mean-pose baseline on STORE (default: sibling ../train)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.tracks import store_track

    track = store_track(args.store)
    if args.train is not None:
        if not args.train.is_dir():
            raise UserError(f"{args.train}: --train is not a store directory")
        other = store_track(args.train)
        if other is not track:
            raise UserError(
                f"--train {args.train}: a {other.store_noun}, but {args.store} is a "
                f"{track.store_noun}"
            )
    info = track.describe(args.store, args.train)
    print(json.dumps(info) if args.json else track.format_info(info))
    return 0
