"""``vidpose prepare mocap FILES_OR_DIRS... OUT.npz``: BVH and ASF/AMC → a ``--motion`` file
(:func:`vidpose.sources.mocap.convert`).

Each file is converted on its own: one that fails is reported and skipped; OUT holds the others
(exit 1 says some were skipped). When no file converts, nothing is written and the exit code
is 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vidpose.cli.argtypes import add_overwrite_option, positive_float
from vidpose.mocap.proportions import BONE_CHOICES

EPILOG = """\
output: OUT.npz with positions_<take> (F, 17, 3) metres, world frame z up, at --fps, and
subject_<take>, action_<take> labels: the --motion format of `vidpose synth`. The joints mean
Human3.6M's (pelvis and hips at the hip joint centres widened to its 272 mm, spine mid-trunk,
thorax at the neck's base, neck at the head's pivot, head at its top); --bones h36m (default)
gives each subject a seeded Human3.6M-like body, h36m-mean its mean body, source the file's.

skeletons recognised: CMU BVH (cgspeed MB, 3dsMax, ASF-named), CMU ASF/AMC, Second
Life/DAZ, Bandai Namco, Mixamo, LAFAN1, vidpose export-bvh; others need --map FILE.json
({"pelvis": "Hips", "head": ["LeftEye", "RightEye"], ...}: a name or names to average).

exit codes: 0 all converted; 1 OUT written but some files skipped (listed); 2 nothing written.

examples:
  vidpose prepare mocap ../shared/mocap/cmu cmu.npz
  vidpose prepare mocap 02.asf 02_01.amc 02_02.amc walks.npz --subject S1 --action Walking
  vidpose prepare mocap cmu/bvh cmu/amc cmu.npz --asf cmu/amc/03.asf --cmu-index cmu/INDEX.tsv
"""


def _scale(text: str) -> float | None:
    return None if text == "auto" else positive_float(text)


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        "mocap",
        help="motion capture (BVH, ASF/AMC) to a --motion file of 17-joint positions",
        description="Convert BVH and ASF/AMC motion capture into 17-joint Human3.6M positions "
        "in metres, z up, resampled to --fps, for `vidpose synth --motion`.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="FILES_OR_DIRS", help=".bvh, .amc (+ .asf) files or folders"
    )
    parser.add_argument("out", type=Path, metavar="OUT.npz", help="motion file to write")
    parser.add_argument("--fps", type=positive_float, default=50.0, help="output frame rate")
    parser.add_argument(
        "--scale",
        type=_scale,
        default=None,
        metavar="auto|METRES_PER_UNIT",
        help="file units in metres; auto decides from the leg length (default)",
    )
    parser.add_argument("--up", choices=("auto", "y", "z"), default="auto", help="file up axis")
    parser.add_argument(
        "--source-fps",
        type=positive_float,
        help="frame rate of the files (default: BVH Frame Time; AMC 120)",
    )
    parser.add_argument("--subject", help="subject label of every take (default: CMU number)")
    parser.add_argument("--action", help="action label of every take (default: file name)")
    parser.add_argument("--map", type=Path, metavar="FILE", help="joint mapping (JSON or YAML)")
    parser.add_argument(
        "--asf", type=Path, metavar="FILE", help="skeleton for AMC files without their own ASF"
    )
    parser.add_argument(
        "--cmu-index",
        type=Path,
        metavar="INDEX.tsv",
        help="CMU take index: capture frame rate per take (cgspeed BVH files all claim 120)",
    )
    parser.add_argument(
        "--bones",
        choices=BONE_CHOICES,
        default="h36m",
        help="bone lengths: a seeded Human3.6M-like body per subject (default), the mean one, "
        "or the file's",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the --bones h36m bodies")
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from tqdm import tqdm

    from vidpose.sources.mocap import convert

    summary = convert(
        args.inputs,
        args.out,
        fps=args.fps,
        scale=args.scale,
        up=args.up,
        source_fps=args.source_fps,
        subject=args.subject,
        action=args.action,
        map_file=args.map,
        asf=args.asf,
        cmu_index=args.cmu_index,
        bones=args.bones,
        seed=args.seed,
        overwrite=args.overwrite,
        report=lambda line: tqdm.write(line, file=sys.stdout),
    )
    print(
        f"wrote {summary.out}: {summary.takes} takes, {summary.frames} frames at "
        f"{summary.fps:g} fps"
    )
    if summary.failures:
        print(f"skipped {len(summary.failures)} of {summary.files} files:", file=sys.stderr)
        for failure in summary.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0
