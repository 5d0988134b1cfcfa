"""Evaluation report: the four Human3.6M protocols over a test store, with the mean-pose baseline.

:func:`evaluate_predictions` turns predictions and ground truth (N, T, 17, 3) metres into one
JSON-ready dict; :func:`format_report` renders that dict as aligned text tables.

Protocols (docs/architecture.md, conventions), all in millimetres:

- P1 ``mpjpe_mm``: MPJPE after root alignment (the pelvis of both poses moved to the origin);
- P2 ``p_mpjpe_mm``: MPJPE after a per-frame similarity (Procrustes) alignment, no reflection;
- ``n_mpjpe_mm``: MPJPE after a per-frame scale alignment (root-aligned poses);
- ``mpjve_mm``: error of first differences over time within each clip (root-aligned poses).

Each is reported as a frame average (every frame weighs the same, as training logs do) and an
action average (unweighted mean over actions, as papers report), together with the same numbers
for the baseline that predicts the training set's mean pose for every frame: a model that does
not clearly beat it has learned nothing about the images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.pose import metrics, skeleton

REPORT_FORMAT = "vidpose-evaluation"
REPORT_VERSION = 1

#: Report key → (short label, what it means).
PROTOCOLS: dict[str, tuple[str, str]] = {
    "mpjpe_mm": ("P1 MPJPE", "MPJPE after root alignment (Protocol 1)"),
    "p_mpjpe_mm": ("P2 P-MPJPE", "MPJPE after per-frame Procrustes alignment (Protocol 2)"),
    "n_mpjpe_mm": ("N-MPJPE", "MPJPE after per-frame scale alignment"),
    "mpjve_mm": ("MPJVE", "error of per-frame joint velocities (first differences)"),
}


def _root_aligned(poses: np.ndarray) -> np.ndarray:
    """(..., 17, 3) → the same poses with the pelvis moved to the origin (float64)."""
    poses = np.asarray(poses, dtype=np.float64)
    return poses - poses[..., skeleton.ROOT : skeleton.ROOT + 1, :]


def _per_frame_errors(pred: np.ndarray, gt: np.ndarray) -> dict[str, np.ndarray]:
    """One root-aligned sequence (F, 17, 3) → per protocol an (F,) error array, (F-1,) for
    MPJVE (the velocities are taken within the sequence)."""
    errors = {
        "mpjpe_mm": metrics.frame_errors_mm(pred, gt, protocol="p1"),
        "p_mpjpe_mm": metrics.frame_errors_mm(pred, gt, protocol="p2"),
        "n_mpjpe_mm": metrics.frame_errors_mm(pred, gt, protocol="n"),
    }
    # MPJVE of a frame pair is the P1 error of the velocities, so reuse the same per-frame metric.
    if len(gt) > 1:
        errors["mpjve_mm"] = metrics.frame_errors_mm(
            np.diff(pred, axis=0), np.diff(gt, axis=0), protocol="p1"
        )
    return {key: np.asarray(value, dtype=np.float64) for key, value in errors.items()}


def _score(
    preds: list[np.ndarray], gts: list[np.ndarray], actions: np.ndarray, subjects: np.ndarray
) -> dict[str, Any]:
    """Root-aligned sequences (F_i, 17, 3) scored per action, per subject and per joint.

    ``by_action``/``by_subject`` hold, per protocol, ``metrics.group_mean`` over frames
    labelled by their sequence's action/subject; ``per_joint`` is P1 per joint (17,).
    """
    per_sequence = [_per_frame_errors(p, g) for p, g in zip(preds, gts, strict=True)]
    errors, labels = {}, {}
    for key in PROTOCOLS:
        parts = [(e[key], i) for i, e in enumerate(per_sequence) if key in e]
        if parts:
            errors[key] = np.concatenate([values for values, _ in parts])
            labels[key] = np.concatenate([np.full(len(v), i) for v, i in parts])

    def grouped(names):
        return {
            key: metrics.group_mean(values, names[labels[key]]) for key, values in errors.items()
        }

    joints = np.concatenate(
        [np.linalg.norm(p - g, axis=-1) for p, g in zip(preds, gts, strict=True)]
    )
    return {
        "by_action": grouped(actions),
        "by_subject": grouped(subjects),
        "per_joint": joints.mean(0) * metrics.MM_PER_M,
    }


def _ordered_actions(actions: Sequence[str]) -> list[str]:
    """Human3.6M's canonical action order first, any other names after them alphabetically."""
    present = set(actions)
    known = [a for a in skeleton.H36M_ACTIONS if a in present]
    return known + sorted(present - set(known))


