"""``vidpose predict [CHECKPOINT] VIDEO``: 3D poses for every frame of a video file.

Without a checkpoint, or with a lifter checkpoint, the 2D stage and a lifter
(:mod:`vidpose.video.lift`); with an image-model checkpoint, crops of the person
through that model (:mod:`vidpose.video.image_model_path`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from vidpose.cli._output import print_summary
from vidpose.cli.argtypes import add_overwrite_option

ORDER = 60

EPILOG = """\
the lifter (no CHECKPOINT, or a lifter checkpoint):
  the 2D stage (the built-in detector, or --keypoints FILE) gives the people of every frame;
  they are tracked, the main person's (or --person ID's, or with --person all everyone's)
  keypoints are mapped to the 17 Human3.6M joints and lifted to 3D at the lifter's frame
  rate. Without CHECKPOINT the lifter shipped with vidpose is used (licence-free data only;
  docs/video.md). The npz holds poses3d (F, 17, 3) metres, root-relative, camera frame
  (x right, y down, z forward), NaN where the person is not in view; root (F, 3) the pelvis
  in the camera, metres, fitted so poses3d + root projects onto the keypoints with
  intrinsics (4,) (--focal, else 1.145 x the longer side); reprojection_error (F,) the mean
  limb-joint distance between keypoints and that projection over the person's size, with
  reprojection_flagged (F,) above 10 %; keypoints2d (F, J, 3) in their layout;
  keypoints2d_h36m17 (F, 17, 3) what the lifter read; boxes (F, 4) x, y, w, h; person_known,
  detected, interpolated, held (F,); fps, width, height, source_video, keypoints_source,
  model, person, tracks. Before scoring, each frame is fitted to the image: its bone
  directions and root move so the limb joints project onto their keypoints, near the lifted
  pose and smooth in time, bone lengths kept (poses3d_lifted holds the poses before it;
  --no-image-fit skips it). --person all writes one npz per person: OUT-stem.personID.npz.
  The summary line gives the median reprojection error, the worst second and the frames
  flagged. --render draws the 2D keypoints and the 3D projected back beside a 3D view.

RGB checkpoints (an image model):
  the npz holds poses3d (F, 17, 3) in metres, root-relative (pelvis at 0), in the camera frame
  (x right, y down, z forward); joint_names (17,); fps; boxes (F, 4) the square crops x, y, w, h
  in video pixels; person_boxes (F, 4); source_video; source_frames (F,) the video frame of each
  output frame; intrinsics (4,) the camera the poses were lifted with (fx, fy, cx, cy).

finding the person:
  --box x,y,w,h        the same box in every frame (video pixels)
  --boxes FILE.json    a list with one [x, y, w, h] or null per video frame (nulls are filled
                       from the neighbours), or {"boxes": [...]}
  --keypoints FILE     the person's keypoints from another tool (npz, MMPose / COCO JSON, an
                       OpenPose folder): their boxes, tracked (docs/video.md)
  none of these        the RTMDet person detector (the video extra; --detector-model PATH, or
                       the default model in the cache), the person tracked through the video:
                       the largest and longest in view, or --person ID. Without the detector:
                       OpenCV's HOG people detector where available, else the moving
                       foreground against the video's median frame (static camera); a note
                       on stderr says which and how to get the detector
  boxes are smoothed over time and padded to squares like the training crops (longer side x 1.2).

