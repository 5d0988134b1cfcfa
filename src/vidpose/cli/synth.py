"""``vidpose synth OUT``: render the embedded synthetic Human3.6M-like dataset."""

from __future__ import annotations

import os
import time

from vidpose.cli.argtypes import comma_names, float_range, non_negative_int, positive_int
from vidpose.synth.virtual_cameras import CameraRanges

ORDER = 10


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="render the synthetic Human3.6M-like clip stores OUT/train and OUT/test",
        description=(
            "Render synthetic clips of people performing named actions, seen by four "
            "Human3.6M-like cameras, into the clip stores OUT/train (subjects S1 S5 S6 S7 S8) "
            "and OUT/test (S9 S11). Presets: tiny (tests, seconds), small (CPU demo, 112 px), "
            "h36m (the report's 5,964 / 1,368 clips of 8 frames at 224 px)."
        ),
    )
    parser.add_argument("out", metavar="OUT", help="output directory (must not exist)")
    parser.add_argument("--preset", default="small", choices=["tiny", "small", "h36m"])
    parser.add_argument("--size", type=positive_int, help="frame side in pixels")
    parser.add_argument("--frames", type=positive_int, help="frames per clip (T)")
    parser.add_argument("--stride", type=positive_int, help="50-fps source frames between frames")
    parser.add_argument(
        "--train-clips", type=positive_int, help="number of training clips (not with --motion)"
    )
    parser.add_argument(
        "--test-clips", type=positive_int, help="number of test clips (not with --motion)"
    )
    parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--motion",
        metavar="FILE.npz",
        help="render these world-frame joint sequences (positions or positions_<name>, "
        "(F, 17, 3) metres, z up, 50 fps) instead of the built-in actions",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=min(8, os.cpu_count() or 1),
        help="parallel render processes (default: CPU count, at most 8)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    add_poses_only_arguments(parser)
    parser.set_defaults(run=run)


def add_poses_only_arguments(parser) -> None:
    """``--poses-only`` and its options (vidpose.synth.poses)."""
    group = parser.add_argument_group(
        "pose sequences (--poses-only)",
        "Write sequence stores for lifting instead of rendering: every take seen by --views "
        "random virtual cameras; ranges are MIN,MAX or one value.",
    )
    group.add_argument(
        "--poses-only", action="store_true", help="write pose-sequence stores, no frames"
    )
    group.add_argument(
        "--views", type=positive_int, default=None, help="virtual cameras per take (default 8)"
    )
    group.add_argument(
        "--seconds", type=float, default=None, help="length of each take (default: the preset's)"
    )
    group.add_argument(
        "--takes",
        type=positive_int,
        default=None,
        help="takes per subject and action (default: the preset's)",
    )
    group.add_argument(
        "--actions",
        type=comma_names("action"),
        default=None,
        metavar="NAME,...",
        help="built-in actions to perform (default: all, in the mix's proportions; "
        "docs/lifting_data.md lists them)",
    )
    group.add_argument(
        "--cameras",
        choices=("ranges", "mix"),
        default=None,
        help="ranges: one Human3.6M-like kind set by the four options below (default); mix: "
        "the documented mix of studio, phone and broadcast cameras (vidpose.synth.camera_mix)",
    )
    defaults = CameraRanges()
    for option, field, unit in (
        ("--camera-height", "height_m", "m"),
        ("--camera-distance", "distance_m", "m from the take's centre"),
        ("--focal", "focal_px", "px"),
        ("--camera-tilt", "tilt_deg", "degrees down"),
    ):
        low, high = getattr(defaults, field)
        group.add_argument(
            option,
            dest=field,
            type=float_range,
            default=None,
            metavar="MIN,MAX",
            help=f"{unit} (default {low:g},{high:g})",
        )


_RENDER_ONLY = ("size", "frames", "stride", "train_clips", "test_clips")
_POSES_ONLY = (
    "views", "seconds", "takes", "actions", "cameras", "height_m", "distance_m", "focal_px",
    "tilt_deg",
)  # fmt: skip

_RANGE_OPTIONS = {
    "height_m": "camera-height",
    "distance_m": "camera-distance",
    "focal_px": "focal",
    "tilt_deg": "camera-tilt",
}


def run_poses_only(args) -> int:
    from vidpose.infra.errors import UserError
    from vidpose.synth.poses import DEFAULT_VIEWS, generate_pose_sequences

    given = [name for name in _RENDER_ONLY if getattr(args, name) is not None]
    if given:
        raise UserError(f"--{given[0].replace('_', '-')} is for rendering, not with --poses-only")
    fields = ("height_m", "distance_m", "focal_px", "tilt_deg")
    set_ranges = {name: getattr(args, name) for name in fields if getattr(args, name) is not None}
    if args.cameras == "mix":
        from vidpose.synth.camera_mix import CameraMix

        if set_ranges:
            option = _RANGE_OPTIONS[next(iter(set_ranges))]
            raise UserError(f"--{option} sets the --cameras ranges cameras, not the mix")
        ranges = CameraMix()
    else:
        ranges = CameraRanges(**set_ranges)
    started = time.perf_counter()
    train, test = generate_pose_sequences(
        args.out,
        preset=args.preset,
        seed=args.seed,
        seconds=args.seconds,
        takes=args.takes,
        views=args.views or DEFAULT_VIEWS,
        ranges=ranges,
        motion=args.motion,
        actions=args.actions,
        overwrite=args.overwrite,
        progress=True,
    )
    elapsed = time.perf_counter() - started
    frames = train.num_frames + test.num_frames
    print(
        f"wrote {args.out}: train {len(train)} sequences, {train.num_frames} frames "
        f"({', '.join(train.subjects)}), test {len(test)} sequences, {test.num_frames} frames "
        f"({', '.join(test.subjects)}); {elapsed:.1f} s, {frames / max(elapsed, 1e-9):.0f} frames/s"
    )
    return 0


def run(args) -> int:
    from vidpose.synth.generate import generate_dataset

    if args.poses_only:
        return run_poses_only(args)
    given = [name for name in _POSES_ONLY if getattr(args, name) is not None]
    if given:
        from vidpose.infra.errors import UserError

        option = _RANGE_OPTIONS.get(given[0], given[0])
        raise UserError(f"--{option} needs --poses-only")

    started = time.perf_counter()
    train, test = generate_dataset(
        args.out,
        preset=args.preset,
        seed=args.seed,
        workers=args.workers,
        overwrite=args.overwrite,
        motion=args.motion,
        progress=True,
        size=args.size,
        frames=args.frames,
        stride=args.stride,
        train_clips=args.train_clips,
        test_clips=args.test_clips,
    )
    elapsed = time.perf_counter() - started
    frames = (train.num_clips + test.num_clips) * train.frames_per_clip
    print(
        f"wrote {args.out}: train {train.num_clips} clips ({', '.join(train.subjects)}), "
        f"test {test.num_clips} clips ({', '.join(test.subjects)}), "
        f"{train.frames_per_clip} frames of {train.image_size[0]} px each; "
        f"{elapsed:.1f} s, {frames / max(elapsed, 1e-9):.0f} frames/s"
    )
    return 0
