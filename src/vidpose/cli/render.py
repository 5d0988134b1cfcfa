"""``vidpose render STORE --clip I``: a clip or sequence of a store as an animation, for
debugging (each track draws its own store, vidpose.tracks)."""

from __future__ import annotations

from vidpose.cli.argtypes import add_overwrite_option, positive_int

ORDER = 65


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "render",
        help="animate one clip (or sequence) of a store: 2D, 3D ground truth and (with "
        "--checkpoint) the prediction",
        description="Animate clip I of a store side by side: on the left the stored frames "
        "with the ground-truth 2D skeleton (a pose-sequence store: sequence I's 2D keypoints, "
        "the lifter's input, on grey), on the right a 3D view with the ground truth (solid) "
        "and, given a checkpoint of the store's kind, the model's prediction (dashed). Prints "
        "the clip's MPJPE when predicting.",
    )
    parser.add_argument("store", metavar="STORE", help="a clip store or pose-sequence store")
    parser.add_argument(
        "--clip", type=int, required=True, metavar="I", help="clip (or sequence) index"
    )
    parser.add_argument("--checkpoint", metavar="C", help="also show this model's prediction")
    parser.add_argument(
        "--frames",
        type=positive_int,
        metavar="N",
        help="draw only the first N frames (sequences can be minutes long; default: all)",
    )
    parser.add_argument("--out", metavar="OUT.gif|OUT.mp4", help="default: clipI.gif, here")
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N (default cpu)")
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.infra.atomic import check_output
    from vidpose.infra.devices import resolve_device
    from vidpose.pose.metrics import mpjpe_mm
    from vidpose.tracks import checkpoint_track, require_same_track, store_track
    from vidpose.video.encode import check_video_path, write_video
    from vidpose.video.render import clip_animation_frames

    out = check_output(
        check_video_path(args.out or f"clip{args.clip}.gif", "--out"),
        overwrite=args.overwrite,
        inputs=(args.store, args.checkpoint),
        what="--out",
    )
    track = store_track(args.store)
    store = track.open_store(args.store)
    device = resolve_device(args.device)
    model = checkpoint = None
    if args.checkpoint:
        from vidpose.runs.checkpoint import load_model

        model, checkpoint = load_model(args.checkpoint, map_location=device)
        require_same_track(checkpoint_track(checkpoint), track, args.checkpoint, args.store)
    clip = track.render_clip(store, args.clip, model, checkpoint, device)
    shown = slice(0, args.frames)
    if clip.prediction is not None:
        error = float(mpjpe_mm(clip.prediction[shown], clip.poses3d[shown]))
        print(f"{clip.label}: MPJPE {error:.1f} mm")
    animation = clip_animation_frames(
        clip.frames[shown],
        clip.poses3d[shown],
        None if clip.poses2d is None else clip.poses2d[shown],
        pred_poses3d=None if clip.prediction is None else clip.prediction[shown],
    )
    written = write_video(out, animation, clip.fps)
    print(f"wrote {written}")
    return 0
