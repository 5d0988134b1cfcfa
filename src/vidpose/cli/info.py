"""``vidpose info STORE [--json] [--train OTHER]``: describe a clip store without loading frames.

Besides counts, shapes and labels it prints pose statistics and, whenever a training store is
at hand, the mean-pose baseline: the test MPJPE of predicting the training set's average pose
for every frame, the number any trained model has to beat.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from vidpose import skeleton
from vidpose.errors import UserError

ORDER = 15
AXES = ("x", "y", "z")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "info",
        help="describe a clip store: clips, labels, pose statistics, mean-pose baseline",
        description=(
            "Describe a clip store (frames are not read). For a store named train or test "
            "whose sibling split exists, or with --train, also print the mean-pose baseline."
        ),
    )
    parser.add_argument("store", type=Path, metavar="STORE", help="clip store directory")
    parser.add_argument(
        "--train",
        type=Path,
        metavar="OTHER_STORE",
        help="training store for the mean-pose baseline on STORE (default: sibling ../train)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(run=run)


def _counts(values: np.ndarray) -> dict[str, int]:
    return dict(sorted(Counter(str(v) for v in values).items()))


def pose_statistics(store) -> dict[str, Any]:
    """Bone lengths, extent per axis (mm) and root depth range (m) of a store's poses."""
    poses_mm = store.poses3d.astype(np.float64) * 1000.0
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
    if store.root is not None:
        depth = store.root[..., 2]
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


def mean_pose_baseline(store, store_path: Path, train_path: Path | None) -> dict | None:
    from vidpose.baselines import mean_pose_mpjpe_mm
    from vidpose.store import open_store

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


def describe(store_path: Path, train_path: Path | None = None) -> dict[str, Any]:
    """Everything ``vidpose info`` reports, as a JSON-ready dict."""
    from vidpose.store import open_store

    store = open_store(store_path)  # frames stay a memory map: only their shape is read
    meta = store.meta
    shapes = {"poses3d": store.poses3d, "poses2d": store.poses2d, "frames": store.frames}
    shapes.update(root=store.root, crop=store.crop, intrinsics=store.intrinsics)
    fps, stride = float(meta.get("fps", 0.0)), int(meta.get("frame_stride", 1))
    return {
        "path": str(store_path),
        "format_version": meta.get("format_version"),
        "source": meta.get("source"),
        "num_clips": store.num_clips,
        "frames_per_clip": store.frames_per_clip,
        "arrays": {
            name: {"shape": list(array.shape), "dtype": str(array.dtype)}
            for name, array in shapes.items()
            if array is not None
        },
        "has_frames": store.has_frames,
        "image_size": None if store.image_size is None else list(store.image_size),
        "fps": fps,
        "frame_stride": stride,
        "clip_fps": fps / stride if stride else None,
        "subjects": _counts(store.column("subject")),
        "actions": _counts(store.column("action")),
        "cameras": _counts(store.column("camera")),
        **pose_statistics(store),
        "mean_pose_baseline": mean_pose_baseline(store, store_path, train_path),
    }


def _labels(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} ({n})" for label, n in counts.items())


def format_info(info: dict[str, Any]) -> str:
    """A readable multi-line description of ``describe()``'s result."""
    n, t = info["num_clips"], info["frames_per_clip"]
    source = info["source"].get("kind", "?") if isinstance(info["source"], dict) else "?"
    lines = [
        f"clip store     {info['path']}  (format v{info['format_version']}, source: {source})",
        f"clips          {n} clips x {t} frames = {n * t} frames",
    ]
    for name, array in info["arrays"].items():
        shape = " x ".join(str(s) for s in array["shape"])
        lines.append(f"  {name + '.npy':<16} {shape}  {array['dtype']}")
    if info["has_frames"]:
        h, w = info["image_size"]
        lines.append(f"frames         present, {w}x{h} pixels (W x H), memory-mapped")
    else:
        lines.append("frames         none (pose-only store)")
    lines.append(
        f"timing         {info['fps']:g} fps, stride {info['frame_stride']}"
        f" -> {info['clip_fps']:g} fps within a clip"
    )
    lines.append(f"subjects       {_labels(info['subjects'])}")
    lines.append(f"actions        {_labels(info['actions'])}")
    lines.append(f"cameras        {_labels(info['cameras'])}")
    lines.append("mean bone lengths (mm)")
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
    return "\n".join(lines)


def run(args) -> int:
    if args.train is not None and not args.train.is_dir():
        raise UserError(f"{args.train}: --train is not a clip store directory")
    info = describe(args.store, args.train)
    print(json.dumps(info) if args.json else format_info(info))
    return 0
