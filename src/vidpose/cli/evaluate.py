"""``vidpose evaluate RUN_DIR_OR_CHECKPOINT --data STORE``: the four protocols on a test store.

An image model is scored on a clip store (every clip); a lifter (``model.lifter``) on a
sequence store, by the field's protocol (every frame of every evaluation sequence, all cameras,
sequence ends padded; vidpose.lifting.evaluate). Prints the evaluation table of
:mod:`vidpose.evaluation` (P1, P2, N-MPJPE, MPJVE; frame and action averages; per action,
subject and joint) with the training-set mean-pose baseline beside every headline number;
``--json OUT.json`` also writes the report for machines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vidpose.argtypes import add_overwrite_option
from vidpose.errors import UserError

ORDER = 45


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a trained model on a clip store (P1, P2, N-MPJPE, MPJVE, mean-pose baseline)",
        description=(
            "Predict every clip of a store with a trained model and report P1 MPJPE, "
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


def train_mean_pose(store_path: Path, checkpoint: dict[str, Any]) -> tuple[Any, str | None]:
    """The baseline's mean pose (17, 3) metres and where it came from, or (None, None).

    The sibling ``train`` store is the definition; a checkpoint's ``target_mean`` buffer is the
    same mean when the run normalised its targets, and all zeros (unknown) otherwise.
    """
    from vidpose.baselines import mean_training_pose
    from vidpose.store import open_store

    sibling = store_path.resolve().parent / "train"
    if sibling.is_dir():
        train = open_store(sibling)
        return mean_training_pose(train.poses3d), (f"train store {sibling}")
    return checkpoint_mean_pose(checkpoint)


def checkpoint_mean_pose(checkpoint: dict[str, Any]) -> tuple[Any, str | None]:
    """The checkpoint's ``target_mean`` (17, 3) as the baseline's mean pose, or (None, None)
    when the run did not normalise its targets (all zeros)."""
    import numpy as np

    target_mean = checkpoint.get("model", {}).get("target_mean")
    if target_mean is not None:
        mean = np.asarray(target_mean.detach().cpu().numpy(), dtype=np.float64)
        if mean.shape == (17, 3) and np.abs(mean).max() > 0:
            return mean, "the checkpoint's target_mean (no sibling train store)"
    return None, None


def store_format(path: Path) -> str | None:
    """The ``format`` named in ``path``/meta.json (clip or sequence store), or None."""
    try:
        meta = json.loads((path / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    return meta.get("format") if isinstance(meta, dict) else None


def sequence_mean_pose(store_path: Path, checkpoint: dict[str, Any]) -> tuple[Any, str | None]:
    """``train_mean_pose`` for sequence stores: the sibling ``train`` sequence store's mean
    pose, else the checkpoint's target mean, else (None, None)."""
    from vidpose.baselines import mean_training_pose
    from vidpose.sequences import open_sequences

    sibling = store_path.resolve().parent / "train"
    if store_format(sibling) == SEQUENCE_FORMAT:
        train = open_sequences(sibling)
        return mean_training_pose(train.poses3d), f"train store {sibling}"
    return checkpoint_mean_pose(checkpoint)


SEQUENCE_FORMAT = "vidpose-sequences"


def check_model_fits_store(lifter: bool, store_path: Path, checkpoint_path: Path) -> None:
    """A lifter reads 2D keypoint sequences, an image model frames: refuse the other store."""
    kind = store_format(store_path)
    if lifter and kind != SEQUENCE_FORMAT:
        raise UserError(
            f"{store_path}: not a pose-sequence store, but {checkpoint_path} is a lifter that "
            "reads 2D keypoint sequences (make one with vidpose prepare videopose3d or "
            "vidpose synth --poses-only)"
        )
    if not lifter and kind == SEQUENCE_FORMAT:
        raise UserError(
            f"{store_path}: a pose-sequence store (2D keypoints, no frames), but "
            f"{checkpoint_path} is an image model; evaluate it on a clip store with frames"
        )


def run(args) -> int:
    from vidpose.atomic import check_output, user_error_on_write, write_json_atomic
    from vidpose.checkpoint import load_model
    from vidpose.devices import resolve_device
    from vidpose.engine.predict import recipe_flip_test
    from vidpose.evaluation import format_report
    from vidpose.models import is_lifter

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
    lifter = is_lifter(model)
    check_model_fits_store(lifter, store_path, checkpoint_path)
    if args.keypoints is not None and not lifter:
        raise UserError("--keypoints: only for lifters; this checkpoint is an image model")
    flip_test = recipe_flip_test(checkpoint) if args.flip_test is None else args.flip_test
    if lifter:
        report = _evaluate_lifter(args, model, checkpoint, store_path, device, flip_test)
    else:
        report = _evaluate_clips(args, model, checkpoint, checkpoint_path, device, flip_test)
    report["context"] = {
        "checkpoint": str(checkpoint_path),
        "data": str(store_path),
        "flip_test": flip_test,
        "epoch": checkpoint.get("epoch"),
        "step": checkpoint.get("step"),
    }
    if "keypoints" in report:
        report["context"]["keypoints"] = report["keypoints"]
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


def _evaluate_lifter(args, model, checkpoint, store_path: Path, device, flip_test: bool) -> dict:
    from vidpose.lifting.evaluate import evaluate_lifter
    from vidpose.sequences import open_sequences

    store = open_sequences(store_path)
    config = checkpoint.get("config") or {}
    source = args.keypoints or (config.get("data") or {}).get("keypoints")
    if source is not None and source not in store.sources_2d:
        given = "--keypoints" if args.keypoints else "the run's data.keypoints"
        raise UserError(
            f"{store_path}: no 2D source {source!r} ({given}); this store has "
            f"{', '.join(store.sources_2d)} (choose one with --keypoints NAME)"
        )
    mean_pose, mean_pose_source = sequence_mean_pose(store_path, checkpoint)
    report = evaluate_lifter(
        model,
        store,
        source,
        device=device,
        batch_size=args.batch_size,
        flip_test=flip_test,
        train_mean_pose=mean_pose,
        baseline_source=mean_pose_source,
    )
    return report


def _evaluate_clips(args, model, checkpoint, checkpoint_path, device, flip_test: bool) -> dict:
    from vidpose.engine.predict import predict_store
    from vidpose.evaluation import evaluate_predictions
    from vidpose.store import open_store

    store_path = Path(args.data)
    store = open_store(store_path)
    if not store.has_frames:
        raise UserError(f"{store_path}: a pose-only store (no frames.npy); evaluate needs frames")
    clip_frames = int(checkpoint["clip_frames"])
    if store.frames_per_clip != clip_frames:
        raise UserError(
            f"{store_path}: clips of {store.frames_per_clip} frames, but {checkpoint_path} "
            f"was trained on {clip_frames}-frame clips"
        )
    mean_pose, mean_pose_source = train_mean_pose(store_path, checkpoint)

    predictions = predict_store(
        model, store, batch_size=args.batch_size, device=device, flip_test=flip_test
    )
    report = evaluate_predictions(
        predictions, store.poses3d, store.clips, mean_pose, baseline_source=mean_pose_source
    )
    return report
