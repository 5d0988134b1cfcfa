"""``vidpose detect VIDEO``: the 2D stage alone: people, tracking, the person's 2D keypoints."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from vidpose.cli._output import print_summary, render_then_write
from vidpose.cli.argtypes import add_overwrite_option

ORDER = 55

EPILOG = """\
models (docs/video.md):
  OpenMMLab's RTMDet person detector with RTMPose (COCO-17 or Halpe-26 keypoints), or RTMO
  alone, on ONNX Runtime (pip install 'vidpose[video]'). --detector-model / --pose-model take
  a local .onnx file or a known name: rtmdet-m (default), rtmdet-nano, rtmpose-m (default,
  COCO-17), rtmpose-m-halpe26, rtmo-m. Known models are downloaded once into the cache
  ($VIDPOSE_CACHE/models, else ~/.cache/vidpose/models); offline, the error says which files
  to fetch and where to put them.

outputs:
  the npz holds keypoints (F, K, 3) x, y pixels and score of the tracked person (0 where not
  known), layout, fps, width, height, boxes (F, 4) x1, y1, x2, y2, detected / interpolated
  (F,), low_confidence (F, K), person and tracks; vidpose predict --keypoints reads it.
  An existing --out or --render is refused unless --overwrite is given; the video is never
  written over.

examples:
  vidpose detect walk.mp4 --out walk.keypoints.npz --render walk.2d.mp4
  vidpose detect walk.mp4 --pose-model rtmpose-m-halpe26 --device cuda --person 1
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="2D keypoints of the person in a video (RTMDet + RTMPose or RTMO, tracked)",
        description="Find people in every frame, follow the main one (or --person) through "
        "the video, and write their 2D keypoints.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("video", metavar="VIDEO", help="video file (mp4, avi, mov, mkv, ...)")
    parser.add_argument(
        "--out",
        metavar="FILE.npz",
        help="keypoints file (default: VIDEO's name + .keypoints.npz, here)",
    )
    parser.add_argument("--render", metavar="OUT.mp4|OUT.gif", help="also draw them on the video")
    parser.add_argument("--detector-model", metavar="PATH|NAME", help="person detector (RTMDet)")
    parser.add_argument("--pose-model", metavar="PATH|NAME", help="RTMPose or RTMO model")
    parser.add_argument("--person", type=int, metavar="ID", help="follow this tracked person")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary to stdout")
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.infra.atomic import check_output
    from vidpose.infra.errors import UserError
    from vidpose.keypoints.sequence import LayoutKeypoints
    from vidpose.video.decode import iter_source_frames
    from vidpose.video.encode import check_video_path
    from vidpose.video.find_people import find_people
    from vidpose.video.keypoints_output import save_keypoints
    from vidpose.video.render_tracked import tracked_overlay_frames
    from vidpose.video.track.follow import follow_person

    started = time.perf_counter()
    video = Path(args.video)
    out = Path(args.out) if args.out else Path(f"{video.stem}.keypoints.npz")
    if out.suffix != ".npz":
        raise UserError(f"--out {out}: the keypoints file must end in .npz")
    # The one output rule, before the long part.
    inputs = (video, args.detector_model, args.pose_model)
    check_output(out, overwrite=args.overwrite, inputs=inputs, what="--out")
    if args.render:
        render = check_video_path(args.render, "--render")
        check_output(render, overwrite=args.overwrite, inputs=inputs, what="--render")
    found = find_people(
        video,
        detector_model=args.detector_model,
        pose_model=args.pose_model,
        device=args.device,
        progress=True,
    )
    info = found.info
    track = follow_person(found.people, info.fps, args.person)
    keypoints = LayoutKeypoints(track.keypoints, found.layout)
    _, rendered = render_then_write(
        args.render,
        lambda: tracked_overlay_frames(iter_source_frames(video), track, keypoints),
        info.fps,
        [
            (
                out,
                lambda: save_keypoints(
                    out,
                    track,
                    keypoints,
                    fps=info.fps,
                    size=(info.width, info.height),
                    source_video=video,
                    models=found.models,
                ),  # fmt: skip
            )
        ],
    )
    summary = {
        "source_video": str(video),
        "out": str(out),
        "render": None if rendered is None else str(rendered),
        "num_frames": info.num_frames,
        "fps": info.fps,
        "layout": keypoints.layout,
        "models": found.models,
        "person": track.track_id,
        "tracks": track.tracks,
        "frames_detected": int(track.detected.sum()),
        "frames_interpolated": int(track.interpolated.sum()),
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    details = (
        f"{info.num_frames} frames, {keypoints.layout} keypoints of person {track.track_id} "
        f"({len(track.tracks)} tracked), detected in {summary['frames_detected']}, "
        f"filled in {summary['frames_interpolated']}"
    )
    print_summary(summary, args.json, details)
    return 0
