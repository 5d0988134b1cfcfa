"""``lift_video``: a video in, each followed person's 3D poses out, with the camera fitted and a
per-frame measure of how far to trust them. The lifter's video pipeline, as
:func:`vidpose.video.image_model_path.predict_video` is the RGB checkpoints' one.

1. **2D** (:func:`vidpose.video.find_people.find_people`): the detector or a keypoint file.
2. **Tracking** (:mod:`vidpose.video.track`): the main person, one by id, or everyone tracked
   for at least a second (``person="all"``); gaps of up to half a second filled.
3. **Mapping** once to the 17 Human3.6M joints
   (:class:`vidpose.keypoints.sequence.LayoutKeypoints`).
4. **Lifting** (:func:`vidpose.video.lift.lift_segments`) at the lifter's training rate, each
   stretch where the person is known on its own; frames where the person is not known, beyond
   the half second a gap may be held, are NaN.
5. **One skeleton** (:func:`one_skeleton`): every frame gets the person's bone lengths along its
   own predicted directions (:mod:`vidpose.lifting.bones`).
6. **Camera** (:mod:`vidpose.video.fit`): the root fitted so the 3D projects onto the keypoints.
7. **Fit to the image** (:func:`vidpose.lifting.image_fit.fit_to_keypoints`, unless
   ``image_fit=False``): each frame's bone directions and root moved so that the limb joints
   project onto their keypoints, near the lifted pose, smooth in time, same bone lengths.
8. **Trust**: the reprojection error of every frame, frames above the threshold flagged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.keypoints.sequence import LayoutKeypoints
from vidpose.lifting.bones import constant_bones
from vidpose.pose.camera import video_intrinsics
from vidpose.video import fit
from vidpose.video.decode import VideoInfo
from vidpose.video.detect.box_geometry import xyxy_to_xywh
from vidpose.video.find_people import find_people
from vidpose.video.lift import lift_segments, load_lifter
from vidpose.video.track.follow import PersonTrack, follow_people, follow_person, gap_frames


@dataclass
class LiftedPerson:
    """One person over all F frames of the video."""

    track: PersonTrack  # boxes (F, 4) xyxy, detected / interpolated (F,), ...
    keypoints: LayoutKeypoints  # (F, J, 3) in their layout; .h36m17 (F, 17, 3) what was lifted
    poses3d: np.ndarray  # (F, 17, 3) float32 metres, root-relative; NaN where not lifted
    poses3d_lifted: np.ndarray  # (F, 17, 3) the same before the fit to the image
    held: np.ndarray  # (F,) bool: no usable keypoints, the pose repeats the nearest frame
    root: np.ndarray  # (F, 3) metres, camera frame; NaN where it cannot be fitted
    size: np.ndarray  # (F,) the person's size in pixels (vidpose.video.fit.person_size)
    reprojection_error: np.ndarray  # (F,) fraction of the size; NaN where not measured

    @property
    def id(self) -> int:
        return self.track.track_id

    # Cached: the render reads these for every frame; the arrays do not change once built.
    @cached_property
    def lifted(self) -> np.ndarray:
        """(F,) bool: a pose was lifted for this frame (from its keypoints, or held)."""
        return np.isfinite(self.poses3d).all(axis=(1, 2))

    @cached_property
    def known(self) -> np.ndarray:
        """(F,) bool: lifted from this frame's own (detected or interpolated) keypoints."""
        return self.lifted & ~self.held

    @cached_property
    def flagged(self) -> np.ndarray:
        """(F,) bool: the reprojection error exceeds :data:`vidpose.video.fit.TRUST_THRESHOLD`."""
        return np.nan_to_num(self.reprojection_error, nan=0.0) > fit.TRUST_THRESHOLD


@dataclass
class LiftedVideo:
    """What :func:`lift_video` gives: the people lifted (the main one, or the one asked for,
    first) and how."""

    info: VideoInfo
    people: list[LiftedPerson]
    intrinsics: np.ndarray  # (4,) fx, fy, cx, cy pixels
    model_name: str
    lifter: dict  # receptive_field, flip_test, fps, image_fit
    source: str  # "detector" or "keypoints-file"
    models: str  # the detector's files or the keypoint file

    @property
    def main(self) -> LiftedPerson:
        return self.people[0]

    @property
    def tracks(self) -> list[dict]:
        """Every track's summary (each person's track carries the same list)."""
        return self.main.track.tracks


def one_skeleton(poses3d: np.ndarray, held: np.ndarray) -> np.ndarray:
    """One person's poses (F, 17, 3) with the same bone lengths in every frame
    (:func:`vidpose.lifting.bones.constant_bones`, medians over the frames lifted from
    keypoints, not ``held`` (F,) ones); frames without a pose (NaN) stay NaN."""
    posed = np.isfinite(poses3d).all(axis=(1, 2))
    out = np.array(poses3d, dtype=np.float32, copy=True)
    if posed.any():
        out[posed] = constant_bones(poses3d[posed], ~np.asarray(held, bool)[posed])
    return out


