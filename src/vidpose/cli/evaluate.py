"""``vidpose evaluate RUN_DIR_OR_CHECKPOINT --data STORE``: the four protocols on a test store.

The checkpoint tells the track (vidpose.tracks), which scores it on a store of its kind: an
image model on a clip store (every clip), a lifter on a sequence store by the field's protocol
(every frame of every evaluation sequence, all cameras, sequence ends padded;
vidpose.lifting.sequence_evaluation); a store of the other kind is a one-line error. Prints the
evaluation table of :mod:`vidpose.pose.evaluation` (P1, P2, N-MPJPE, MPJVE; frame and action
averages; per action, subject and joint) with the training-set mean-pose baseline beside every
headline number; ``--json OUT.json`` also writes the report for machines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vidpose.cli.argtypes import add_overwrite_option
from vidpose.infra.errors import UserError

ORDER = 45


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a trained model on a store of its kind (P1, P2, N-MPJPE, MPJVE, mean-pose "
        "baseline)",
        description=(
            "Predict every clip of a clip store with an image model, or every frame of every "
            "evaluation sequence of a pose-sequence store with a lifter, and report P1 MPJPE, "
            "P2 P-MPJPE, N-MPJPE and MPJVE in mm: frame average and action average (the "
            "unweighted mean over actions, as papers report), per action, per subject and per "
            "joint, with the training-set mean-pose baseline beside each headline number. The "
            "mean pose comes from the store's sibling 'train' store when there is one, else "
            "from the target mean recorded in the checkpoint."
        ),
    )
    parser.add_argument(
        "model",
        metavar="RUN_DIR_OR_CHECKPOINT",
        help="a run folder (uses best.pt, else last.pt) or a checkpoint file",
    )
    parser.add_argument(
        "--data",
        required=True,
        metavar="STORE",
        help="store to evaluate on: a clip store (image models) or a sequence store (lifters)",
    )
    parser.add_argument(
        "--keypoints",
        metavar="NAME",
        help="lifters: the sequence store's 2D source to lift (default: the one the run was "
        "trained on, else the store's default)",
    )
    parser.add_argument(
        "--json",
        metavar="OUT.json",
        help="also write the report as JSON ('-': print it to stdout as one JSON object, "
        "and the table to stderr)",
    )
    add_overwrite_option(parser)
    parser.add_argument("--batch-size", type=int, default=16, metavar="B", help="clips per batch")
    parser.add_argument(
        "--device", default="auto", metavar="D", help="cpu, cuda, cuda:1, ... (default: auto)"
    )
    parser.add_argument(
        "--flip-test",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="average each prediction with the one on horizontally mirrored frames (default: "
        "as the checkpoint's eval.flip_test, the way its run was scored)",
    )
    parser.set_defaults(run=run)


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file, or a run folder's best.pt (else last.pt)."""
    path = Path(path)
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).is_file():
                return path / name
        raise UserError(f"{path}: no best.pt or last.pt in this folder (not a finished run?)")
    if not path.exists():
        raise UserError(f"{path}: no such run folder or checkpoint")
    return path


def run(args) -> int:
    from vidpose.engine.clip_inference import recipe_flip_test
    from vidpose.infra.atomic import check_output, user_error_on_write, write_json_atomic
    from vidpose.infra.devices import resolve_device
    from vidpose.pose.evaluation import format_report, report_context
    from vidpose.runs.checkpoint import load_model
    from vidpose.tracks import checkpoint_track, require_same_track, store_track
    from vidpose.tracks.track import EvaluateOptions

    if args.batch_size < 1:
        raise UserError(f"--batch-size: must be at least 1, got {args.batch_size}")
    if args.json and args.json != "-":
        # before predicting every clip, not after
        check_output(
            args.json, overwrite=args.overwrite, inputs=(args.model, args.data), what="--json"
        )
    device = resolve_device(args.device)
    checkpoint_path = resolve_checkpoint(args.model)
    model, checkpoint = load_model(checkpoint_path)
    store_path = Path(args.data)
    track = checkpoint_track(checkpoint)
    require_same_track(track, store_track(store_path), checkpoint_path, store_path)
    flip_test = recipe_flip_test(checkpoint) if args.flip_test is None else args.flip_test
    options = EvaluateOptions(device, args.batch_size, flip_test, args.keypoints)
    report = track.evaluate(model, checkpoint, checkpoint_path, store_path, options)
    report["context"] = report_context(
        checkpoint_path,
        store_path,
        flip_test,
        checkpoint.get("epoch"),
        checkpoint.get("step"),
        keypoints=report.get("keypoints"),
    )
    table = format_report(report)
    if args.json == "-":
        print(table, file=sys.stderr, end="")
        print(json.dumps(report, allow_nan=False))
        return 0
    print(table, end="")
    if args.json:
        with user_error_on_write(args.json):
            write_json_atomic(args.json, report)
        print(f"wrote {args.json}")
    return 0
