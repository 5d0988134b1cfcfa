"""The 2D stage's result for one video (``vidpose detect``): the tracked person's keypoints.

The npz is also a ``--keypoints`` input (:mod:`vidpose.video.keypoint_files`): ``keypoints``
(F, K, 3) x, y pixels and score (0 where the person is not known), ``layout``, ``fps``,
``width``, ``height``; besides them ``boxes`` (F, 4) x1, y1, x2, y2 (NaN where not known),
``box_scores`` (F,), ``detected`` (F,) and ``interpolated`` (F,) bool, ``low_confidence``
(F, K) bool, ``person`` (the track id), ``tracks`` (JSON: every track's summary),
``source_video`` and ``models``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from vidpose.keypoints.sequence import LayoutKeypoints
from vidpose.video.track.follow import PersonTrack


def save_keypoints(
    path: str | os.PathLike,
    track: PersonTrack,
    keypoints: LayoutKeypoints,
    *,
    fps: float,
    size: tuple[int, int],
    source_video: str | os.PathLike,
    models: str,
) -> Path:
    """Write the npz atomically: ``track`` and its ``keypoints`` (F, K, 3) in their layout;
    ``size`` is the video's (width, height)."""
    from vidpose.infra.atomic import write_npz_atomic

    write_npz_atomic(
        path,
        dict(
            keypoints=keypoints.points.astype(np.float32),
            layout=np.asarray(keypoints.layout),
            fps=np.float64(fps),
            width=np.int64(size[0]),
            height=np.int64(size[1]),
            boxes=track.boxes.astype(np.float32),
            box_scores=track.scores.astype(np.float32),
            detected=track.detected,
            interpolated=track.interpolated,
            low_confidence=track.low_confidence,
            person=np.int64(track.track_id),
            tracks=np.asarray(json.dumps(track.tracks)),
            source_video=np.asarray(str(source_video)),
            models=np.asarray(models),
        ),
    )
    return Path(path)
