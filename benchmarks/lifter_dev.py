"""The shipped lifter's development measures: held-out real motion and a real video.

    python benchmarks/lifter_dev.py --data data/shipped_lifter/joined \
        [--checkpoint runs/shipped_lifter/last.pt] [--video ../shared/video/sports2d_demo.mp4 \
        --video-keypoints ../shared/video/sports2d_blazepose.npz] [--json out.json]

1. **Held-out CMU subjects** (DATA/dev of ``vidpose prepare shipped``: whole subjects never
   trained on, seen by the camera mix): P1 and P2 (mm, frame and action average) and P1 per
   activity group, lifting the ``coco`` 2D (COCO-17 mapped as the video path maps a detector's,
   neck = nose, head = mid-eyes), the same with a detector's errors (``coco_noisy``) and the
   ``h36m`` 2D (Human3.6M's joints, as on Human3.6M's own 2D), each with the raw predictions
   and with one skeleton per sequence
   (vidpose.lifting.bones). The synthetic test subjects (DATA/test) beside them.
2. **A real video** (optional): ``vidpose predict [CHECKPOINT] VIDEO --keypoints FILE`` as a
   user runs it, then on the frames where the detector saw the person: the projection check of
   ../shared/video/README.md (the mean distance between the 2D keypoints and the 3D joints' x, y
   after a per-frame scale and shift, over the 12 limb joints, in % of the person's height: the
   median over those frames of the keypoints' vertical extent) and the thigh's 3D length
   (median, 5th and 95th percentile, and that spread over the median). BlazePose's own 3D
   (``blazepose_world`` in the keypoint file) is scored the same way beside it.

Prints one JSON object; ``--json`` also writes it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

LIMBS = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]  # H36M-17 hips, knees, ankles, arms
THIGHS = [(1, 2), (4, 5)]
BLAZE_LIMBS = [24, 26, 28, 23, 25, 27, 11, 13, 15, 12, 14, 16]  # the same joints in BlazePose-33


def store_scores(model, store, source: str, *, flip_test: bool, batch_size: int = 64) -> dict:
    """P1/P2 (frame and action average) and P1/P2 per action on every evaluation sequence of
    ``store`` lifting 2D ``source``: raw and with constant bones per sequence."""
    from vidpose.lifting.bones import constant_bones
    from vidpose.lifting.sequence_evaluation import evaluate_store_predictions
    from vidpose.lifting.sequence_inference import predict_sequences
    from vidpose.lifting.windows import KeypointSequences

    data = KeypointSequences(store, source)
    indices = store.evaluation_indices(source)
    raw = predict_sequences(model, data, indices, batch_size=batch_size, flip_test=flip_test)
    out = {}
    for name, predictions in (("raw", raw), ("bones", [constant_bones(p) for p in raw])):
        report = evaluate_store_predictions(predictions, store, indices, None)
        head = report["headline"]
        out[name] = {
            "p1_frame": head["mpjpe_mm"]["frame_average"],
            "p1_action": head["mpjpe_mm"]["action_average"],
            "p2_frame": head["p_mpjpe_mm"]["frame_average"],
            "p2_action": head["p_mpjpe_mm"]["action_average"],
            "per_action": {
                action: {
                    "p1": row["mpjpe_mm"],
                    "p2": row["p_mpjpe_mm"],
                    "frames": row["num_frames"],
                }
                for action, row in report["per_action"].items()
            },
        }
    return out


#: The 2D each evaluation split is scored with (those the store has).
SOURCES = {"dev": ("coco", "coco_noisy", "h36m"), "test": ("coco", "h36m")}


def split_scores(model, path: Path, flip_test: bool) -> dict:
    """:func:`store_scores` of the store at ``path`` (a ``dev`` or ``test`` split) for each of
    its :data:`SOURCES`."""
    from vidpose.sequences import open_sequences

    store = open_sequences(path)
    sources = [s for s in SOURCES[path.name] if s in store.sources_2d]
    return {s: store_scores(model, store, s, flip_test=flip_test) for s in sources}


def projection_error(points3d: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(F,) mean pixel distance between ``keypoints`` (F, J, 2) and ``points3d`` (F, J, 2+)
    x, y after the per-frame scale and shift that fit them best (least squares)."""
    xy = points3d[..., :2] - points3d[..., :2].mean(1, keepdims=True)
    target = keypoints - keypoints.mean(1, keepdims=True)
    scale = np.sum(xy * target, axis=(1, 2)) / np.maximum(np.sum(xy * xy, axis=(1, 2)), 1e-12)
    fitted = scale[:, None, None] * xy
    return np.linalg.norm(fitted - target, axis=-1).mean(-1)


def video_scores(checkpoint: str | None, video: Path, keypoints_file: Path) -> dict:
    """The projection check and thigh lengths of ``vidpose predict`` on a real video."""
    from vidpose.cli import main

    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "poses.npz"
        argv = ["predict", *([checkpoint] if checkpoint else []), str(video)]
        with contextlib.redirect_stdout(sys.stderr):  # stdout holds the one JSON object
            code = main([*argv, "--keypoints", str(keypoints_file), "--out", str(out)])
        if code != 0:
            raise SystemExit(f"vidpose predict failed ({code})")
        result = dict(np.load(out))
    tracked = result["detected"].astype(bool)
    keypoints = result["keypoints2d_h36m17"][tracked]
    height = float(np.median(keypoints[..., 1].max(1) - keypoints[..., 1].min(1)))
    error = projection_error(result["poses3d"][tracked][:, LIMBS], keypoints[:, LIMBS, :2])
    poses = result["poses3d"][tracked]
    thighs = np.concatenate([np.linalg.norm(poses[:, a] - poses[:, b], axis=-1) for a, b in THIGHS])
    p5, median, p95 = np.percentile(thighs, [5, 50, 95])
    scores = {
        "video": str(video),
        "tracked_frames": int(tracked.sum()),
        "frames": int(len(tracked)),
        "person_height_px": height,
        "projection_pct_of_height": float(100 * error.mean() / height),
        "thigh_m": {"median": float(median), "p5": float(p5), "p95": float(p95)},
        "thigh_spread_pct": float(100 * (p95 - p5) / median),
    }
    world = (
        np.load(keypoints_file).get("blazepose_world") if keypoints_file.suffix == ".npz" else None
    )
    if world is not None:
        usable = tracked & np.isfinite(world).all((1, 2))
        blaze = projection_error(
            world[usable][:, BLAZE_LIMBS], result["keypoints2d_h36m17"][usable][:, LIMBS, :2]
        )
        scores["blazepose_projection_pct_of_height"] = float(100 * blaze.mean() / height)
    return scores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a prepare shipped folder (dev/ and test/)")
    parser.add_argument("--checkpoint", help="a lifter checkpoint (default: the shipped one)")
    parser.add_argument("--video", type=Path, help="a real video")
    parser.add_argument("--video-keypoints", type=Path, help="its 2D keypoints (npz)")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)

    from vidpose.engine.clip_inference import recipe_flip_test
    from vidpose.video.lift import load_lifter

    model, checkpoint, name = load_lifter(args.checkpoint)
    flip_test = recipe_flip_test(checkpoint)
    report: dict = {"checkpoint": name, "flip_test": flip_test}
    if args.data:
        for split in ("dev", "test"):
            report[split] = split_scores(model, args.data / split, flip_test)
            print(f"scored {args.data / split}", file=sys.stderr)
    if args.video:
        report["video"] = video_scores(args.checkpoint, args.video, args.video_keypoints)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
