"""``vidpose synth OUT``: render the embedded synthetic Human3.6M-like dataset."""

from __future__ import annotations

import os
import time

from vidpose.argtypes import non_negative_int, positive_int

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
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.synth.generate import generate_dataset

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
