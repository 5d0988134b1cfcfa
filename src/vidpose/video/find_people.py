"""The 2D stage of a video: the people of every frame, from the built-in detector or from a
keypoint file another tool wrote, with the layout of their keypoints.

Between decoding and tracking: :func:`find_people` probes the video, then either reads
``keypoints_file`` (:mod:`vidpose.video.keypoint_files`, checked against the video's frame
count and size) or runs the detector (:mod:`vidpose.video.detect`) over every frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from vidpose.infra.errors import UserError
from vidpose.video.decode import VideoInfo, iter_source_frames, probe_video
from vidpose.video.people import FramePeople


@dataclass
class VideoPeople:
    """The people of each of a video's frames and where they came from."""

    info: VideoInfo
    people: list[FramePeople]  # one per frame; keypoints (N, K, 3) in ``layout``
    layout: str | None  # the keypoints' layout; None when only boxes were found
    source: str  # "detector" or "keypoints-file"
    models: str  # the detector's model files, or the keypoint file


def find_people(
    video: str | os.PathLike,
    *,
    keypoints_file: str | os.PathLike | None = None,
    detector_model: str | None = None,
    pose_model: str | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> VideoPeople:
    """The people of every frame of ``video``: ``keypoints_file`` when given, else the
    detector (``detector_model`` / ``pose_model``: files or known names, None for the
    defaults). ``UserError`` when nobody is found in any frame."""
    info = probe_video(video)
    if keypoints_file is not None:
        from vidpose.video.keypoint_files import read_keypoints

        if detector_model is not None or pose_model is not None:
            raise UserError("--keypoints: give the keypoints or the detector models, not both")
        found = read_keypoints(keypoints_file, info.num_frames, (info.width, info.height))
        return VideoPeople(info, found.people, found.layout, "keypoints-file", str(keypoints_file))
    from vidpose.video.detect.pipeline import build_detector, detect_frames

    detector = build_detector(detector_model, pose_model, device=str(device))
    people = detect_frames(
        iter_source_frames(video), detector, video, progress=progress, total=info.num_frames
    )
    return VideoPeople(info, people, detector.layout, "detector", detector.describe())
