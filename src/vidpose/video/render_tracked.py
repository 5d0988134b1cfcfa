"""Renders of the video path: the tracked person's 2D (``vidpose detect --render``) and the
lifted 3D beside the video (``vidpose predict --render``).

The lifted render shows, on the video frame, each person's 2D keypoints (white dots: what the
lifter read) and their 3D skeleton projected back with the fitted root and the video's camera
(coloured bones: left blue, right red), so a user sees at once where the 3D disagrees with the
image; beside it the 3D view. A strip along the top of the frame and a label say how the main
person's pose of that frame was made: detected (green), interpolated over a short gap
(yellow), held at the nearest known pose (orange) or not in view (grey); the label gives the
frame's reprojection error, red when it is flagged. With several people, each is labelled by
id and the strip and label are the main person's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.keypoints.sequence import LayoutKeypoints
from vidpose.pose.camera import project
from vidpose.video.render import (
    BOX_RGB,
    PANEL_HEIGHT,
    SkeletonView3D,
    draw_skeleton_2d,
    fit_height,
    side_by_side,
)
from vidpose.video.track.follow import PersonTrack

#: Strip colours (RGB) of how a frame's pose was made.
STATE_RGB = {
    "detected": (60, 200, 90),
    "interpolated": (240, 210, 40),
    "held": (245, 140, 30),
    "not in view": (150, 150, 150),
}
FLAGGED_RGB = (230, 40, 40)
KEYPOINT_RGB = (255, 255, 255)


def tracked_overlay_frames(
    frames: Iterable[np.ndarray],
    track: PersonTrack,
    keypoints: LayoutKeypoints,
    min_score: float = MIN_KEYPOINT_SCORE,
) -> Iterator[np.ndarray]:
    """The frames with the person's box and skeleton (``keypoints.h36m17``) drawn;
    interpolated frames get a thin box, unknown frames nothing."""
    import cv2

    joints = keypoints.h36m17
    for index, frame in enumerate(frames):
        image = np.ascontiguousarray(frame).copy()
        if track.known[index]:
            x1, y1, x2, y2 = (int(round(float(v))) for v in track.boxes[index])
            thickness = 1 if track.interpolated[index] else 2
            cv2.rectangle(image, (x1, y1), (x2, y2), BOX_RGB, thickness, cv2.LINE_AA)
            if (joints[index, :, 2] >= min_score).any():
                draw_skeleton_2d(image, joints[index, :, :2])
        yield image


def frame_state(person, index: int) -> str:
    """How ``person``'s pose of frame ``index`` was made (a key of :data:`STATE_RGB`)."""
    if not person.lifted[index]:
        return "not in view"
    if person.held[index]:
        return "held"
    return "interpolated" if person.track.interpolated[index] else "detected"


def _text(image: np.ndarray, text: str, origin: tuple[int, int], colour, scale: float) -> None:
    import cv2

    (width, height), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x, y = origin
    cv2.rectangle(image, (x - 2, y - height - 3), (x + width + 2, y + base), (0, 0, 0), -1)
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def _draw_person(image, person, index: int, intrinsics, scale: float, label: str | None) -> None:
    import cv2

    if person.track.known[index]:
        x1, y1, x2, y2 = (int(round(float(v) * scale)) for v in person.track.boxes[index])
        thin = person.track.interpolated[index]
        cv2.rectangle(image, (x1, y1), (x2, y2), BOX_RGB, 1 if thin else 2, cv2.LINE_AA)
        if label:
            _text(image, label, (x1 + 2, max(12, y1 - 3)), BOX_RGB, 0.35)
    if person.lifted[index] and np.isfinite(person.root[index]).all():
        projected = project(person.poses3d[index] + person.root[index], intrinsics) * scale
        if np.isfinite(projected).all() and np.abs(projected).max() < 1e5:
            draw_skeleton_2d(image, projected, thickness=2)
    joints = person.keypoints.h36m17[index]
    for x, y, score in joints:
        if score >= MIN_KEYPOINT_SCORE:
            centre = (int(round(x * scale)), int(round(y * scale)))
            cv2.circle(image, centre, 3, (0, 0, 0), -1, cv2.LINE_AA)
            cv2.circle(image, centre, 2, KEYPOINT_RGB, -1, cv2.LINE_AA)


def _view_poses(lifted) -> list[np.ndarray]:
    """Per person (F, 17, 3) as the 3D view shows them: root-relative for one person; with
    several, each at its fitted root relative to their median root (so they stand apart)."""
    if len(lifted.people) == 1:
        return [lifted.main.poses3d]
    roots = np.stack([p.root for p in lifted.people])
    centre = np.nanmedian(roots.reshape(-1, 3), axis=0) if np.isfinite(roots).any() else 0.0
    placed = []
    for person in lifted.people:
        offset = np.where(np.isfinite(person.root), person.root - centre, np.nan)
        placed.append(person.poses3d + offset[:, None])
    return placed


def lifted_frames(frames: Iterable[np.ndarray], lifted) -> Iterator[np.ndarray]:
    """Side-by-side RGB frames for a :class:`vidpose.video.lifted.LiftedVideo`: the video with
    every lifted person's 2D keypoints and reprojected 3D | the 3D view of them all."""
    poses = _view_poses(lifted)
    title = "3D (camera frame)" if len(poses) == 1 else "3D (each at its fitted root)"
    view = SkeletonView3D(np.stack(poses), title=title)
    several = len(lifted.people) > 1
    try:
        for index, frame in enumerate(frames):
            if index >= len(poses[0]):
                break
            scale = PANEL_HEIGHT / frame.shape[0]
            image = np.ascontiguousarray(fit_height(np.asarray(frame), PANEL_HEIGHT)).copy()
            for person in lifted.people:
                label = f"person {person.id}" if several else None
                _draw_person(image, person, index, lifted.intrinsics, scale, label)
            _status(image, lifted.main, index, f"person {lifted.main.id}: " if several else "")
            view_poses = [p[index] for p in poses if np.isfinite(p[index]).all()]
            yield side_by_side(image, view.render(view_poses, styles=["-"]))
    finally:
        view.close()


def _status(image: np.ndarray, person, index: int, prefix: str) -> None:
    """The strip and label of how the frame's pose was made, and the legend."""
    state = frame_state(person, index)
    image[:4] = STATE_RGB[state]
    error = person.reprojection_error[index]
    text = prefix + (state if not np.isfinite(error) else f"{state}, reproj {100 * error:.1f}%")
    colour = FLAGGED_RGB if person.flagged[index] else (255, 255, 255)
    _text(image, text, (4, 18), colour, 0.4)
    bottom = image.shape[0]
    _text(image, "dots: 2D keypoints", (4, bottom - 20), KEYPOINT_RGB, 0.35)
    _text(image, "lines: 3D projected", (4, bottom - 6), KEYPOINT_RGB, 0.35)