camera:
  an integral-head model lifts each crop to 3D with the camera's focal length: --focal PX gives
  it in video pixels; without it vidpose assumes the field of view of its default camera
  (Human3.6M-like: focal length = 1.145 x the video's longer side, about 47 degrees across),
  with the principal point at the image centre. The checkpoint's eval.flip_test is honoured.

outputs:
  an existing --out or --render is refused unless --overwrite is given; an input (the video,
  --keypoints, the checkpoint) is never written over, --overwrite or not.

examples:
  vidpose predict walk.mp4 --render walk.3d.mp4                     # shipped lifter
  vidpose predict walk.mp4 --person all --render walk.all.mp4       # everyone, one npz each
  vidpose predict walk.mp4 --keypoints walk.keypoints.npz --json    # 2D from another tool
  vidpose predict runs/lift/best.pt walk.mp4 --pose-model rtmo-m     # your lifter
  vidpose predict runs/demo/best.pt walk.mp4 --out walk.npz --render walk.3d.mp4
  vidpose predict runs/demo/best.pt walk.mp4 --box 420,80,300,760 --fps train --json
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="3D poses for every frame of a video file (npz, optional JSON and animation)",
        usage="vidpose predict [-h] [options] [CHECKPOINT] VIDEO",
        description="3D poses of the person in a video. Without CHECKPOINT (or with a lifter "
        "checkpoint): 2D keypoints by the detector or --keypoints, lifted to 3D. With an "
        "image-model checkpoint: crops of the person through that model.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="[CHECKPOINT] VIDEO",
        help="a video file (mp4, avi, mov, mkv, ...), after a vidpose checkpoint (.pt) if one "
        "is given (default: the shipped lifter)",
    )
    parser.add_argument(
        "--out", metavar="FILE.npz", help="poses file (default: VIDEO's name + .poses.npz, here)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary with the poses to stdout"
    )
    parser.add_argument(
        "--render", metavar="OUT.mp4|OUT.gif", help="also write a side-by-side animation"
    )
    boxes = parser.add_mutually_exclusive_group()
    boxes.add_argument("--box", metavar="x,y,w,h", help="fixed person box in video pixels")
    boxes.add_argument("--boxes", metavar="FILE.json", help="per-frame person boxes (JSON)")
    boxes.add_argument(
        "--keypoints", metavar="FILE", help="2D keypoints from another tool (npz, JSON, folder)"
    )
    boxes.add_argument(
        "--detector-model",
        metavar="PATH|NAME",
        help="person detector ONNX file or known model name (default: rtmdet-m when cached)",
    )
    parser.add_argument(
        "--pose-model",
        metavar="PATH|NAME",
        help="lifter path: RTMPose or RTMO ONNX file or known name (default: rtmpose-m)",
    )
    parser.add_argument(
        "--person",
        type=person_choice,
        metavar="ID|all",
        help="follow this tracked person (ids in the summary) instead of the main one; 'all' "
        "(lifter): everyone tracked for a second or more, one npz each (OUT-stem.personID.npz)",
    )
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N (default cpu)")
    parser.add_argument(
        "--fps",
        metavar="F|train",
        help="resample the video to F frames per second, or to the model's training rate",
    )
    parser.add_argument(
        "--batch-size", type=int, default=8, metavar="B", help="windows per forward pass"
    )
    parser.add_argument(
        "--focal",
        type=float,
        metavar="PX",
        help="the camera's focal length in video pixels (default: 1.145 x the longer side)",
    )
    parser.add_argument(
        "--no-image-fit",
        dest="image_fit",
        action="store_false",
        help="lifter path: keep the lifted poses, do not fit them to the keypoints",
    )
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def person_choice(text: str) -> int | str:
    """``--person``: a track id (0, 1, ...) or ``all``."""
    if text == "all":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a person id or 'all', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a person id (0 or more), got {value}")
    return value


def _target_fps(text: str | None, checkpoint: dict) -> float | None:
    from vidpose.infra.errors import UserError

    if text is None:
        return None
    if text == "train":
        return float(checkpoint["fps"])
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--fps: expected a number or 'train', got {text!r}") from None
    if not 0 < value <= 1000:
        raise UserError(f"--fps: expected a rate in (0, 1000], got {text!r}")
    return value


def _split_inputs(inputs: list[str]) -> tuple[str | None, str]:
    """[CHECKPOINT] VIDEO → (checkpoint or None, video)."""
    from vidpose.infra.errors import UserError

    if len(inputs) > 2:
        raise UserError(f"expected [CHECKPOINT] VIDEO, got {len(inputs)} paths")
    if len(inputs) == 1:
        if Path(inputs[0]).suffix.lower() in (".pt", ".pth"):
            raise UserError(f"{inputs[0]}: a checkpoint, but no VIDEO after it")
        return None, inputs[0]
    return inputs[0], inputs[1]


def run(args) -> int:
    from vidpose.infra.atomic import check_output
    from vidpose.infra.devices import resolve_device
    from vidpose.infra.errors import UserError
    from vidpose.runs.checkpoint import load_model
    from vidpose.tracks import checkpoint_track
    from vidpose.tracks.lifter_track import LIFTER_TRACK
    from vidpose.video.encode import check_video_path

    started = time.perf_counter()
    checkpoint_path, video = _split_inputs(args.inputs)
    device = resolve_device(args.device)
    video = Path(video)
    out = Path(args.out) if args.out else Path(f"{video.stem}.poses.npz")
    if out.suffix != ".npz":
        raise UserError(f"--out {out}: the poses file must end in .npz")
    # The one output rule, before the long part: never an input, an existing file only with
    # --overwrite (--person all checks its own files once the people are known).
    inputs = (
        video,
        checkpoint_path,
        args.keypoints,
        args.boxes,
        args.detector_model,
        args.pose_model,
    )
    if args.person != "all":
        check_output(out, overwrite=args.overwrite, inputs=inputs, what="--out")
    if args.render:
        render = check_video_path(args.render, "--render")
        check_output(render, overwrite=args.overwrite, inputs=inputs, what="--render")
    model = checkpoint = None
    if checkpoint_path is not None:
        model, checkpoint = load_model(checkpoint_path, map_location=device)
    # The track is picked once: the shipped lifter without a checkpoint, else the checkpoint's.
    track = LIFTER_TRACK if checkpoint is None else checkpoint_track(checkpoint)
    return _video_paths()[track.kind](
        args, video, out, inputs, model, checkpoint, checkpoint_path, device, started
    )