def _check_inputs(pred, gt, clips, train_mean_pose) -> None:
    if gt.ndim != 4 or gt.shape[2:] != (skeleton.NUM_JOINTS, 3):
        raise UserError(f"ground truth has shape {gt.shape}, expected (N, T, 17, 3)")
    if pred.shape != gt.shape:
        raise UserError(f"predictions have shape {pred.shape}, ground truth {gt.shape}")
    if len(clips) != gt.shape[0]:
        raise UserError(f"{len(clips)} clip rows for {gt.shape[0]} clips")


def evaluate_predictions(
    pred: np.ndarray,
    gt: np.ndarray,
    clips: Sequence[dict[str, Any]],
    train_mean_pose: np.ndarray | None,
    *,
    baseline_source: str | None = None,
) -> dict[str, Any]:
    """Score ``pred`` against ``gt`` (both (N, T, 17, 3) metres) under the four protocols.

    ``clips`` are the store's N clips.csv rows (``subject`` and ``action`` are used);
    ``train_mean_pose`` (17, 3) metres is the baseline's prediction for every frame, or None
    when unknown (baseline numbers are then None). ``baseline_source`` says where it came from.

    Returns a JSON-ready dict: ``headline`` (per protocol: frame and action averages for the
    model and the baseline), ``per_action`` and ``per_subject`` (all protocols plus the
    baseline's P1, frame-averaged within the group), ``per_joint`` (P1 per joint, model and
    baseline), and ``unaligned_mpjpe_mm`` (report eq. 2 with no alignment, as training logs it).
    MPJVE is taken within each clip.
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    _check_inputs(pred, gt, clips, train_mean_pose)
    report = evaluate_sequences(
        list(pred), list(gt), clips, train_mean_pose, baseline_source=baseline_source
    )
    report["frames_per_clip"] = int(gt.shape[1])
    return report


def _score_value(score, grouping, key, field, group=None) -> float | None:
    """One number of a ``_score``, or None for a missing baseline or a protocol without data."""
    if score is None or key not in score[grouping]:
        return None
    summary = score[grouping][key]
    return float(summary["groups"][group] if group is not None else summary[field])


def _checked_sequences(
    preds: Sequence[np.ndarray],
    gts: Sequence[np.ndarray],
    rows: Sequence[dict[str, Any]],
    train_mean_pose: np.ndarray | None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`evaluate_sequences`' inputs checked (``UserError`` naming what does not fit),
    the poses as float64."""
    if len(preds) != len(gts) or len(rows) != len(gts):
        raise UserError(f"{len(preds)} predictions, {len(gts)} ground truths, {len(rows)} rows")
    if not gts:
        raise UserError("nothing to evaluate (no sequences)")
    preds = [np.asarray(p, dtype=np.float64) for p in preds]
    gts = [np.asarray(g, dtype=np.float64) for g in gts]
    for index, (p, g) in enumerate(zip(preds, gts, strict=True)):
        if g.ndim != 3 or g.shape[1:] != (skeleton.NUM_JOINTS, 3) or p.shape != g.shape:
            raise UserError(
                f"sequence {index}: predictions {p.shape} against ground truth {g.shape}, "
                "expected both (F, 17, 3)"
            )
        if not np.isfinite(p).all():
            raise UserError("predictions contain NaN or inf (the model diverged?)")
    if train_mean_pose is not None and np.shape(train_mean_pose) != (skeleton.NUM_JOINTS, 3):
        raise UserError(f"train mean pose has shape {np.shape(train_mean_pose)}, expected (17, 3)")
    return preds, gts


