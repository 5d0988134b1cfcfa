"""``vidpose score PRED.npy GT.npy [--json]``: compare predicted and true 3D poses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError

ORDER = 60
#: Poses this far from the origin (metres) are almost surely millimetres.
MILLIMETRE_HINT_M = 50.0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "score",
        help="MPJPE, P-MPJPE, N-MPJPE, MPJVE and MSE of predicted vs true 3D poses",
        description=(
            "Score predicted 3D poses against ground truth. Both files hold arrays of the same "
            "shape, (N, T, 17, 3) clips or (F, 17, 3) frames, in metres. Definitions follow "
            "VideoPose3D: no implicit root alignment for MPJPE; per-frame similarity alignment "
            "for P-MPJPE; per-frame scale for N-MPJPE; velocity error along time within clips."
        ),
    )
    parser.add_argument("pred", type=Path, metavar="PRED.npy", help="predicted poses, metres")
    parser.add_argument("gt", type=Path, metavar="GT.npy", help="ground-truth poses, metres")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(run=run)


def load_poses(path: Path) -> np.ndarray:
    """Poses (N, T, 17, 3) or (F, 17, 3) from ``path`` as float64; UserError when unusable."""
    from vidpose.infra.array_files import open_npy

    array = open_npy(path, mmap=False)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise UserError(f"{path}: unsupported dtype {array.dtype} (need real numbers)")
    if array.ndim not in (3, 4) or array.shape[-2:] != (17, 3):
        raise UserError(
            f"{path}: shape {array.shape}, expected (N, T, 17, 3) or (F, 17, 3) poses in metres"
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise UserError(f"{path}: contains NaN or inf")
    return array


def compute_scores(pred: np.ndarray, gt: np.ndarray) -> dict[str, float | None]:
    """The five scores of ``vidpose score`` (``mpjve_mm`` is None with a single frame)."""
    from vidpose.pose import metrics

    time_axis = 1 if pred.ndim == 4 else 0
    return {
        "mse": metrics.mse(pred, gt),
        "mpjpe_mm": metrics.mpjpe_mm(pred, gt),
        "p_mpjpe_mm": metrics.p_mpjpe_mm(pred, gt),
        "n_mpjpe_mm": metrics.n_mpjpe_mm(pred, gt),
        "mpjve_mm": metrics.mpjve_mm(pred, gt) if pred.shape[time_axis] > 1 else None,
    }


def format_table(scores: dict[str, float | None], shape: tuple[int, ...]) -> str:
    frames = int(np.prod(shape[:-2]))
    rows = [
        ("MPJPE (Protocol 1, no alignment)", scores["mpjpe_mm"], "mm"),
        ("P-MPJPE (Protocol 2, Procrustes)", scores["p_mpjpe_mm"], "mm"),
        ("N-MPJPE (scale only)", scores["n_mpjpe_mm"], "mm"),
        ("MPJVE (velocity, per frame step)", scores["mpjve_mm"], "mm"),
        ("MSE (loss, eq. 1)", scores["mse"], "m²"),
    ]
    lines = [f"{frames} frames of shape {tuple(shape)}, averaged over frames and joints"]
    for name, value, unit in rows:
        text = "n/a (one frame per clip)" if value is None else f"{value:10.3f} {unit}"
        if name.startswith("MSE") and value is not None:
            text = f"{value:10.6f} {unit}"
        lines.append(f"  {name:<34} {text}")
    return "\n".join(lines)


def run(args) -> int:
    import sys

    pred = load_poses(args.pred)
    gt = load_poses(args.gt)
    if pred.shape != gt.shape:
        raise UserError(f"{args.pred}: shape {pred.shape} differs from {args.gt}: {gt.shape}")
    for path, array in ((args.pred, pred), (args.gt, gt)):
        if np.abs(array).max() > MILLIMETRE_HINT_M:
            print(
                f"vidpose score: warning: {path} has values beyond {MILLIMETRE_HINT_M:g} m; "
                "millimetres? scores assume metres",
                file=sys.stderr,
            )
    scores = compute_scores(pred, gt)
    if args.json:
        print(json.dumps(scores))
    else:
        print(format_table(scores, pred.shape))
    return 0
