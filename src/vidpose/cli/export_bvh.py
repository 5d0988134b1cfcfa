"""``vidpose export-bvh POSES OUT.bvh``: 17-joint poses to a BVH animation (Blender, Unity...)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vidpose.cli.argtypes import add_overwrite_option

ORDER = 72

EPILOG = """\
input: predict's npz (poses3d, camera frame, its fps), a --motion npz (z up, 50 fps), or any
npz/npy with one (F, 17, 3) array in metres (--key picks one of several).

the BVH: the 17 Human3.6M joints (pelvis root), metres, Y up, rest pose a T-pose facing +Z,
bone lengths the sequence's medians, channels Zrotation Yrotation Xrotation (R = Rz Ry Rx);
the pelvis has the root translation, and the six branch joints (hips, spine, neck,
shoulders) position channels that keep every bone direction exact (--rotations-only drops
them and reports the cost). Root-relative input (pelvis at 0) is lifted so the lowest
ankle of the sequence is at y = 0.

Blender: File > Import > Motion Capture (.bvh) with its defaults (Forward -Z, Up Y, Scale 1):
metres, and the character faces Blender's front view.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export-bvh",
        help="export 17-joint poses (predict's npz, any (F, 17, 3) metres) to a BVH animation",
        description="Solve per-frame joint rotations from 17-joint positions and write a BVH "
        "file for Blender, Unity or MotionBuilder (see docs/mocap.md).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("poses", type=Path, metavar="POSES", help=".npz or .npy poses, metres")
    parser.add_argument("out", type=Path, metavar="OUT.bvh", help="the BVH file to write")
    parser.add_argument("--fps", type=float, help="frame rate (default: the file's, else 50)")
    parser.add_argument(
        "--skeleton", choices=("h36m",), default="h36m", help="hierarchy (the 17 H36M joints)"
    )
    parser.add_argument(
        "--up",
        choices=("auto", "y", "z", "-y"),
        default="auto",
        help="up axis of the input; -y is the camera frame (default: known or detected)",
    )
    parser.add_argument("--key", help="the array to export when the npz holds several")
    parser.add_argument(
        "--rotations-only",
        action="store_true",
        help="no position channels on the branch joints (hips, spine, neck, shoulders)",
    )
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    import numpy as np

    from vidpose.infra.atomic import check_output, user_error_on_write, write_text_atomic
    from vidpose.infra.errors import UserError
    from vidpose.mocap.bvh_export import branch_residual_m, bvh_text, reproduced_positions
    from vidpose.mocap.poses_input import detect_up, load_poses, to_bvh_axes

    if args.out.suffix.lower() != ".bvh":
        raise UserError(f"{args.out}: the output must end in .bvh")
    check_output(args.out, overwrite=args.overwrite, inputs=(args.poses,))
    if args.fps is not None and not (np.isfinite(args.fps) and args.fps > 0):
        raise UserError(f"--fps {args.fps}: must be a positive number")
    poses = load_poses(args.poses, args.key)
    if args.up != "auto":
        up, why = args.up, "--up"
    elif poses.up is not None:
        up, why = poses.up, f"the key '{poses.key}'"
    else:
        up, why = detect_up(poses.positions, args.poses), "detected from pelvis → head"
    fps = args.fps or poses.fps or 50.0
    positions = to_bvh_axes(poses.positions, up)
    root_relative = bool(np.abs(positions[:, 0]).max() < 1e-6)
    if root_relative:
        positions[..., 1] -= reproduced_positions(positions)[:, [3, 6], 1].min()
    text = bvh_text(positions, fps, rotations_only=args.rotations_only)
    with user_error_on_write(args.out):
        write_text_atomic(args.out, text)
    print(
        f"wrote {args.out}: {len(positions)} frames at {fps:g} fps, 17 joints, metres, Y up "
        f"(input {up} up: {why})"
        + ("; root-relative input lifted to the floor" if root_relative else "")
    )
    if poses.bridged or len(positions) < (poses.frames_in_file or len(positions)):
        print(
            f"{args.poses}: frames without a pose (the person not in view): kept frames "
            f"{poses.first_frame}-{poses.first_frame + len(positions) - 1} of "
            f"{poses.frames_in_file}, {poses.bridged} inside them interpolated"
        )
    if args.rotations_only:
        residual = branch_residual_m(positions) * 1000
        print(f"rotations only: branch joints off by up to {residual:.1f} mm")
    return 0
