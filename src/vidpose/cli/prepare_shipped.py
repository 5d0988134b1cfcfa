"""``vidpose prepare shipped`` and ``vidpose prepare shipped-weights``: the shipped lifter's
training data and its weights file (vidpose.lifting.shipped_data; recipe in docs/video.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vidpose.cli.argtypes import add_overwrite_option, comma_names, fraction, non_negative_int

SHIPPED_EPILOG = """\
every sequence of every ROOT (its train and test splits) goes to OUT/dev when its subject is
one of --dev-subjects, to OUT/test when one of --test-subjects, else to OUT/train. Each split
gets the 2D sources gt (exact projections), coco (COCO-17 from the 3D as a detector gives it:
joints outside the image missing), h36m (gt so) and mixed (per sequence coco mapped to the 17
joints, or h36m; the default).

example (the Makefile's shipped-lifter target):
  vidpose synth data/lifter/builtin --poses-only --cameras mix
  vidpose synth data/lifter/cmu --poses-only --cameras mix --motion cmu.npz
  vidpose prepare shipped data/lifter/joined data/lifter/builtin data/lifter/cmu \\
      --dev-subjects cmu14,cmu49,cmu08 --cmu-index data/cmu_bulk/INDEX.tsv
"""


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        "shipped",
        help="the shipped lifter's data: synth --poses-only stores joined, split by subject, "
        "with detector-like 2D",
        description="Join synth --poses-only stores into the shipped lifter's training data.",
        epilog=SHIPPED_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="output folder (train/ test/ dev/)")
    parser.add_argument("roots", type=Path, nargs="+", metavar="ROOT", help="synth outputs")
    parser.add_argument(
        "--test-subjects",
        type=comma_names("subject"),
        default=None,
        metavar="A,B",
        help="default S9,S11",
    )
    parser.add_argument(
        "--dev-subjects",
        type=comma_names("subject"),
        default=[],
        metavar="A,B",
        help="held out in OUT/dev",
    )
    parser.add_argument(
        "--cmu-index", type=Path, metavar="INDEX.tsv", help="CMU takes' activity groups as actions"
    )
    parser.add_argument(
        "--coco-share",
        type=fraction,
        default=0.5,
        metavar="P",
        help="share of sequences whose mixed 2D is coco (default 0.5)",
    )
    parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    add_overwrite_option(parser)
    parser.set_defaults(run=run_shipped)

    weights = subparsers.add_parser(
        "shipped-weights",
        help="a lifter run's last.pt without its training state (the shipped weights file)",
        description="Write RUN/last.pt as an inference checkpoint: model and configs only.",
    )
    weights.add_argument("run_dir", type=Path, metavar="RUN", help="the training run folder")
    weights.add_argument("out", type=Path, metavar="OUT.pt", help="the weights file to write")
    add_overwrite_option(weights)
    weights.set_defaults(run=run_weights)


def run_shipped(args) -> int:
    from vidpose.lifting.shipped_data import join_stores
    from vidpose.pose import skeleton

    stores = join_stores(
        args.out,
        args.roots,
        test_subjects=args.test_subjects or skeleton.TEST_SUBJECTS,
        dev_subjects=args.dev_subjects,
        cmu_index=args.cmu_index,
        seed=args.seed,
        coco_share=args.coco_share,
        overwrite=args.overwrite,
    )
    for split, store in stores.items():
        print(
            f"wrote {args.out / split}: {len(store)} sequences, {store.num_frames} frames, "
            f"subjects {', '.join(store.subjects)}"
        )
    return 0


def run_weights(args) -> int:
    from vidpose.infra.atomic import check_output
    from vidpose.infra.errors import UserError
    from vidpose.models.settings import LIFTER
    from vidpose.runs.checkpoint import load_model, require_kind, save_inference_checkpoint

    if args.out.suffix != ".pt":
        raise UserError(f"{args.out}: the weights file must end in .pt")
    last = args.run_dir / "last.pt"
    if not last.is_file():
        raise UserError(f"{args.run_dir}: no last.pt (not a finished training run)")
    check_output(args.out, overwrite=args.overwrite, inputs=(last,))
    require_kind(load_model(last)[0], LIFTER, last, "vidpose prepare shipped-weights")
    path = save_inference_checkpoint(last, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0
