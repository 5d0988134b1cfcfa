"""``predict_video``: a video file in, per-frame 3D poses (F, 17, 3) out.

The steps: read the video (optionally resampled to another frame rate), find the person in
each frame (fixed box, boxes file, or detector; :mod:`vidpose.video.person_boxes`), cut
square crops like the training crops and resize them to the model's input, then run the model
over sliding windows of its clip length (:mod:`vidpose.video.clip_windows`). Each window's
geometry is its crop squares in the video and a camera of the video's size
(:func:`vidpose.pose.camera.video_intrinsics`: the focal length given, else a default
field of view), so the integral head lifts as it does on a stored clip.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidpose.clips.crops import cut_and_resize
from vidpose.infra.errors import UserError
from vidpose.pose.camera import video_intrinsics
from vidpose.video import person_boxes
from vidpose.video.clip_windows import predict_windows
from vidpose.video.decode import iter_frames, probe_video, resample_indices


@dataclass
class VideoPrediction:
    """The result of :func:`predict_video`, one row per output frame (F of them)."""

    poses3d: np.ndarray  # (F, 17, 3) float32, metres, root-relative (pelvis at 0)
    boxes: np.ndarray  # (F, 4) float32 crop squares (x, y, side, side), source pixels
    person_boxes: np.ndarray  # (F, 4) float32 smoothed person boxes (x, y, w, h)
    fps: float  # frame rate of the output frames
    source_video: Path
    source_indices: np.ndarray  # (F,) int64, the source-video frame shown in each output frame
    box_source: str  # "box", "boxes-file", "hog", "motion" or the person finder's name
    padded: bool  # the video was shorter than one clip and was padded
    #: (4,) float32 fx, fy, cx, cy, video pixels: the camera the poses were lifted with
    intrinsics: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return int(self.poses3d.shape[0])

    @property
    def squares(self) -> np.ndarray:
        """(F, 3) crop squares (x0, y0, side)."""
        return self.boxes[:, :3].astype(np.float64)


def _person_boxes(
    video: Path,
    indices: np.ndarray,
    frame_size: tuple[int, int],
    num_source_frames: int,
    box: str | None,
    boxes_file: str | os.PathLike | None,
    progress: bool,
    person_finder=None,
    info=None,
) -> tuple[np.ndarray, str]:
    if box is not None and boxes_file is not None:
        raise UserError("--box and --boxes: give one of them, not both")
    if box is not None:
        fixed = person_boxes.parse_box(box, frame_size)
        return np.tile(fixed, (len(indices), 1)), "box"
    if boxes_file is not None:
        per_source = person_boxes.load_boxes_file(boxes_file, num_source_frames, frame_size)
        return per_source[indices], "boxes-file"
    if person_finder is not None:
        return person_finder(info, indices, progress)
    return person_boxes.detect_person_boxes(iter_frames(video, indices), progress=progress)


def _cut_crops(video: Path, indices: np.ndarray, squares: np.ndarray, image_size: int):
    """The person crops (F, S, S, 3) uint8 of the frames at ``indices``, ``squares`` (F, 3)."""
    crops = np.stack(
        [
            cut_and_resize(frame, square, image_size)
            for frame, square in zip(iter_frames(video, indices), squares, strict=False)
        ]
    )
    if len(crops) != len(indices):
        raise UserError(
            f"{video}: decoded {len(crops)} frames on the second pass, not "
            f"{len(indices)} (a damaged file?)"
        )
    return crops


def predict_video(
    model,
    video: str | os.PathLike,
    *,
    clip_frames: int,
    image_size: int,
    box: str | None = None,
    boxes_file: str | os.PathLike | None = None,
    target_fps: float | None = None,
    device: str = "cpu",
    batch_size: int = 8,
    stride: int | None = None,
    smoothing_window: int = 9,
    flip_test: bool = False,
    focal: float | None = None,
    progress: bool = False,
    person_finder=None,
) -> VideoPrediction:
    """3D poses for every (resampled) frame of ``video``.

    ``model`` is a PoseModel already on ``device``; ``clip_frames`` and ``image_size`` are the
    clip length and square input side it was trained with (from its checkpoint). ``box`` is
    ``"x,y,w,h"``; ``boxes_file`` a JSON file of per-source-frame boxes; with neither, the
    person is found by ``person_finder(video_info, frame_indices, progress)`` → (boxes (F, 4)
    x, y, w, h with NaN rows, name) when given (:mod:`vidpose.video.person_finder`), else by
    background subtraction. ``target_fps`` resamples the video (e.g. to the training fps).
    ``flip_test`` averages with the mirrored prediction (as the checkpoint's recipe does);
    ``focal`` is the camera's focal length in video pixels (None: the documented default).
    """
    if batch_size < 1:
        raise UserError(f"--batch-size: must be at least 1, got {batch_size}")
    if focal is not None and not focal > 0:
        raise UserError(f"--focal: expected a focal length in pixels > 0, got {focal!r}")
    video = Path(video)
    info = probe_video(video)
    indices = resample_indices(info.num_frames, info.fps, target_fps)
    fps = float(target_fps) if target_fps else info.fps
    raw_boxes, box_source = _person_boxes(
        video,
        indices,
        (info.width, info.height),
        info.num_frames,
        box,
        boxes_file,
        progress,
        person_finder,
        info,
    )
    smoothed = person_boxes.smooth_boxes(person_boxes.fill_gaps(raw_boxes), smoothing_window)
    squares = person_boxes.square_crops(smoothed)
    crops = _cut_crops(video, indices, squares, image_size)
    camera = video_intrinsics(info.width, info.height, focal)
    poses = predict_windows(
        model,
        crops,
        clip_frames,
        squares=np.maximum(np.round(squares), [-np.inf, -np.inf, 1]),  # the pixels cut
        intrinsics=camera,
        flip_test=flip_test,
        batch_size=batch_size,
        device=device,
        stride=stride,
        progress=progress,
    )
    boxes = np.concatenate([squares, squares[:, 2:3]], axis=1).astype(np.float32)
    return VideoPrediction(
        poses3d=poses,
        boxes=boxes,
        person_boxes=smoothed.astype(np.float32),
        fps=fps,
        source_video=video,
        source_indices=indices,
        box_source=box_source,
        padded=len(crops) < clip_frames,
        intrinsics=camera,
    )


def save_prediction(path: str | os.PathLike, prediction: VideoPrediction) -> Path:
    """Write ``prediction`` as an npz atomically: ``poses3d`` (F, 17, 3) metres root-relative,
    ``joint_names`` (17,), ``fps`` (), ``boxes`` (F, 4) crop squares x, y, w, h in source pixels,
    ``person_boxes`` (F, 4), ``source_video`` (), ``source_frames`` (F,), ``intrinsics`` (4,) the
    camera assumed (fx, fy, cx, cy, video pixels)."""
    from vidpose.infra.atomic import write_npz_atomic
    from vidpose.pose.skeleton import JOINT_NAMES

    write_npz_atomic(
        path,
        dict(
            poses3d=prediction.poses3d.astype(np.float32),
            joint_names=np.asarray(JOINT_NAMES),
            fps=np.float64(prediction.fps),
            boxes=prediction.boxes.astype(np.float32),
            person_boxes=prediction.person_boxes.astype(np.float32),
            source_video=np.asarray(str(prediction.source_video)),
            source_frames=prediction.source_indices.astype(np.int64),
            **({} if prediction.intrinsics is None else {"intrinsics": prediction.intrinsics}),
        ),
    )
    return Path(path)
