"""What ``vidpose info`` says of any store, clip or sequence: label counts, pose statistics and
the mean-pose baseline (the test MPJPE of predicting the training set's average pose for every
frame, the number any trained model has to beat). Each track adds what only its stores have."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.pose import skeleton
from vidpose.pose.baselines import mean_pose_mpjpe_mm

AXES = ("x", "y", "z")


def counts(values: Any) -> dict[str, int]:
    """How often each label occurs, sorted by label."""
    return dict(sorted(Counter(str(v) for v in values).items()))


def pose_statistics(poses3d: np.ndarray, root: np.ndarray | None) -> dict[str, Any]:
    """Bone lengths, extent per axis (mm) and root depth range (m) of poses (..., 17, 3) and
    pelvis positions (..., 3) metres (or None)."""
    poses_mm = poses3d.astype(np.float64) * 1000.0
    bones = skeleton.bone_lengths(poses_mm).reshape(-1, len(skeleton.BONES)).mean(axis=0)
    names = skeleton.JOINT_NAMES
    flat = poses_mm.reshape(-1, skeleton.NUM_JOINTS, 3)
    per_frame_extent = flat.max(axis=1) - flat.min(axis=1)  # (frames, 3)
    stats: dict[str, Any] = {
        "bone_lengths_mm": {
            f"{names[parent]}-{names[child]}": float(length)
            for (child, parent), length in zip(skeleton.BONES, bones, strict=True)
        },
        "extent_mm": {
            axis: {
                "min": float(flat[..., i].min()),
                "max": float(flat[..., i].max()),
                "mean_frame_extent": float(per_frame_extent[:, i].mean()),
            }
            for i, axis in enumerate(AXES)
        },
        "root_depth_m": None,
    }
    if root is not None:
        depth = root[..., 2]
        stats["root_depth_m"] = {"min": float(depth.min()), "max": float(depth.max())}
    return stats


def _baseline_pair(store_path: Path, train_path: Path | None):
    """(train store path, test store path, explicit) for the mean-pose baseline, or None."""
    if train_path is not None:
        return train_path, store_path, True
    resolved = store_path.resolve()
    sibling = {"train": "test", "test": "train"}.get(resolved.name)
    if sibling is None or not (resolved.parent / sibling).is_dir():
        return None
    other = resolved.parent / sibling
    if resolved.name == "train":
        return store_path, other, False
    return other, store_path, False


def mean_pose_baseline(
    store: Any, store_path: Path, train_path: Path | None, open_store: Callable[[Path], Any]
) -> dict | None:
    """The mean-pose baseline of a train/test pair: ``store`` (at ``store_path``) and
    ``train_path`` (the training store), or the sibling split; None without a pair. A
    sibling that ``open_store`` (the store's kind) cannot open is skipped, with the reason."""
    pair = _baseline_pair(store_path, train_path)
    if pair is None:
        return None
    train_at, test_at, explicit = pair
    try:
        train = store if train_at == store_path else open_store(train_at)
        test = store if test_at == store_path else open_store(test_at)
    except UserError as exc:
        if explicit:
            raise
        return {"skipped": f"sibling store unusable: {exc}"}
    return {
        "train": str(train_at),
        "test": str(test_at),
        "mpjpe_mm": mean_pose_mpjpe_mm(train.poses3d, test.poses3d),
    }


def _labels(counted: dict[str, int]) -> str:
    return ", ".join(f"{label} ({n})" for label, n in counted.items())


def format_common(info: dict[str, Any]) -> list[str]:
    """The lines of ``info`` that every store has: labels, poses, the mean-pose baseline."""
    lines = [
        f"subjects       {_labels(info['subjects'])}",
        f"actions        {_labels(info['actions'])}",
        f"cameras        {_labels(info['cameras'])}",
        "mean bone lengths (mm)",
    ]
    for bone, length in info["bone_lengths_mm"].items():
        lines.append(f"  {bone:<30} {length:7.1f}")
    lines.append("pose extent (mm, root-relative): min .. max, mean extent per frame")
    for axis, extent in info["extent_mm"].items():
        lines.append(
            f"  {axis}  {extent['min']:8.1f} .. {extent['max']:8.1f}"
            f"   {extent['mean_frame_extent']:7.1f}"
        )
    if info["root_depth_m"] is not None:
        depth = info["root_depth_m"]
        lines.append(f"root depth     {depth['min']:.2f} .. {depth['max']:.2f} m")
    baseline = info["mean_pose_baseline"]
    if baseline is None:
        lines.append("mean-pose baseline: no train/test pair (name the training store: --train)")
    elif "skipped" in baseline:
        lines.append(f"mean-pose baseline: skipped, {baseline['skipped']}")
    else:
        lines.append(
            f"mean-pose baseline: {baseline['mpjpe_mm']:.1f} mm MPJPE on {baseline['test']}"
            f" predicting the mean pose of {baseline['train']}"
        )
    return lines


def arrays(named: dict[str, np.ndarray | None]) -> dict[str, dict[str, Any]]:
    """Shape and dtype of each array that is there (no values are read)."""
    return {
        name: {"shape": list(array.shape), "dtype": str(array.dtype)}
        for name, array in named.items()
        if array is not None
    }


def format_arrays(info: dict[str, Any]) -> list[str]:
    lines = []
    for name, array in info["arrays"].items():
        shape = " x ".join(str(s) for s in array["shape"])
        lines.append(f"  {name + '.npy':<16} {shape}  {array['dtype']}")
    return lines
