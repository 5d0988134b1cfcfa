"""``vidpose evaluate RUN_DIR_OR_CHECKPOINT --data STORE``: the four protocols on a test store.

Prints the evaluation table of :mod:`vidpose.evaluation` (P1, P2, N-MPJPE, MPJVE; frame and
action averages; per action, subject and joint) with the training-set mean-pose baseline beside
every headline number; ``--json OUT.json`` also writes the report for machines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

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
        "--data", required=True, metavar="STORE", help="clip store to evaluate on (with frames)"
    )
    parser.add_argument(
        "--json",
        metavar="OUT.json",
        help="also write the report as JSON ('-': print it to stdout as one JSON object, "
        "and the table to stderr)",
    )
    parser.add_argument("--batch-size", type=int, default=16, metavar="B", help="clips per batch")
    parser.add_argument(
        "--device", default="auto", metavar="D", help="cpu, cuda, cuda:1, ... (default: auto)"
    )
    parser.add_argument(
        "--flip-test",
        action="store_true",
        help="average each prediction with the one on horizontally mirrored frames",
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


def resolve_device(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise UserError(f"--device: {name!r} is not a device name (cpu, cuda, cuda:N)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"--device: {name!r} asked for, but CUDA is not available here")
    return device


def train_mean_pose(store_path: Path, checkpoint: dict[str, Any]) -> tuple[Any, str | None]:
    """The baseline's mean pose (17, 3) metres and where it came from, or (None, None).

    The sibling ``train`` store is the definition; a checkpoint's ``target_mean`` buffer is the
    same mean when the run normalised its targets, and all zeros (unknown) otherwise.
    """
    import numpy as np

    from vidpose.store import open_store

    sibling = store_path.resolve().parent / "train"
    if sibling.is_dir():
        train = open_store(sibling)
        return train.poses3d.reshape(-1, 17, 3).mean(axis=0, dtype=np.float64), (
            f"train store {sibling}"
        )
    target_mean = checkpoint.get("model", {}).get("target_mean")
    if target_mean is not None:
        mean = np.asarray(target_mean.detach().cpu().numpy(), dtype=np.float64)
        if mean.shape == (17, 3) and np.abs(mean).max() > 0:
            return mean, "the checkpoint's target_mean (no sibling train store)"
    return None, None


def run(args) -> int:
    from vidpose.atomic import check_writable, user_error_on_write, write_json_atomic
    from vidpose.checkpoint import load_model
    from vidpose.engine.predict import predict_store
    from vidpose.evaluation import evaluate_predictions, format_report
    from vidpose.store import open_store

    if args.batch_size < 1:
        raise UserError(f"--batch-size: must be at least 1, got {args.batch_size}")
    if args.json and args.json != "-":
        check_writable(args.json, "--json")  # before predicting every clip, not after
    device = resolve_device(args.device)
    checkpoint_path = resolve_checkpoint(args.model)
    model, checkpoint = load_model(checkpoint_path)
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
        model, store, batch_size=args.batch_size, device=device, flip_test=args.flip_test
    )
    report = evaluate_predictions(
        predictions, store.poses3d, store.clips, mean_pose, baseline_source=mean_pose_source
    )
    report["context"] = {
        "checkpoint": str(checkpoint_path),
        "data": str(store_path),
        "flip_test": bool(args.flip_test),
        "epoch": checkpoint.get("epoch"),
        "step": checkpoint.get("step"),
    }
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