def _placed(track, keypoints, poses3d, held, intrinsics, fps, *, image_fit) -> LiftedPerson:
    """Steps 5-8 for one person: one skeleton, the root, the fit to the image, the trust."""
    lifted_poses = one_skeleton(poses3d, held)
    placed = fit.fit_person(
        lifted_poses,
        keypoints.h36m17,
        fit.person_size(keypoints.points),
        intrinsics,
        fps,
        detector_hips=keypoints.layout != "h36m17",
        image_fit=image_fit,
    )
    return LiftedPerson(
        track, keypoints, placed.poses3d, lifted_poses, held, placed.root, placed.size,
        placed.reprojection_error,
    )  # fmt: skip


def lift_video(
    video: str | os.PathLike,
    *,
    model=None,
    checkpoint: dict | None = None,
    model_name: str | None = None,
    keypoints_file: str | os.PathLike | None = None,
    detector_model: str | None = None,
    pose_model: str | None = None,
    person: int | str | None = None,
    focal: float | None = None,
    image_fit: bool = True,
    batch_size: int = 8,
    device="cpu",
    progress: bool = True,
) -> LiftedVideo:
    """3D poses of the main person of ``video`` (``person`` an id for another one, ``"all"``
    for everyone tracked long enough). ``model``/``checkpoint`` a lifter (default: the shipped
    one); ``focal`` the camera's focal length in pixels (default: the documented camera);
    ``image_fit`` False keeps the lifted poses as they are (no step 7)."""
    from vidpose.engine.clip_inference import recipe_flip_test

    if focal is not None and not 0 < focal < float("inf"):
        raise UserError(f"--focal: expected a positive focal length in pixels, got {focal}")
    if batch_size < 1:
        raise UserError(f"--batch-size: expected a positive number, got {batch_size}")
    if model is None:
        model, checkpoint, model_name = load_lifter(None, device)
    found = find_people(
        video,
        keypoints_file=keypoints_file,
        detector_model=detector_model,
        pose_model=pose_model,
        device=device,
        progress=progress,
    )
    info = found.info
    if person == "all":
        tracks = follow_people(found.people, info.fps)
    else:
        tracks = [follow_person(found.people, info.fps, person)]
    intrinsics = video_intrinsics(info.width, info.height, focal)
    flip_test = recipe_flip_test(checkpoint)
    model_fps = float(checkpoint["fps"])
    people = []
    for track in tracks:
        keypoints = LayoutKeypoints(track.keypoints.astype(np.float32), found.layout)
        poses3d, held = lift_segments(
            model,
            keypoints.h36m17,
            (info.width, info.height),
            info.fps,
            model_fps,
            gap_frames(info.fps),
            batch_size=batch_size,
            flip_test=flip_test,
            progress=progress,
        )
        people.append(
            _placed(track, keypoints, poses3d, held, intrinsics, info.fps, image_fit=image_fit)
        )
    return LiftedVideo(
        info=info,
        people=people,
        intrinsics=intrinsics,
        model_name=str(model_name),
        lifter={
            "receptive_field": int(sum(model.context)) + 1,
            "flip_test": flip_test,
            "fps": model_fps,
            "image_fit": bool(image_fit),
        },
        source=found.source,
        models=found.models,
    )


def person_output(out: str | os.PathLike, person_id: int) -> Path:
    """The npz of person ``person_id`` when every person is written: ``walk.poses.npz`` →
    ``walk.poses.person3.npz``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.person{person_id}{out.suffix}")


def save_lifted(
    path: str | os.PathLike, lifted: LiftedVideo, person: LiftedPerson, source_video
) -> Path:
    """Write one person's npz atomically (fields in docs/video.md)."""
    from vidpose.infra.atomic import write_npz_atomic
    from vidpose.pose.skeleton import JOINT_NAMES

    track = person.track
    boxes = xyxy_to_xywh(track.boxes).astype(np.float32)  # NaN rows stay NaN
    info = lifted.info
    return write_npz_atomic(
        path,
        dict(
            poses3d=person.poses3d.astype(np.float32),
            poses3d_lifted=person.poses3d_lifted.astype(np.float32),
            image_fit=np.bool_(lifted.lifter["image_fit"]),
            joint_names=np.asarray(JOINT_NAMES),
            root=person.root.astype(np.float32),
            intrinsics=lifted.intrinsics.astype(np.float32),
            keypoints2d=person.keypoints.points.astype(np.float32),
            layout=np.asarray(person.keypoints.layout),
            keypoints2d_h36m17=person.keypoints.h36m17.astype(np.float32),
            boxes=boxes,
            person_known=person.known,
            detected=track.detected,
            interpolated=track.interpolated,
            held=person.held,
            person_size_px=person.size.astype(np.float32),
            reprojection_error=person.reprojection_error.astype(np.float32),
            reprojection_flagged=person.flagged,
            reprojection_threshold=np.float64(fit.TRUST_THRESHOLD),
            min_keypoint_score=np.float64(MIN_KEYPOINT_SCORE),
            fps=np.float64(info.fps),
            width=np.int64(info.width),
            height=np.int64(info.height),
            source_video=np.asarray(str(source_video)),
            keypoints_source=np.asarray(f"{lifted.source}: {lifted.models}"),
            model=np.asarray(lifted.model_name),
            person=np.int64(person.id),
            tracks=np.asarray(json.dumps(lifted.tracks)),
        ),
    )
