"""Video → 3D throughput on CPU: frames/s of each stage of ``vidpose predict VIDEO`` beside
decoding.

Usage (from the repository root; the package need not be installed)::

    PYTHONPATH=src python3 benchmarks/video.py                       # stand-in models
    PYTHONPATH=src python3 benchmarks/video.py --detector-model rtmdet_m.onnx \\
        --pose-model rtmpose_m.onnx                                   # the published models

The video: a synthetic person (``vidpose.synth``, walking) rendered at 720 × 720 through the
whole camera view and widened to 1280 × 720 (720p) with mirrored borders, ``--frames`` frames
at 50 fps, written as MP4 into a temporary folder (or ``--video PATH``, any video).

Stages, each timed on its own over every frame (decoded frames are held in memory so a stage's
time is its own): ``decode`` (the baseline: OpenCV decoding alone), ``detect`` (person boxes),
``pose2d`` (keypoints of the detected boxes), ``track`` (linking and choosing the person),
``render`` (the overlay drawn and encoded), and ``lift`` (the shipped lifter, or ``--lifter
CKPT``, over the tracked person's keypoints mapped to the 17 joints; the sequence is repeated to
at least ``--lift-frames`` frames so the rate is not one call's overhead, with the checkpoint's
test-time flip as ``vidpose predict`` runs it; ``lift_target_fps``
is the issue's floor of 1,000 frames/s), and ``image_fit`` (one skeleton, the root and the
fit of the lifted poses to their keypoints, :mod:`vidpose.lifting.image_fit`, over the first
``--fit-frames`` frames of that sequence). ``end_to_end`` streams decode → detect → 2D → track →
lift → fit as ``vidpose predict VIDEO`` does (without writing files). Without model files,
stand-ins with the published signatures (``vidpose.video.detect.stand_ins``) are used: every step
but the networks is real, so the detector's and the pose model's frames/s are NOT those of
RTMDet / RTMPose (the JSON says so).

**Tracking on real footage** (``real_clip``): the Sports2D demo and its BlazePose keypoints
from ``../shared/video`` (or ``--shared DIR``; left out, and said so, when absent) through
``lift_video(..., person="all")``: the people tracked, identity switches against who BlazePose
followed in each frame (:data:`SPORTS2D_PEOPLE`, read off the frames), the main person's frames
known beside the frames their keypoints were found in, held and unlifted frames, and how well
the 3D projects: the per-frame reprojection error ``vidpose predict`` stores (camera and
fitted root, :mod:`vidpose.video.fit`) and the shared README's measure (a per-frame scale and
shift of the 3D's x, y onto the 12 limb keypoints, over the vertical extent of the frame's
keypoints), with the time tracking and lifting took.

Prints ONE JSON object: per stage frames/s and seconds, each stage's frames/s as a ratio of
decoding's (measured in the same run), the end-to-end rate, and the real clip's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

#: The issue's floor for the lifter stage on 2 CPU cores.
LIFT_TARGET_FPS = 1000.0
#: Who BlazePose followed in each frame of sports2d_demo.mp4 (inclusive frame ranges, read
#: off the frames): the parkour runner on the box, who flips off it and lands on the grass,
#: and the woman walking past while BlazePose followed her.
SPORTS2D_PEOPLE = {"runner": ((3, 168), (202, 226)), "walker": ((170, 200),)}
#: The 12 limb joints of the Human3.6M skeleton.
LIMBS = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100, help="frames of the synthetic video")
    parser.add_argument("--video", type=Path, help="time this video instead of a synthetic one")
    parser.add_argument("--detector-model", help="RTMDet ONNX file (default: a stand-in)")
    parser.add_argument("--pose-model", help="RTMPose / RTMO ONNX file (default: a stand-in)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="ONNX Runtime threads")
    parser.add_argument("--lifter", help="lifter checkpoint (default: the shipped lifter)")
    parser.add_argument(
        "--lift-frames", type=int, default=20000, help="frames the lift stage is timed over"
    )
    parser.add_argument(
        "--fit-frames", type=int, default=2000, help="frames the image-fit stage is timed over"
    )
    parser.add_argument("--skip-render", action="store_true", help="leave the render stage out")
    parser.add_argument("--json", type=Path, help="also write the JSON object to this file")
    parser.add_argument(
        "--shared",
        type=Path,
        help="the shared data folder with video/sports2d_* (default: ../shared beside the "
        "repository, else $VIDPOSE_SHARED)",
    )
    return parser.parse_args(argv)


def synthetic_720p(path: Path, frames: int, seed: int = 3) -> Path:
    """Write ``frames`` 1280 × 720 frames of a synthetic walker at 50 fps to ``path``."""
    import cv2
    import numpy as np

    from vidpose.synth import body, motion, person_drawing, scene
    from vidpose.synth import studio_cameras as cameras
    from vidpose.video.encode import write_video

    rng = np.random.default_rng(seed)
    subject = body.make_subject("S9")
    world = motion.action_motion("Walking", subject, frames, rng)
    camera = cameras.place_cameras(rng, world[:, 0, :2].mean(axis=0))[0]
    view = scene.make_scene(rng, camera, 720)
    joints = camera.to_camera(world)
    whole_view = np.tile(np.array([0.0, 0.0, 1000.0]), (frames, 1))  # the 1000-px camera image
    squares = person_drawing.render_clip(
        view, subject, joints, world[:, 0, :2], whole_view, 720, rng
    )
    pixels = cameras.to_stored(camera.project(joints), whole_view[0], 720) + [280, 0]

    def marked(index: int, square: np.ndarray) -> np.ndarray:
        # What the stand-ins look for: a white frame round the walker, a red dot on the pelvis.
        image = cv2.copyMakeBorder(square, 0, 0, 280, 280, cv2.BORDER_REFLECT)
        low, high = pixels[index].min(axis=0) - 12, pixels[index].max(axis=0) + 12
        cv2.rectangle(image, tuple(map(int, low)), tuple(map(int, high)), (255, 255, 255), 4)
        cv2.circle(image, tuple(map(int, pixels[index, 0])), 3, (255, 0, 0), -1)
        return image

    return write_video(path, (marked(i, s) for i, s in enumerate(squares)), fps=50.0)


def shared_clip(folder: Path | None) -> tuple[Path, Path] | None:
    """The Sports2D video and keypoints under ``folder`` (default: ../shared beside the
    repository, else $VIDPOSE_SHARED), or None when they are not there."""
    candidates = [folder] if folder else [Path(__file__).resolve().parents[2] / "shared"]
    if not folder and os.environ.get("VIDPOSE_SHARED"):
        candidates.append(Path(os.environ["VIDPOSE_SHARED"]))
    for candidate in candidates:
        video = candidate / "video" / "sports2d_demo.mp4"
        keypoints = candidate / "video" / "sports2d_blazepose.npz"
        if video.is_file() and keypoints.is_file():
            return video, keypoints
    return None


def identity_switches(tracks: list[dict], truth: dict[str, tuple]) -> int:
    """Tracks over the annotated frames: for each person, the distinct tracks covering them
    beyond the first, plus, for each track, the distinct people it covers beyond the first."""
    owner = {}
    for name, spans in truth.items():
        for first, last in spans:
            owner.update({frame: name for frame in range(first, last + 1)})
    people_of_track, tracks_of_person = {}, {}
    for track in tracks:
        for frame in track["frames"]:
            if frame in owner:
                people_of_track.setdefault(track["id"], set()).add(owner[frame])
                tracks_of_person.setdefault(owner[frame], set()).add(track["id"])
    return sum(len(s) - 1 for s in tracks_of_person.values()) + sum(
        len(s) - 1 for s in people_of_track.values()
    )


def readme_measure(poses3d, keypoints):
    """The shared README's per-frame measure: the 3D's x, y scaled and shifted onto the 12
    limb keypoints (least squares), the mean distance over the vertical extent of the frame's
    keypoints (score > 0); NaN where a limb keypoint or the pose is missing."""
    import numpy as np

    from vidpose.keypoints.layouts import to_h36m17

    mapped = to_h36m17(keypoints, "coco17")
    out = np.full(len(poses3d), np.nan)
    for frame, pose in enumerate(poses3d):
        if not (mapped[frame, LIMBS, 2] > 0).all() or not np.isfinite(pose).all():
            continue
        a = pose[LIMBS, :2] - pose[LIMBS, :2].mean(axis=0)
        b = mapped[frame, LIMBS, :2] - mapped[frame, LIMBS, :2].mean(axis=0)
        scale = (a * b).sum() / (a * a).sum()
        found = keypoints[frame, keypoints[frame, :, 2] > 0, 1]
        out[frame] = np.linalg.norm(scale * a - b, axis=1).mean() / np.ptp(found)
    return out


def real_clip(paths: tuple[Path, Path] | None) -> dict:
    """Tracking and reprojection figures on the shared Sports2D clip (see the module docs)."""
    import numpy as np

    from vidpose.video.fit import trust_summary
    from vidpose.video.keypoint_files import read_keypoints
    from vidpose.video.lifted import lift_video
    from vidpose.video.track.follow import track_people

    if paths is None:
        return {"skipped": "../shared/video/sports2d_* not found (give --shared DIR)"}
    video, keypoints_file = paths
    found = read_keypoints(keypoints_file)
    started = time.perf_counter()
    tracks = track_people(found.people, found.fps)
    tracking_s = time.perf_counter() - started
    started = time.perf_counter()
    lifted = lift_video(video, keypoints_file=keypoints_file, person="all", progress=False)
    lift_s = time.perf_counter() - started
    main = lifted.main
    raw = np.load(keypoints_file)["keypoints"].astype(np.float64)
    held = np.flatnonzero(main.held)
    runs = np.split(held, np.flatnonzero(np.diff(held) > 1) + 1) if len(held) else []
    readme = readme_measure(main.poses3d, raw)
    every = np.full(len(raw), np.nan)
    for person in lifted.people:  # each frame from the person lifted in it
        every = np.where(np.isnan(every), readme_measure(person.poses3d, raw), every)
    summaries = [dict(t.summary(), frames=t.frames) for t in tracks]
    return {
        "video": str(video),
        "keypoints": str(keypoints_file),
        "frames": len(raw),
        "frames_with_keypoints": int(sum(len(people) > 0 for people in found.people)),
        "people_tracked": len(tracks),
        "tracks": [{k: v for k, v in s.items() if k != "frames"} for s in summaries],
        "identity_switches": identity_switches(summaries, SPORTS2D_PEOPLE),
        "people_lifted": len(lifted.people),
        "main_person": {
            "id": main.id,
            "frames_detected": int(main.track.detected.sum()),
            "frames_known": int(main.known.sum()),
            "known_of_detected": round(float(main.known[main.track.detected].mean()), 4),
            "frames_held": int(len(held)),
            "longest_held_stretch": max((len(r) for r in runs), default=0),
            "frames_not_lifted": int((~main.lifted).sum()),
            "reprojection": trust_summary(main.reprojection_error, found.fps),
            "readme_measure_mean": round(float(np.nanmean(readme)), 4),
        },
        "readme_measure_mean_every_lifted_frame": round(float(np.nanmean(every)), 4),
        "frames_in_readme_measure": int(np.isfinite(every).sum()),
        "tracking": _rate(len(raw), tracking_s),
        "lift_video": _rate(len(raw), lift_s),
    }


def _rate(count: int, seconds: float) -> dict:
    return {"fps": round(count / seconds, 2) if seconds > 0 else None, "seconds": round(seconds, 3)}


def fit_to_image(poses3d, joints, info) -> int:
    """What ``vidpose predict`` does after the lift (one skeleton, then
    :func:`vidpose.video.fit.fit_person`: the root, the fit to the image, the reprojection
    error) with the video's default camera; the number of frames it could fit."""
    import numpy as np

    from vidpose.pose.camera import video_intrinsics
    from vidpose.video import fit
    from vidpose.video.lifted import one_skeleton

    poses3d = one_skeleton(poses3d, np.zeros(len(poses3d), bool))
    camera = video_intrinsics(info.width, info.height)
    placed = fit.fit_person(
        poses3d, joints, fit.person_size(joints), camera, info.fps, detector_hips=True
    )
    return int(np.isfinite(placed.reprojection_error).sum())


