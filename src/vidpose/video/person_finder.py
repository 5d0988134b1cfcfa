"""Where the person is, for RGB checkpoints: the tracked person's boxes from the built-in
detector or from a keypoint file, in the form :func:`vidpose.video.image_model_path.predict_video`
takes (``finder(video_info, frame_indices, progress)`` → boxes (F, 4) x, y, w, h with NaN rows
where the person is not known, and the finder's name).

:func:`choose_person_finder` decides: ``--keypoints FILE``, else ``--detector-model``, else the
default RTMDet when the ``video`` extra is installed and its model file is in the cache; else
None (background subtraction) and a note saying how to get the detector.
"""

from __future__ import annotations

import os

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.video.detect.box_geometry import xyxy_to_xywh
from vidpose.video.track.follow import PersonTrack, follow_person


def _rate(info, indices: np.ndarray) -> float:
    """The frame rate of the frames used (resampled or not)."""
    return info.fps * len(indices) / max(1, info.num_frames)


class DetectorFinder:
    """Boxes of the person followed through the frames by the built-in detector."""

    name = "detector"

    def __init__(self, detector, person: int | None = None) -> None:
        self.detector, self.person = detector, person
        self.track: PersonTrack | None = None

    def describe(self) -> str:
        return f"the detector ({self.detector.describe()})"

    def __call__(self, info, indices: np.ndarray, progress: bool) -> tuple[np.ndarray, str]:
        from vidpose.video.decode import iter_frames
        from vidpose.video.detect.pipeline import detect_frames

        frames = iter_frames(info.path, indices)
        people = detect_frames(
            frames, self.detector, info.path, progress=progress, total=len(indices)
        )
        self.track = follow_person(people, _rate(info, indices), self.person)
        return xyxy_to_xywh(self.track.boxes), self.name


class KeypointsFinder:
    """Boxes of the person followed through a keypoint file's frames."""

    name = "keypoints-file"

    def __init__(self, path: str | os.PathLike, person: int | None = None) -> None:
        self.path, self.person = path, person
        self.track: PersonTrack | None = None

    def describe(self) -> str:
        return f"--keypoints {self.path}"

    def __call__(self, info, indices: np.ndarray, progress: bool) -> tuple[np.ndarray, str]:
        from vidpose.video.keypoint_files import read_keypoints

        keypoints = read_keypoints(self.path, info.num_frames, (info.width, info.height))
        self.track = follow_person(keypoints.people, info.fps, self.person)
        return xyxy_to_xywh(self.track.boxes)[indices], self.name


def choose_person_finder(
    detector_model: str | None = None,
    keypoints: str | None = None,
    person: int | None = None,
    device: str = "cpu",
) -> tuple[DetectorFinder | KeypointsFinder | None, str | None]:
    """The person finder and, when it falls back to background subtraction, why (a note)."""
    from vidpose.video.detect.model_files import DEFAULT_DETECTOR, MODELS, cached_path, fetch_hint
    from vidpose.video.detect.pipeline import build_detector, video_extra_available

    if keypoints is not None:
        if detector_model is not None:
            raise UserError("--keypoints and --detector-model: give one of them, not both")
        return KeypointsFinder(keypoints, person), None
    if detector_model is not None:
        detector = build_detector(detector_model, device=device, with_keypoints=False)
        return DetectorFinder(detector, person), None
    spec = MODELS[DEFAULT_DETECTOR]
    if not video_extra_available():
        why = "the video extra is not installed (pip install 'vidpose[video]')"
    elif not cached_path(spec).is_file():
        why = f"no detector model ({fetch_hint([spec])}, or give --detector-model PATH)"
    else:
        detector = build_detector(None, device=device, with_keypoints=False, download=False)
        return DetectorFinder(detector, person), None
    if person is not None:
        raise UserError(f"--person {person}: needs the detector or --keypoints, but {why}")
    return None, f"finding the person by background subtraction: {why}"
