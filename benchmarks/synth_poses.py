"""Speed of ``vidpose synth OUT --poses-only`` against what it cannot avoid, in one run.

Usage (from the repository root; the package need not be installed)::

    PYTHONPATH=src python3 benchmarks/synth_poses.py                      # preset small, 8 views
    PYTHONPATH=src python3 benchmarks/synth_poses.py --preset h36m --views 16 --repeats 1

Times, on the same takes and seed, the median of ``--repeats`` runs of:

- ``synth``: the whole command's work, :func:`vidpose.synth.poses.generate_pose_sequences`
  (motions, virtual cameras, projection, validation, both stores written and reopened);
- ``motions`` (baseline): only generating the takes' world motions (forward kinematics);
- ``write`` (baseline): only saving arrays of the stores' size with ``np.save``.

Prints ONE JSON object: stored frames (one per frame per view), seconds and frames/s of each,
the ratios of the synth time to each baseline, and whether it meets the issue's target of
100,000 frames/s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_FRAMES_PER_S = 100_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="small", choices=("tiny", "small", "h36m"))
    parser.add_argument("--views", type=int, default=8, help="virtual cameras per take (8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the median is kept")
    parser.add_argument("--json", type=Path, help="also write the JSON object to this file")
    return parser.parse_args(argv)


def _median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from vidpose.synth.plan import PRESETS
    from vidpose.synth.poses import generate_pose_sequences, procedural_takes

    preset = PRESETS[args.preset]
    takes = procedural_takes(preset.seconds, preset.takes)
    frames = sum(take.num_frames for take in takes) * args.views

    with tempfile.TemporaryDirectory(prefix="synth_poses_") as folder:
        out = Path(folder) / "poses"

        def synth():
            generate_pose_sequences(
                out, preset=args.preset, seed=args.seed, views=args.views, overwrite=True
            )

        def motions():
            for take in takes:
                take.world(args.seed)

        arrays = {
            "poses3d": np.zeros((frames, 17, 3), np.float32),
            "root": np.zeros((frames, 3), np.float32),
            "keypoints2d_gt": np.zeros((frames, 17, 3), np.float32),
        }

        def write():
            for name, array in arrays.items():
                np.save(Path(folder) / f"{name}.npy", array)

        synth_s = _median_seconds(synth, args.repeats)
        motions_s = _median_seconds(motions, args.repeats)
        write_s = _median_seconds(write, args.repeats)

    motion_frames = frames // args.views
    result = {
        "benchmark": "synth --poses-only",
        "preset": args.preset,
        "views_per_take": args.views,
        "takes": len(takes),
        "frames": frames,
        "synth": {"seconds": synth_s, "frames_per_s": frames / synth_s},
        "baseline_motions": {
            "what": "only the takes' world motions (forward kinematics), no cameras or files",
            "seconds": motions_s,
            "motion_frames_per_s": motion_frames / motions_s,
        },
        "baseline_write": {
            "what": "only np.save of arrays the size of the stores' poses3d, root, keypoints",
            "seconds": write_s,
            "frames_per_s": frames / write_s,
        },
        "ratio_synth_to_motions": synth_s / motions_s,
        "ratio_synth_to_write": synth_s / write_s,
        "target_frames_per_s": TARGET_FRAMES_PER_S,
        "meets_target": frames / synth_s >= TARGET_FRAMES_PER_S,
        "cpu_count": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
