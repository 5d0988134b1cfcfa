"""People in every frame: person boxes, then keypoints (top-down), or both at once (RTMO).

:func:`build_detector` turns the command-line choices (local files or known model names, the
device) into a :class:`Detector2D`; :func:`detect_frames` runs it over frames with progress.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.video.people import FramePeople


def video_extra_available() -> bool:
    """Whether ONNX Runtime (the ``video`` extra) is installed."""
    return importlib.util.find_spec("onnxruntime") is not None


def require_video_extra(what: str) -> None:
    if not video_extra_available():
        raise UserError(
            f"{what} needs ONNX Runtime: pip install 'vidpose[video]' (or pip install onnxruntime)"
        )


class Detector2D:
    """``detector(frame)`` → :class:`FramePeople` for an RGB uint8 frame (H, W, 3).

    With a top-down pose model a person detector finds the boxes first; a one-stage model
    (RTMO) needs none; with no pose model only boxes come out (``keypoints`` is None)."""

    def __init__(self, person_detector=None, pose_model=None) -> None:
        from vidpose.video.detect.runners import OneStagePose

        self.person_detector, self.pose_model = person_detector, pose_model
        self.one_stage = isinstance(pose_model, OneStagePose)
        if person_detector is None and not self.one_stage:
            raise ValueError("a person detector is needed unless the pose model is one-stage")

    @property
    def layout(self) -> str | None:
        return None if self.pose_model is None else self.pose_model.layout

    def describe(self) -> str:
        parts = [m.path.name for m in (self.person_detector, self.pose_model) if m is not None]
        return " + ".join(parts)

    def __call__(self, frame: np.ndarray) -> FramePeople:
        if self.one_stage:
            boxes, scores, keypoints = self.pose_model(frame)
            return FramePeople(boxes, scores, keypoints)
        boxes, scores = self.person_detector(frame)
        keypoints = None if self.pose_model is None else self.pose_model(frame, boxes)
        return FramePeople(boxes, scores, keypoints)


def build_detector(
    detector_model: str | None = None,
    pose_model: str | None = None,
    *,
    device: str = "cpu",
    with_keypoints: bool = True,
    download: bool = True,
    threads: int | None = None,
) -> Detector2D:
    """Load the models: ``detector_model`` / ``pose_model`` are local .onnx paths or known
    names (:data:`~vidpose.video.detect.model_files.MODELS`), None for the defaults. Known models
    missing from the cache are downloaded when ``download`` allows, else one ``UserError``
    says what to fetch. ``with_keypoints=False`` loads the person detector alone."""
    require_video_extra("the built-in 2D detector")
    from vidpose.video.detect.model_files import (
        DEFAULT_DETECTOR,
        DEFAULT_POSE,
        MODELS,
        providers_for,
        resolve_models,
    )
    from vidpose.video.detect.runners import OneStagePose, PersonDetector, load_pose_model

    providers_for(device)  # a wrong --device is said before any model is fetched

    pose, pose_value, needs_detector = None, pose_model or DEFAULT_POSE, True
    if with_keypoints and pose_value in MODELS:
        needs_detector = MODELS[pose_value].role != "one-stage"
    elif with_keypoints:  # a local file: its outputs say whether it needs a person detector
        (path,) = resolve_models([("--pose-model", pose_value)], download)
        pose = load_pose_model(path, device=device, threads=threads)
        needs_detector = not isinstance(pose, OneStagePose)
    wanted = []
    if needs_detector:
        wanted.append(("--detector-model", detector_model or DEFAULT_DETECTOR))
    if with_keypoints and pose is None:
        wanted.append(("--pose-model", pose_value))
    resolved = resolve_models(wanted, download)
    paths = {option: path for (option, _), path in zip(wanted, resolved, strict=True)}

    def published_size(option: str):  # for files whose input size is dynamic
        value = dict(wanted)[option]
        return MODELS[value].input_size if value in MODELS else None

    if "--pose-model" in paths:
        pose = load_pose_model(
            paths["--pose-model"],
            device=device,
            threads=threads,
            input_size=published_size("--pose-model"),
        )
    person = None
    if needs_detector:
        person = PersonDetector(
            paths["--detector-model"],
            device=device,
            threads=threads,
            input_size=published_size("--detector-model"),
        )
    return Detector2D(person, pose)


def detect_frames(
    frames: Iterable[np.ndarray],
    detector: Detector2D,
    video,
    progress: bool = False,
    total=None,
) -> list[FramePeople]:
    """Run ``detector`` on every RGB frame of ``video`` (its path, for the error); a progress
    bar (readable in a log) when asked. ``UserError`` when nobody is found in any frame."""
    from vidpose.infra.progress import progress_bar

    what = "2D keypoints" if detector.pose_model is not None else "person boxes"
    bar = progress_bar(frames, desc=what, unit="frame", total=total, disable=not progress)
    people = [detector(frame) for frame in bar]
    if not any(len(found) for found in people):
        raise UserError(f"{video}: nobody found in any frame (the detector saw no person)")
    return people