def keypoints_of(poses3d, info, seed: int = 0):
    """(F, 17, 3) keypoints for timing the fit where the stand-in detector's cannot be fitted:
    ``poses3d`` 4 m in front of the video's default camera, projected, moved by a detector-like
    2 % of the person's size, score 1."""
    import numpy as np

    from vidpose.pose.camera import project, video_intrinsics

    pixels = project(poses3d + [0.0, 0.0, 4.0], video_intrinsics(info.width, info.height))
    size = np.ptp(pixels[..., 1], axis=1)[:, None, None]
    pixels += 0.02 * size * np.random.default_rng(seed).standard_normal(pixels.shape)
    return np.concatenate([pixels, np.ones(pixels.shape[:-1] + (1,))], axis=-1)


def run(args: argparse.Namespace, folder: Path) -> dict:
    import numpy as np
    import torch

    from vidpose.keypoints import MIN_KEYPOINT_SCORE as MIN_SCORE
    from vidpose.keypoints.layouts import to_h36m17
    from vidpose.video.decode import iter_source_frames, probe_video
    from vidpose.video.detect.pipeline import Detector2D, build_detector
    from vidpose.video.detect.runners import OneStagePose
    from vidpose.video.encode import write_video
    from vidpose.video.lift import lift_sequence, load_lifter
    from vidpose.video.people import FramePeople
    from vidpose.video.track.follow import follow_person

    stand_in = args.detector_model is None and args.pose_model is None
    if stand_in:
        from vidpose.video.detect.stand_ins import export_stand_ins

        models = export_stand_ins(folder / "models")
        args.detector_model, args.pose_model = str(models["detector"]), str(models["pose"])
    video = args.video or synthetic_720p(folder / "synth_720p.mp4", args.frames)
    info = probe_video(video)
    detector = build_detector(
        args.detector_model, args.pose_model, download=False, threads=args.threads
    )
    torch.set_num_threads(max(1, args.threads))
    from vidpose.engine.clip_inference import recipe_flip_test

    lifter, lifter_checkpoint, lifter_name = load_lifter(args.lifter)
    flip = recipe_flip_test(lifter_checkpoint)  # as vidpose predict runs it
    size = (info.width, info.height)

    started = time.perf_counter()
    frames = list(iter_source_frames(video))
    decode = _rate(len(frames), time.perf_counter() - started)

    people, boxes_scores = [], []
    started = time.perf_counter()
    for frame in frames:
        if isinstance(detector.pose_model, OneStagePose):
            boxes_scores.append(None)
        else:
            boxes_scores.append(detector.person_detector(frame))
    detect = _rate(len(frames), time.perf_counter() - started)

    started = time.perf_counter()
    for frame, found in zip(frames, boxes_scores, strict=True):
        if found is None:
            people.append(FramePeople(*detector.pose_model(frame)))
        else:
            people.append(FramePeople(*found, detector.pose_model(frame, found[0])))
    pose2d = _rate(len(frames), time.perf_counter() - started)

    started = time.perf_counter()
    track = follow_person(people, info.fps)
    tracking = _rate(len(frames), time.perf_counter() - started)

    joints = to_h36m17(track.keypoints, detector.layout).astype(np.float32)
    if not (joints[..., 2] >= MIN_SCORE).any():
        joints[..., 2] = 1.0  # stand-in scores can be low: lift every joint anyway
    repeats = max(1, -(-args.lift_frames // len(joints)))
    long = np.concatenate([joints] * repeats)
    lift_sequence(lifter, long[: min(len(long), 1000)], size)  # warm-up
    started = time.perf_counter()
    lift_sequence(lifter, long, size, batch_size=16, flip_test=flip)
    lift = _rate(len(long), time.perf_counter() - started)
    lift.update(frames=len(long), model=lifter_name, flip_test=flip)
    fit_joints = long[: min(len(long), args.fit_frames)]
    lifted, _ = lift_sequence(lifter, fit_joints, size, batch_size=16, flip_test=flip)
    fit_source = "the tracked person's"
    started = time.perf_counter()
    if not (fitted := fit_to_image(lifted, fit_joints, info)):
        fit_joints = keypoints_of(lifted, info)  # the stand-in's keypoints do not fit
        fit_source = "the lifted poses projected, 2 % noise (the stand-in's cannot be fitted)"
        started = time.perf_counter()
        fitted = fit_to_image(lifted, fit_joints, info)
    image_fit = _rate(len(fit_joints), time.perf_counter() - started)
    image_fit.update(frames=len(fit_joints), frames_fitted=fitted, keypoints=fit_source)

    render = None
    if not args.skip_render:
        from vidpose.keypoints.sequence import LayoutKeypoints
        from vidpose.video.render_tracked import tracked_overlay_frames

        started = time.perf_counter()
        keypoints = LayoutKeypoints(track.keypoints, detector.layout)
        overlay = tracked_overlay_frames(frames, track, keypoints)
        write_video(folder / "overlay.mp4", overlay, info.fps)
        render = _rate(len(frames), time.perf_counter() - started)
    del frames

    streaming = Detector2D(detector.person_detector, detector.pose_model)
    started = time.perf_counter()
    streamed = [streaming(frame) for frame in iter_source_frames(video)]
    followed = follow_person(streamed, info.fps)
    streamed_joints = to_h36m17(followed.keypoints, streaming.layout).astype(np.float32)
    if not (streamed_joints[..., 2] >= MIN_SCORE).any():
        streamed_joints[..., 2] = 1.0
    streamed_poses, _ = lift_sequence(lifter, streamed_joints, size, flip_test=flip)
    fit_to_image(streamed_poses, streamed_joints, info)
    end_to_end = _rate(len(streamed), time.perf_counter() - started)

    stages = {"decode": decode, "detect": detect, "pose2d": pose2d, "track": tracking}
    stages["render"] = render
    stages["lift"] = lift
    stages["image_fit"] = image_fit
    base = decode["fps"]
    ratios = {
        name: round(stage["fps"] / base, 4)
        for name, stage in stages.items()
        if stage and stage["fps"] and name != "decode"
    }
    note = (
        "stand-in models (vidpose.video.detect.stand_ins): detect and pose2d time everything but "
        "the networks, NOT RTMDet / RTMPose; give --detector-model and --pose-model for real "
        "figures"
        if stand_in
        else "the given model files"
    )
    return {
        "benchmark": "video",
        "video": {
            "source": str(args.video) if args.video else "vidpose.synth walker, 720p",
            "width": info.width,
            "height": info.height,
            "frames": info.num_frames,
            "fps": info.fps,
        },
        "models": {"stand_in": stand_in, "used": detector.describe(), "note": note},
        "device": "cpu",
        "onnxruntime_threads": args.threads,
        "cpu_count": os.cpu_count(),
        # Others' work on a shared machine slows every stage alike; the ratios to decoding,
        # measured in the same run, stay comparable.
        "load_average_1min": round(os.getloadavg()[0], 2),
        "stages": stages,
        "end_to_end": {
            **end_to_end,
            "stages": "decode + detect + pose2d + track + lift + image fit, streamed",
        },
        "lift_target_fps": LIFT_TARGET_FPS,
        "lift_ratio_to_target": round(lift["fps"] / LIFT_TARGET_FPS, 3),
        "ratio_to_decode": ratios,
        "end_to_end_ratio_to_decode": round(end_to_end["fps"] / base, 4),
        "person_frames_detected": int(track.detected.sum()),
        "real_clip": real_clip(shared_clip(args.shared)),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from vidpose.infra.errors import UserError

    try:
        with tempfile.TemporaryDirectory(prefix="vidpose-video-bench-") as folder:
            result = run(args, Path(folder))
    except UserError as exc:
        print(f"benchmarks/video.py: error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
