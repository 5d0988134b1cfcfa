"""``vidpose prepare mocap FILES_OR_DIRS... OUT.npz``: BVH and ASF/AMC → a ``--motion`` file.

See :mod:`vidpose.mocap` and docs/mocap.md. Each file is converted on its own: one that
fails is reported and skipped; OUT holds the others (exit 1 says some were skipped). When no
file converts, nothing is written and the exit code is 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vidpose.errors import UserError
from vidpose.mocap.proportions import BONE_CHOICES

PREPARE_NAME = "mocap"

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


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def _scale(text: str) -> float | None:
    return None if text == "auto" else _positive_float(text)


def register_prepare(subparsers) -> None:
    parser = subparsers.add_parser(
        PREPARE_NAME,
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
    parser.add_argument("--fps", type=_positive_float, default=50.0, help="output frame rate")
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
        type=_positive_float,
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
    parser.set_defaults(run=run)


def _summary(imported, bones: str, subject: str) -> str:
    """What was decided for one file, for its line of output."""
    converted = imported.converted
    skeleton = f" on {imported.asf.name}" if imported.asf is not None else ""
    lead_in = (
        f", dropped {converted.dropped} lead-in frames (calibration T-pose)"
        if converted.dropped
        else ""
    )
    body = {
        "h36m": f"a Human3.6M-like body for {subject}",
        "h36m-mean": "Human3.6M's mean body",
        "source": "the file's",
    }[bones]
    return (
        f"{converted.family}{skeleton}, units: {converted.units}, {converted.up} up, "
        f"{converted.source_fps:.5g} fps ({imported.fps_origin}) → {converted.fps:g} fps"
        f"{lead_in}, bones: {body}, {len(converted.positions)} frames"
    )


def run(args) -> int:
    from tqdm import tqdm

    from vidpose.atomic import check_writable
    from vidpose.mocap.cmu_index import read_cmu_index
    from vidpose.mocap.importer import ImportOptions, find_inputs, import_take
    from vidpose.mocap.joint_maps import load_map_file
    from vidpose.mocap.motion_writer import default_subject, sequence_name, write_motion_npz
    from vidpose.progress import progress_bar

    if args.out.suffix != ".npz":
        raise UserError(f"{args.out}: the motion file must end in .npz")
    if args.out.is_dir():
        raise UserError(f"{args.out}: is a folder")
    check_writable(args.out)
    motions, skeletons = find_inputs(args.inputs)
    if args.asf is not None and not args.asf.is_file():
        raise UserError(f"--asf {args.asf}: no such file")
    inputs = {p.resolve() for p in (*motions, *skeletons, args.asf, args.cmu_index) if p}
    if args.out.resolve() in inputs:
        raise UserError(f"{args.out}: is one of the inputs; choose another output file")
    options = ImportOptions(
        fps=args.fps,
        scale=args.scale,
        up=args.up,
        source_fps=args.source_fps,
        user_map=None if args.map is None else load_map_file(args.map),
        fallback_asf=args.asf,
        cmu_index=None if args.cmu_index is None else read_cmu_index(args.cmu_index),
        bones=args.bones,
        seed=args.seed,
    )
    sequences, failures, taken = [], [], set()
    bar = progress_bar(motions, desc="mocap", unit="file")
    for path in bar:
        subject = args.subject or default_subject(path.stem)
        try:
            imported = import_take(path, skeletons, options, subject)
        except UserError as exc:
            failures.append(str(exc))  # listed at the end: one line when nothing converts
            continue
        converted = imported.converted
        name = sequence_name(path.stem, taken)
        sequences.append((name, subject, args.action or path.stem, converted.positions))
        summary = _summary(imported, args.bones, subject)
        tqdm.write(f"{path}: {summary} as positions_{name}", file=sys.stdout)
    bar.close()
    if not sequences:
        if len(failures) == 1:
            raise UserError(failures[0])
        raise UserError(f"none of the {len(failures)} files converted: " + "; ".join(failures))
    write_motion_npz(args.out, sequences)
    frames = sum(len(s[3]) for s in sequences)
    print(f"wrote {args.out}: {len(sequences)} takes, {frames} frames at {args.fps:g} fps")
    if failures:
        print(f"skipped {len(failures)} of {len(motions)} files:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0
