"""The 2D stage's result for one video: the tracked person's keypoints, saved and drawn.

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
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from vidpose.errors import UserError
from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.video.track import PersonTrack


def save_keypoints(
    path: str | os.PathLike,
    track: PersonTrack,
    layout: str,
    *,
    fps: float,
    size: tuple[int, int],
    source_video: str | os.PathLike,
    models: str,
) -> Path:
    """Write the npz atomically; ``size`` is the video's (width, height)."""
    from vidpose.atomic import write_npz_atomic

    path = Path(path)
    if path.suffix != ".npz":
        raise UserError(f"--out {path}: the keypoints file must end in .npz")
    write_npz_atomic(
        path,
        dict(
            keypoints=track.keypoints.astype(np.float32),
            layout=np.asarray(layout),
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
    return path


def overlay_frames(
    frames: Iterable[np.ndarray],
    track: PersonTrack,
    layout: str,
    min_score: float = MIN_KEYPOINT_SCORE,
) -> Iterator[np.ndarray]:
    """The frames with the person's box and skeleton (the keypoints mapped to the 17 joints)
    drawn; interpolated frames get a dashed-looking thin box, unknown frames nothing."""
    import cv2

    from vidpose.keypoints.layouts import to_h36m17
    from vidpose.video.render import BOX_RGB, draw_skeleton_2d

    joints = to_h36m17(track.keypoints, layout)
    for index, frame in enumerate(frames):
        image = np.ascontiguousarray(frame).copy()
        if track.known[index]:
            x1, y1, x2, y2 = (int(round(float(v))) for v in track.boxes[index])
            thickness = 1 if track.interpolated[index] else 2
            cv2.rectangle(image, (x1, y1), (x2, y2), BOX_RGB, thickness, cv2.LINE_AA)
            if (joints[index, :, 2] >= min_score).any():
                draw_skeleton_2d(image, joints[index, :, :2])
        yield image
