"""Where a real detector puts its keypoints, against the COCO-17 points vidpose synthesises.

    python benchmarks/detector_points.py --keypoints ../shared/video/sports2d_blazepose.npz \
        --store data/poses/test [--json benchmarks/detector_points.json]

The lifter's training 2D for the detector path has nose, eyes and ears placed at fixed offsets
from the skeleton's neck joint (vidpose.lifting.detector_2d.FACE_OFFSETS) and the hips moved
towards the knees (HIP_DROP). This compares them with a real detector's keypoints of a real
person (MediaPipe BlazePose on the Sports2D demo, COCO-17) by measures a camera's position
changes little, on frames where the person is upright and every point is scored ≥ 0.5:

- the height of each face point above the mid-shoulders, and of the eyes and ears above the
  nose, as fractions of the torso's height in the image (mid-shoulders above mid-hips); the
  difference times the synthetic torso's 3D length is how far (metres) the synthetic points
  sit below the detector's;
- limb ratios in the image: thigh / torso, shin / thigh, leg / torso, upper arm / torso.

The synthetic side is every upright frame of a ``synth --poses-only`` store with its COCO-17
points as synthesised now; ``hips_at_joint_centres`` gives its limb ratios with the hips at
Human3.6M's hip centres (HIP_DROP 0), from which HIP_DROP was found. One JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

FACE = {"nose": [0], "eyes": [1, 2], "ears": [3, 4]}


def face_heights(keypoints: np.ndarray) -> dict[str, float]:
    """COCO-17 (F, 17, 2+) pixels → median heights of the face points above the mid-shoulders,
    and of eyes and ears above the nose, in torso heights (mid-shoulders above mid-hips)."""
    shoulders = keypoints[:, 5:7, 1].mean(1)
    torso = keypoints[:, 11:13, 1].mean(1) - shoulders
    heights = {name: shoulders - keypoints[:, idx, 1].mean(1) for name, idx in FACE.items()}
    out = {f"{name}_above_shoulders": float(np.median(h / torso)) for name, h in heights.items()}
    for name in ("eyes", "ears"):
        out[f"{name}_above_nose"] = float(np.median((heights[name] - heights["nose"]) / torso))
    return out


def limb_ratios(keypoints: np.ndarray) -> dict[str, float]:
    """COCO-17 (F, 17, 2+) → median image-length ratios of the limbs (left and right averaged)."""

    def length(a, b):
        return np.linalg.norm(keypoints[:, a, :2] - keypoints[:, b, :2], axis=-1)

    shoulders = keypoints[:, 5:7, :2].mean(1)
    torso = np.linalg.norm(shoulders - keypoints[:, 11:13, :2].mean(1), axis=-1)
    thigh = (length(11, 13) + length(12, 14)) / 2
    shin = (length(13, 15) + length(14, 16)) / 2
    upper_arm = (length(5, 7) + length(6, 8)) / 2
    ratios = {
        "thigh_over_torso": thigh / torso,
        "shin_over_thigh": shin / thigh,
        "leg_over_torso": (thigh + shin) / torso,
        "upper_arm_over_torso": upper_arm / torso,
    }
    return {name: float(np.median(value)) for name, value in ratios.items()}


def upright(keypoints: np.ndarray) -> np.ndarray:
    """(F,) frames whose torso is within 20° of the image's vertical, shoulders above hips."""
    up = keypoints[:, 5:7, :2].mean(1) - keypoints[:, 11:13, :2].mean(1)
    return (up[:, 1] < 0) & (np.abs(up[:, 0]) < np.tan(np.radians(20)) * -up[:, 1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keypoints", type=Path, required=True, help="a real detector's npz")
    parser.add_argument("--store", type=Path, required=True, help="a synth --poses-only split")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)

    from unittest import mock

    from vidpose.lifting import detector_2d
    from vidpose.lifting.detector_2d import FACE_OFFSETS, HIP_DROP, coco17_keypoints
    from vidpose.sequences import open_sequences

    real = np.load(args.keypoints)["keypoints"].astype(np.float64)
    scored = (real[..., 2] >= 0.5).all(-1)
    real = real[scored & upright(real)]
    store = open_sequences(args.store)
    synthetic = coco17_keypoints(store).astype(np.float64)
    synthetic = synthetic[upright(synthetic)]
    with mock.patch.object(detector_2d, "HIP_DROP", 0.0):
        centred = coco17_keypoints(store).astype(np.float64)
    centred = centred[upright(centred)]
    poses = np.asarray(store.poses3d, np.float64)
    torso_m = float(
        np.median(np.linalg.norm(poses[:, [11, 14]].mean(1) - poses[:, [1, 4]].mean(1), axis=-1))
    )
    measured, ours = face_heights(real), face_heights(synthetic)
    report = {
        "detector": str(args.keypoints),
        "detector_frames": int(len(real)),
        "synthetic": str(args.store),
        "synthetic_frames": int(len(synthetic)),
        "face_offsets_m": FACE_OFFSETS,
        "hip_drop": HIP_DROP,
        "torso_m": torso_m,
        "detector_torso_units": measured,
        "synthetic_torso_units": ours,
        "synthetic_below_detector_m": {
            key: (measured[key] - ours[key]) * torso_m for key in measured
        },
        "limb_ratios": {
            "detector": limb_ratios(real),
            "synthetic": limb_ratios(synthetic),
            "hips_at_joint_centres": limb_ratios(centred),
        },
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
