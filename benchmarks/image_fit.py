"""What the fit to the image (vidpose.lifting.image_fit) does to 3D accuracy, on held-out real
motion with a known camera.

    python benchmarks/image_fit.py --data data/shipped_lifter/joined [--every 5] [--json out.json]

On the development split of ``vidpose prepare shipped`` (whole CMU subjects never trained on,
seen by the camera mix; every ``--every``-th sequence), for each 2D source: the shipped lifter's
poses with one skeleton per sequence (what ``vidpose predict`` had before the fit), then the
same fitted to the keypoints through the sequence's camera, as ``vidpose predict`` fits a video
(:func:`vidpose.video.fit.fit_person`: the root, the fit, the reprojection error; the size from
the raw keypoints, a detector's hips for the COCO sources, ``coco_noisy`` included though it is
stored mapped).
P1 / P2 in mm (activity-group average, and P1 frame average), the median reprojection error
before and after, and the fit's speed. The camera a video gives is a guess, so the fit is also
run with the focal length scaled by 0.7 and 1.5.

Prints one JSON object; ``--json`` also writes it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

#: (2D source, focal-length scale) pairs scored.
RUNS = (("coco_noisy", 1.0), ("coco_noisy", 0.7), ("coco_noisy", 1.5), ("coco", 1.0), ("h36m", 1.0))


def _headline(predictions, store, indices) -> dict:
    from vidpose.lifting.sequence_evaluation import evaluate_store_predictions

    head = evaluate_store_predictions(predictions, store, indices, None)["headline"]
    return {
        "p1_action": round(head["mpjpe_mm"]["action_average"], 1),
        "p2_action": round(head["p_mpjpe_mm"]["action_average"], 1),
        "p1_frame": round(head["mpjpe_mm"]["frame_average"], 1),
    }


def score_source(model, checkpoint, store, source: str, scales, every: int) -> list[dict]:
    """The lifted and the fitted poses of every ``every``-th evaluation sequence, scored."""
    from vidpose.engine.clip_inference import recipe_flip_test
    from vidpose.lifting.bones import constant_bones
    from vidpose.lifting.sequence_inference import predict_sequences
    from vidpose.lifting.windows import KeypointSequences
    from vidpose.video import fit

    indices = store.evaluation_indices(source)[::every]
    started = time.perf_counter()
    lifted = predict_sequences(
        model, KeypointSequences(store, source), indices, flip_test=recipe_flip_test(checkpoint)
    )
    lift_seconds = time.perf_counter() - started
    lifted = [constant_bones(p) for p in lifted]
    before = _headline(lifted, store, indices)
    mapped, raw = store.keypoints(source), store.keypoints_raw(source)
    frames = sum(len(p) for p in lifted)
    rows = []
    for scale in scales:
        fitted, error_before, error_after = [], [], []
        started = time.perf_counter()
        for index, poses in zip(indices, lifted, strict=True):
            rows_of = store.slice(index)
            keypoints = np.asarray(mapped[rows_of], np.float64)
            camera = np.asarray(store.intrinsics[index], np.float64).copy()
            camera[:2] *= scale
            size = fit.person_size(np.asarray(raw[rows_of]))
            placed = [
                fit.fit_person(
                    poses,
                    keypoints,
                    size,
                    camera,
                    store.fps,
                    detector_hips=source.startswith("coco"),
                    image_fit=image_fit,
                )  # fmt: skip
                for image_fit in (False, True)
            ]
            error_before.append(placed[0].reprojection_error)
            error_after.append(placed[1].reprojection_error)
            fitted.append(np.where(np.isfinite(placed[1].poses3d), placed[1].poses3d, poses))
        fit_seconds = time.perf_counter() - started
        rows.append(
            {
                "source": source,
                "focal_scale": scale,
                "sequences": len(indices),
                "frames": frames,
                "lifted": before,
                "fitted": _headline(fitted, store, indices),
                "reprojection_median_pct": {
                    "lifted": round(100 * float(np.nanmedian(np.concatenate(error_before))), 2),
                    "fitted": round(100 * float(np.nanmedian(np.concatenate(error_after))), 2),
                },
                "fit_frames_per_s": round(frames / fit_seconds, 1),
                "lift_frames_per_s": round(frames / lift_seconds, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True, file=sys.stderr)  # progress
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a prepare shipped folder")
    parser.add_argument("--every", type=int, default=5, help="score every N-th sequence")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)

    from vidpose.sequences import open_sequences
    from vidpose.video.lift import load_lifter

    model, checkpoint, name = load_lifter(None, "cpu")
    store = open_sequences(args.data / "dev")
    rows = []
    for source in dict.fromkeys(source for source, _ in RUNS):
        scales = [scale for s, scale in RUNS if s == source]
        rows += score_source(model, checkpoint, store, source, scales, args.every)
    result = {"checkpoint": str(name), "split": str(args.data / "dev"), "runs": rows}
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
