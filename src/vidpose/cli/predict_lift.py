"""``vidpose predict [LIFTER] VIDEO``: the lifter path of the predict command (the 2D stage,
then :mod:`vidpose.inference.lift_video`); :mod:`vidpose.cli.predict` parses and dispatches."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from vidpose.cli._output import print_summary


def lift_animation_frames(
    overlays: Iterable[np.ndarray], poses3d: np.ndarray
) -> Iterator[np.ndarray]:
    """Side-by-side RGB frames: the video with the person's box and 2D keypoints | the 3D
    skeleton over its floor."""
    from vidpose.animation import SkeletonView3D, side_by_side

    view = SkeletonView3D(poses3d, title="3D (lifted, camera frame)")
    try:
        for index, image in enumerate(overlays):
            if index >= len(poses3d):
                break
            yield side_by_side(image, view.render([poses3d[index]]))
    finally:
        view.close()


def run_lifter(args, video: Path, out: Path, model, checkpoint, checkpoint_path, device, started):
    from vidpose.atomic import user_error_on_write
    from vidpose.camera import root_translation, video_intrinsics
    from vidpose.engine.predict import recipe_flip_test
    from vidpose.errors import UserError
    from vidpose.inference.lift_video import (
        lift_at_model_rate,
        load_lifter,
        save_lifted,
        video_keypoints,
    )
    from vidpose.keypoints import MIN_KEYPOINT_SCORE
    from vidpose.keypoints.layouts import to_h36m17
    from vidpose.skeleton import JOINT_NAMES

    for option, value in (("--box", args.box), ("--boxes", args.boxes), ("--fps", args.fps)):
        if value is not None:
            raise UserError(f"{option}: for image-model checkpoints; the lifter reads keypoints")
    if args.focal is not None and not 0 < args.focal < float("inf"):
        raise UserError(f"--focal: expected a positive focal length in pixels, got {args.focal}")
    if args.batch_size < 1:
        raise UserError(f"--batch-size: expected a positive number, got {args.batch_size}")
    if model is None:
        model, checkpoint, model_name = load_lifter(None, device)
    else:
        model_name = str(checkpoint_path)
    found = video_keypoints(
        video,
        keypoints_file=args.keypoints,
        detector_model=args.detector_model,
        pose_model=args.pose_model,
        person=args.person,
        device=device,
        progress=True,
    )
    keypoints17 = to_h36m17(found.track.keypoints, found.layout).astype(np.float32)
    info = found.info
    poses3d, known = lift_at_model_rate(
        model,
        keypoints17,
        (info.width, info.height),
        info.fps,
        float(checkpoint["fps"]),
        batch_size=args.batch_size,
        flip_test=recipe_flip_test(checkpoint),
        progress=True,
    )
    from vidpose.lifting.bones import constant_bones

    poses3d = constant_bones(poses3d, known)  # one person: one skeleton for the whole video
    intrinsics = video_intrinsics(info.width, info.height, args.focal)
    root = root_translation(
        poses3d, keypoints17[..., :2], intrinsics, keypoints17[..., 2] >= MIN_KEYPOINT_SCORE
    )
    rendered = None
    if args.render:  # before the npz: a failed render leaves no poses file as if all went well
        from vidpose.detect.keypoints_output import overlay_frames
        from vidpose.video import iter_source_frames, write_video

        overlays = overlay_frames(iter_source_frames(video), found.track, found.layout)
        with user_error_on_write(args.render):
            rendered = write_video(args.render, lift_animation_frames(overlays, poses3d), info.fps)
    try:
        with user_error_on_write(out):
            save_lifted(
                out,
                poses3d=poses3d,
                root=root,
                intrinsics=intrinsics,
                known=known,
                found=found,
                keypoints17=keypoints17,
                model_name=model_name,
                source_video=video,
            )
    except UserError:
        if rendered is not None:
            rendered.unlink(missing_ok=True)
        raise
    summary = {
        "source_video": str(video),
        "model": model_name,
        "lifter": {
            "receptive_field": int(sum(model.context)) + 1,
            "flip_test": recipe_flip_test(checkpoint),
            "fps": float(checkpoint["fps"]),
        },
        "keypoints_source": found.source,
        "keypoints_models": found.models,
        "layout": found.layout,
        "num_frames": int(len(poses3d)),
        "frames_with_person": int(known.sum()),
        "fps": info.fps,
        "focal_px": round(float(intrinsics[0]), 2),
        "person": found.track.track_id,
        "tracks": found.track.tracks,
        "out": str(out),
        "render": None if rendered is None else str(rendered),
        "device": str(device),
        "elapsed_s": round(time.perf_counter() - started, 3),
        "units": "metres, root-relative, camera frame (x right, y down, z forward)",
        "joint_names": list(JOINT_NAMES),
        "poses3d": np.round(poses3d.astype(np.float64), 5).tolist(),
    }
    if known.sum() < len(known):
        print(
            f"vidpose predict: note: the person is not known in {len(known) - int(known.sum())} "
            "of the frames; their poses repeat the nearest known frame (person_known in the npz)",
            file=sys.stderr,
        )
    details = (
        f"{len(poses3d)} frames at {info.fps:g} fps, {found.layout} keypoints from the "
        f"{found.source} lifted by {model_name}"
    )
    print_summary(summary, args.json, details)
    return 0