def evaluate_sequences(
    preds: Sequence[np.ndarray],
    gts: Sequence[np.ndarray],
    rows: Sequence[dict[str, Any]],
    train_mean_pose: np.ndarray | None,
    *,
    baseline_source: str | None = None,
) -> dict[str, Any]:
    """The report of :func:`evaluate_predictions` for sequences of any lengths: ``preds`` and
    ``gts`` hold one (F_i, 17, 3) array per sequence, metres; ``rows`` one dict per sequence
    with its ``subject`` and ``action``. Every frame of every sequence counts once; MPJVE is
    taken within each sequence. ``num_clips`` counts the sequences, ``frames_per_clip`` is None.
    """
    preds, gts = _checked_sequences(preds, gts, rows, train_mean_pose)
    actions = np.asarray([str(row["action"]) for row in rows], dtype=object)
    subjects = np.asarray([str(row["subject"]) for row in rows], dtype=object)
    lengths = np.array([len(g) for g in gts])

    gts_aligned = [_root_aligned(g) for g in gts]
    model = _score([_root_aligned(p) for p in preds], gts_aligned, actions, subjects)
    base = None
    if train_mean_pose is not None:
        mean_pose = _root_aligned(np.asarray(train_mean_pose, np.float64))
        means = [np.broadcast_to(mean_pose, g.shape) for g in gts]
        base = _score(means, gts_aligned, actions, subjects)

    value = _score_value
    headline = {
        key: {
            "frame_average": value(model, "by_action", key, "frame_average"),
            "action_average": value(model, "by_action", key, "group_average"),
            "baseline_frame_average": value(base, "by_action", key, "frame_average"),
            "baseline_action_average": value(base, "by_action", key, "group_average"),
        }
        for key in PROTOCOLS
    }

    def group_table(grouping, labels, order):
        table = {}
        for group in order:
            members = labels == group
            row: dict[str, Any] = {
                "num_clips": int(members.sum()),
                "num_frames": int(lengths[members].sum()),
            }
            for key in PROTOCOLS:
                row[key] = value(model, grouping, key, None, group)
            row["baseline_mpjpe_mm"] = value(base, grouping, "mpjpe_mm", None, group)
            table[group] = row
        return table

    per_joint = {
        name: {
            "mpjpe_mm": float(model["per_joint"][j]),
            "baseline_mpjpe_mm": None if base is None else float(base["per_joint"][j]),
        }
        for j, name in enumerate(skeleton.JOINT_NAMES)
    }
    all_pred, all_gt = np.concatenate(preds), np.concatenate(gts)
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "num_clips": len(gts),
        "frames_per_clip": None,
        "num_frames": int(lengths.sum()),
        "protocols": {key: meaning for key, (_, meaning) in PROTOCOLS.items()},
        "baseline": {
            "name": "training-set mean pose",
            "available": base is not None,
            "source": baseline_source,
        },
        "headline": headline,
        "unaligned_mpjpe_mm": float(metrics.mpjpe_mm(all_pred, all_gt)),
        "per_action": group_table("by_action", actions, _ordered_actions(actions)),
        "per_subject": group_table(
            "by_subject", subjects, sorted(set(subjects), key=lambda s: (len(s), s))
        ),
        "per_joint": per_joint,
    }