def _run_lifter(args, video, out, inputs, model, checkpoint, checkpoint_path, device, started):
    from vidpose.cli.predict_lift import run_lifter

    return run_lifter(args, video, out, inputs, model, checkpoint, checkpoint_path, device, started)


def _run_image_model(args, video, out, inputs, model, checkpoint, checkpoint_path, device, started):
    from vidpose.engine.clip_inference import recipe_flip_test
    from vidpose.infra.errors import UserError
    from vidpose.pose.skeleton import JOINT_NAMES
    from vidpose.video.image_model_path import predict_video

    if args.pose_model is not None:
        raise UserError("--pose-model: for the lifter path; an image model finds only boxes")
    if args.person == "all":
        raise UserError("--person all: for the lifter path; an image model follows one person")
    if not args.image_fit:
        raise UserError("--no-image-fit: for the lifter path; an image model fits no keypoints")

    finder, finder_note = None, None
    if args.box is None and args.boxes is None:
        from vidpose.video.person_finder import choose_person_finder

        finder, finder_note = choose_person_finder(
            args.detector_model, args.keypoints, args.person, device
        )
    elif args.person is not None:
        raise UserError("--person: only with the detector or --keypoints, not --box/--boxes")
    target_fps = _target_fps(args.fps, checkpoint)
    prediction = predict_video(
        model,
        video,
        clip_frames=int(checkpoint["clip_frames"]),
        image_size=int(checkpoint["image_size"]),
        box=args.box,
        boxes_file=args.boxes,
        target_fps=target_fps,
        device=device,
        batch_size=args.batch_size,
        flip_test=recipe_flip_test(checkpoint),
        focal=args.focal,
        progress=True,
        person_finder=finder,
    )
    if finder_note and prediction.box_source in ("hog", "motion"):
        print(f"vidpose predict: note: {finder_note}", file=sys.stderr)
    train_fps = float(checkpoint["fps"])
    if target_fps is None and abs(prediction.fps - train_fps) > 0.5:
        print(
            f"vidpose predict: note: the video runs at {prediction.fps:g} fps, the model was "
            f"trained at {train_fps:g} fps (--fps train resamples)",
            file=sys.stderr,
        )
    rendered = _write_image_model_outputs(args, video, out, prediction)
    summary = {
        "source_video": str(video),
        "checkpoint": str(checkpoint_path),
        "num_frames": prediction.num_frames,
        "fps": prediction.fps,
        "clip_frames": int(checkpoint["clip_frames"]),
        "image_size": int(checkpoint["image_size"]),
        "box_source": prediction.box_source,
        "focal_px": round(float(prediction.intrinsics[0]), 2),
        "person": None if finder is None or finder.track is None else finder.track.track_id,
        "tracks": None if finder is None or finder.track is None else finder.track.tracks,
        "padded": prediction.padded,
        "out": str(out),
        "render": None if rendered is None else str(rendered),
        "device": str(device),
        "elapsed_s": round(time.perf_counter() - started, 3),
        "units": "metres, root-relative, camera frame (x right, y down, z forward)",
        "joint_names": list(JOINT_NAMES),
        "boxes": [[round(float(v), 2) for v in box] for box in prediction.boxes],
        "poses3d": [
            [[round(float(v), 5) for v in joint] for joint in pose] for pose in prediction.poses3d
        ],
    }
    details = (
        f"{prediction.num_frames} frames at {prediction.fps:g} fps, "
        f"person from {prediction.box_source}"
    )
    print_summary(summary, args.json, details)
    return 0


def _write_image_model_outputs(args, video, out, prediction):
    """The render (``--render``), then the npz; nothing is left when a write fails."""
    from vidpose.cli._output import render_then_write
    from vidpose.video.decode import iter_frames
    from vidpose.video.image_model_path import save_prediction
    from vidpose.video.render import video_animation_frames

    def animation():
        frames = iter_frames(video, prediction.source_indices)
        return video_animation_frames(frames, prediction.poses3d, prediction.squares)

    writes = [(out, lambda: save_prediction(out, prediction))]
    return render_then_write(args.render, animation, prediction.fps, writes)[1]


def _video_paths() -> dict:
    """The video path of each track, by its kind: the one place predict tells the two apart
    (imported here: the model settings pull in torch, which the parser must not)."""
    from vidpose.models.settings import CLIPS, LIFTER

    return {CLIPS: _run_image_model, LIFTER: _run_lifter}
