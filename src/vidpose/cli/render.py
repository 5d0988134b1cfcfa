"""``vidpose render STORE --clip I``: a dataset clip as an animation, for debugging."""

from __future__ import annotations

ORDER = 65


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "render",
        help="animate one clip of a store: frames with 2D ground truth, 3D ground truth and "
        "(with --checkpoint) the prediction",
        description="Animate clip I of a clip store side by side: the stored frames with the "
        "ground-truth 2D skeleton, and a 3D view with the ground truth (solid) and, given a "
        "checkpoint, the model's prediction (dashed). Prints the clip's MPJPE when predicting.",
    )
    parser.add_argument("store", metavar="STORE", help="a clip store directory")
    parser.add_argument("--clip", type=int, required=True, metavar="I", help="clip index")
    parser.add_argument("--checkpoint", metavar="C", help="also show this model's prediction")
    parser.add_argument("--out", metavar="OUT.gif|OUT.mp4", help="default: clipI.gif, here")
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N (default cpu)")
    parser.set_defaults(run=run)


def run(args) -> int:
    import numpy as np

    from vidpose.atomic import check_writable
    from vidpose.devices import resolve_device
    from vidpose.errors import UserError
    from vidpose.store import open_store
    from vidpose.video.encode import check_video_path, write_video
    from vidpose.video.render import clip_animation_frames

    out = check_writable(check_video_path(args.out or f"clip{args.clip}.gif", "--out"), "--out")
    store = open_store(args.store)
    if not 0 <= args.clip < store.num_clips:
        raise UserError(f"--clip {args.clip}: {store.path} holds clips 0..{store.num_clips - 1}")
    gt = store.poses3d[args.clip]
    poses2d = store.poses2d[args.clip]
    if store.has_frames:
        frames = np.asarray(store.frames[args.clip])
    else:
        # A pose-only store: draw the 2D ground truth on grey, framed around it.
        side = int(np.ceil(max(poses2d.max(), 1.0)))
        frames = np.full((store.frames_per_clip, side, side, 3), 64, np.uint8)
    prediction = None
    if args.checkpoint:
        from vidpose.checkpoint import load_model, require_image_model
        from vidpose.engine.predict import recipe_flip_test
        from vidpose.metrics import mpjpe_mm
        from vidpose.video.clip_windows import predict_windows

        if not store.has_frames:
            raise UserError(f"{store.path}: a pose-only store has no frames to predict from")
        device = resolve_device(args.device)
        model, checkpoint = load_model(args.checkpoint, map_location=device)
        require_image_model(model, args.checkpoint, "vidpose render")
        has_geometry = store.crop is not None and store.intrinsics is not None
        prediction = predict_windows(
            model,
            frames,
            int(checkpoint["clip_frames"]),
            squares=store.crop[args.clip] if has_geometry else None,
            intrinsics=store.intrinsics[args.clip] if has_geometry else None,
            flip_test=recipe_flip_test(checkpoint),
            device=device,
            image_size=int(checkpoint["image_size"]),
        )
        row = store.clips[args.clip]
        print(
            f"clip {args.clip} ({row['subject']} {row['action']} camera {row['camera']}): "
            f"MPJPE {float(mpjpe_mm(prediction, gt)):.1f} mm"
        )
    fps = float(store.meta.get("fps", 50.0)) / max(1, int(store.meta.get("frame_stride", 1)))
    animation = clip_animation_frames(frames, gt, poses2d, pred_poses3d=prediction)
    written = write_video(out, animation, fps)
    print(f"wrote {written}")
    return 0