def _mm(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-align the first column, right-align the others; a rule under the header."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def report_context(
    checkpoint: Any,
    data: Any,
    flip_test: bool,
    epoch: int | None,
    step: int | None,
    *,
    predictions: Any = None,
    keypoints: str | None = None,
) -> dict[str, Any]:
    """A report's ``context``: the ``checkpoint`` scored (trained ``epoch`` epochs, ``step``
    steps), its ``predictions`` file when they were saved (the trainer's), the ``data`` store,
    whether the test-time flip was on and a lifter's 2D source ``keypoints``; the trainer's
    ``evaluation.json`` and ``vidpose evaluate --json`` write the same fields."""
    context: dict[str, Any] = {"checkpoint": str(checkpoint)}
    if predictions is not None:
        context["predictions"] = str(predictions)
    context.update(data=str(data), flip_test=bool(flip_test), epoch=epoch, step=step)
    if keypoints is not None:
        context["keypoints"] = keypoints
    return context


def format_report(report: dict[str, Any]) -> str:
    """The report from :func:`evaluate_predictions` as readable text tables (millimetres).

    A headline block (metric | frame avg | action avg | mean-pose baseline), then one table per
    action, per subject and per joint.
    """
    lines = []
    if report.get("frames_per_clip") is None:
        header = (
            f"Evaluation on {report['num_clips']} sequences, every frame: "
            f"{report['num_frames']} frames (errors in mm)"
        )
    else:
        header = (
            f"Evaluation on {report['num_clips']} clips x {report['frames_per_clip']} frames "
            f"= {report['num_frames']} frames (errors in mm)"
        )
    lines += [header]
    context = report.get("context") or {}
    if "checkpoint" in context:
        trained = [f"{k} {context[k]}" for k in ("epoch", "step") if context.get(k) is not None]
        lines.append(
            f"  checkpoint: {context['checkpoint']}"
            + (f" ({', '.join(trained)})" if trained else "")
        )
    for key in ("data", "keypoints", "flip_test"):
        if key in context:
            lines.append(f"  {key}: {context[key]}")
    if report.get("sequences_left_out"):
        lines.append(
            f"  left out: {report['sequences_left_out']} sequences (marked in the store, or "
            "lacking the 2D source)"
        )
    baseline = report["baseline"]
    if baseline["available"]:
        source = f" (from {baseline['source']})" if baseline.get("source") else ""
        lines.append(f"  mean-pose baseline: {baseline['name']}{source}")
    else:
        lines.append("  mean-pose baseline: not available (no training poses or target mean)")
    lines.append("")

    rows = []
    for key, (label, _) in PROTOCOLS.items():
        h = report["headline"][key]
        base = f"{_mm(h['baseline_frame_average'])} / {_mm(h['baseline_action_average'])}"
        rows.append([label, _mm(h["frame_average"]), _mm(h["action_average"]), base])
    lines += _table(["metric", "frame avg", "action avg", "mean-pose (frame / action)"], rows)
    lines.append(
        f"eq. 2 MPJPE without root alignment (as logged in training): "
        f"{_mm(report['unaligned_mpjpe_mm'])}"
    )

    def group_rows(table):
        out = []
        for name, row in table.items():
            out.append(
                [name, str(row["num_frames"])]
                + [_mm(row[key]) for key in PROTOCOLS]
                + [_mm(row["baseline_mpjpe_mm"])]
            )
        return out

    group_header = ["frames", *(label for label, _ in PROTOCOLS.values()), "mean-pose P1"]
    lines += ["", "Per action (frame average within each action)"]
    lines += _table(["action", *group_header], group_rows(report["per_action"]))
    lines += ["", "Per subject"]
    lines += _table(["subject", *group_header], group_rows(report["per_subject"]))
    lines += ["", "Per joint (P1 MPJPE)"]
    joint_rows = [
        [name, _mm(row["mpjpe_mm"]), _mm(row["baseline_mpjpe_mm"])]
        for name, row in report["per_joint"].items()
    ]
    lines += _table(["joint", "P1 MPJPE", "mean-pose P1"], joint_rows)
    return "\n".join(lines) + "\n"
