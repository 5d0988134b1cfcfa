"""``vidpose predict [LIFTER] VIDEO``: the lifter path of the predict command. The pipeline is
:func:`vidpose.video.lifted.lift_video`; this module checks the options, writes the render and
the npz and prints the summary; :mod:`vidpose.cli.predict` parses and dispatches."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from vidpose.cli._output import print_summary


def person_outputs_exist(out: Path) -> list[Path]:
    """The files ``--person all`` would replace: ``OUT-stem.person*.npz`` beside ``out``."""
    folder = out.parent if str(out.parent) else Path(".")
    return sorted(folder.glob(f"{out.stem}.person*{out.suffix}"))


def _trust_text(trust: dict) -> str:
    if trust["median"] is None:
        return "reprojection not measured"
    text = f"reprojection median {100 * trust['median']:.1f}%"
    worst = trust["worst_stretch"]
    if worst is not None:
        text += f", worst {100 * worst['mean']:.1f}% over {worst['start_s']:g}-{worst['end_s']:g} s"
    flagged = trust["frames_flagged"]
    return text + f", {flagged} frame{'s' * (flagged != 1)} over {100 * trust['threshold']:g}%"


def _person_summary(person, fps: float) -> dict:
    from vidpose.video.fit import trust_summary

    return {
        "id": person.id,
        "frames_known": int(person.known.sum()),
        "frames_detected": int(person.track.detected.sum()),
        "frames_interpolated": int((person.known & person.track.interpolated).sum()),
        "frames_held": int(person.held.sum()),
        "frames_not_lifted": int((~person.lifted).sum()),
        "reprojection": trust_summary(person.reprojection_error, fps),
    }


def run_lifter(
    args, video: Path, out: Path, inputs, model, checkpoint, checkpoint_path, device, started
):
    from vidpose.infra.errors import UserError
    from vidpose.video.lifted import lift_video

    for option, value in (("--box", args.box), ("--boxes", args.boxes), ("--fps", args.fps)):
        if value is not None:
            raise UserError(f"{option}: for image-model checkpoints; the lifter reads keypoints")
    if args.person == "all" and not args.overwrite and (existing := person_outputs_exist(out)):
        raise UserError(
            f"--out {out}: --person all writes {out.stem}.personN{out.suffix}, and "
            f"{existing[0]} already exists (use --overwrite to replace it)"
        )
    lifted = lift_video(
        video,
        model=model,
        checkpoint=checkpoint,
        model_name=None if checkpoint_path is None else str(checkpoint_path),
        keypoints_file=args.keypoints,
        detector_model=args.detector_model,
        pose_model=args.pose_model,
        person=args.person,
        focal=args.focal,
        image_fit=args.image_fit,
        batch_size=args.batch_size,
        device=device,
        progress=True,
    )
    written, rendered = _write(args, lifted, video, out, inputs)
    _report(args, lifted, video, written, rendered, device, started)
    return 0


def _write(args, lifted, video: Path, out: Path, inputs) -> tuple[list[Path], Path | None]:
    """The render, then the npz of each person (``--person all``: one each, named by
    :func:`vidpose.video.lifted.person_output`); nothing is left when a write fails."""
    from vidpose.cli._output import render_then_write
    from vidpose.infra.atomic import check_output
    from vidpose.video.decode import iter_source_frames
    from vidpose.video.lifted import person_output, save_lifted
    from vidpose.video.render_tracked import lifted_frames

    outputs = [(out, lifted.main)]
    if args.person == "all":
        outputs = [(person_output(out, p.id), p) for p in lifted.people]
        for path, _ in outputs:
            check_output(path, overwrite=args.overwrite, inputs=inputs, what="--out")
    return render_then_write(
        args.render,
        lambda: lifted_frames(iter_source_frames(video), lifted),
        lifted.info.fps,
        [(p, lambda p=p, who=who: save_lifted(p, lifted, who, video)) for p, who in outputs],
    )


def _report(args, lifted, video, written, rendered, device, started) -> None:
    """The note on stderr about frames without the person, and the summary."""
    from vidpose.pose.skeleton import JOINT_NAMES

    info = lifted.info
    people = [_person_summary(p, info.fps) for p in lifted.people]
    main = people[0]
    summary = {
        "source_video": str(video),
        "model": lifted.model_name,
        "lifter": lifted.lifter,
        "keypoints_source": lifted.source,
        "keypoints_models": lifted.models,
        "layout": lifted.main.keypoints.layout,
        "num_frames": info.num_frames,
        "fps": info.fps,
        "focal_px": round(float(lifted.intrinsics[0]), 2),
        "person": lifted.main.id,
        "people": people,
        "frames_with_person": main["frames_known"],
        "tracks": lifted.tracks,
        "out": ", ".join(str(p) for p in written),
        "render": None if rendered is None else str(rendered),
        "device": str(device),
        "elapsed_s": round(time.perf_counter() - started, 3),
        "units": "metres, root-relative, camera frame (x right, y down, z forward)",
        "joint_names": list(JOINT_NAMES),
        "poses3d": _rounded(lifted.main.poses3d),
    }
    missing = main["frames_not_lifted"] + main["frames_held"]
    if missing:
        print(
            f"vidpose predict: note: person {main['id']} is not known in {missing} of the "
            f"{info.num_frames} frames: {main['frames_held']} hold the nearest known pose "
            f"(held), {main['frames_not_lifted']} are NaN (person_known in the npz)",
            file=sys.stderr,
        )
    others = f" (and {len(people) - 1} more people)" if len(people) > 1 else ""
    details = (
        f"{info.num_frames} frames at {info.fps:g} fps, person {main['id']}{others} known in "
        f"{main['frames_known']} ({main['frames_interpolated']} interpolated, "
        f"{main['frames_held']} held), {_trust_text(main['reprojection'])}; "
        f"{summary['layout']} keypoints from the {lifted.source} lifted by {lifted.model_name}"
    )
    print_summary(summary, args.json, details)


def _rounded(poses: np.ndarray) -> list:
    """(F, 17, 3) → nested lists rounded to 0.01 mm, None for frames that were not lifted."""
    rounded = np.round(poses.astype(np.float64), 5)
    return [pose.tolist() if np.isfinite(pose).all() else None for pose in rounded]
