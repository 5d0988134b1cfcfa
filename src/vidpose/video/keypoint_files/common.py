"""What every keypoint file reader shares: the result (:class:`KeypointFile`), turning one
frame's people into :class:`~vidpose.video.people.FramePeople`, and the one-line errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.keypoints.layouts import canonical_layout
from vidpose.video.people import FramePeople

#: The layout a JSON file's joint count stands for (17 is COCO's for detector output).
LAYOUT_BY_JOINTS = {17: "coco17", 26: "halpe26", 25: "body25", 16: "mpii16"}


@dataclass
class KeypointFile:
    """What a keypoint file holds: the people of each of its ``num_frames`` frames."""

    path: Path
    format: str  # "npz", "mmpose-json", "coco-json" or "openpose"
    layout: str  # a key of LAYOUTS
    people: list[FramePeople]  # one per frame; keypoints (N, J, 3) x, y pixels and score
    fps: float | None = None
    width: int | None = None
    height: int | None = None

    @property
    def num_frames(self) -> int:
        return len(self.people)

    def check_frames(self, num_frames: int, what: str = "the video") -> None:
        """``UserError`` unless the file has one entry per frame of ``what``."""
        if self.num_frames != num_frames:
            raise UserError(
                f"--keypoints {self.path}: {self.num_frames} frames, but {what} has {num_frames}"
            )


def refuse(path: Path, problem: str) -> UserError:
    """The one-line error about keypoint file ``path``."""
    return UserError(f"--keypoints {path}: {problem}")


def layout_named(name, path: Path) -> str:
    try:
        return canonical_layout(str(name))
    except ValueError as exc:
        raise refuse(path, str(exc)) from None


def layout_of_count(joints: int, path: Path, where: str) -> str:
    if joints not in LAYOUT_BY_JOINTS:
        known = ", ".join(f"{k} ({v})" for k, v in LAYOUT_BY_JOINTS.items())
        raise refuse(path, f"{where} has {joints} keypoints; known layouts have {known}")
    return LAYOUT_BY_JOINTS[joints]


def number_array(value, shape_hint: str, path: Path, where: str) -> np.ndarray:
    """``value`` as float64, or a one-line error saying it is not ``shape_hint``."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise refuse(path, f"{where} is not {shape_hint}") from None


def optional_number(value, path: Path, where: str) -> float | None:
    """A score the file may leave out or give as null: None then, else a finite number."""
    if value is None:
        return None
    array = number_array(value, "a number", path, where).reshape(-1)
    if array.size != 1 or not np.isfinite(array[0]):
        raise refuse(path, f"{where} is not a number ({value!r})")
    return float(array[0])


def boxes_from_keypoints(keypoints: np.ndarray) -> np.ndarray:
    """(N, J, 3) → (N, 4) xyxy around each person's joints scored at least the threshold
    (all scored joints when none is): stray low-confidence joints do not stretch the box."""
    boxes = np.zeros((len(keypoints), 4))
    for index, person in enumerate(keypoints):
        seen = person[person[:, 2] >= MIN_KEYPOINT_SCORE, :2]
        if not len(seen):
            seen = person[person[:, 2] > 0, :2]
        if len(seen):
            boxes[index] = [*seen.min(axis=0), *seen.max(axis=0)]
    return boxes


def frame_people(keypoints: list, boxes: list | None, scores: list | None, joints: int):
    """People of one frame (:class:`FramePeople`). A joint without finite coordinates or
    score counts as not found (score 0); a person without any found joint is dropped;
    ``boxes`` entries or ``scores`` entries that are None are made from the keypoints."""
    if not keypoints:
        return FramePeople(np.zeros((0, 4)), np.zeros(0), np.zeros((0, joints, 3)))
    points = np.stack(keypoints).astype(np.float64)
    points[~np.isfinite(points).all(axis=-1)] = 0.0
    points[..., 2] = np.maximum(points[..., 2], 0.0)
    keep = (points[:, :, 2] > 0).any(axis=1)
    derived = boxes_from_keypoints(points)
    if boxes is not None:
        derived = np.asarray([d if b is None else b for b, d in zip(boxes, derived, strict=True)])
    given = scores or [None] * len(points)
    mean_scores = [
        s if s is not None else float(p[p[:, 2] > 0, 2].mean()) if (p[:, 2] > 0).any() else 0.0
        for s, p in zip(given, points, strict=True)
    ]
    return FramePeople(
        derived[keep].astype(np.float64), np.asarray(mean_scores, np.float64)[keep], points[keep]
    )


def check_in_frame(result: KeypointFile, size: tuple[int, int]) -> None:
    """``UserError`` when a found keypoint lies far outside the (width, height) frame: more
    than the frame's longer side beyond an edge. Detectors place joints a little outside
    (a person cut by the edge), never a frame away; such keypoints are not pixels of this
    video (normalised coordinates, another video's, a unit mistake)."""
    width, height = size
    margin = max(width, height)
    for frame, people in enumerate(result.people):
        if people.keypoints is None or not len(people.keypoints):
            continue
        points = people.keypoints
        found = points[..., 2] > 0
        x, y = points[..., 0][found], points[..., 1][found]
        outside = (x < -margin) | (x > width + margin) | (y < -margin) | (y > height + margin)
        if outside.any():
            worst = int(np.argmax(np.maximum(np.abs(x - width / 2), np.abs(y - height / 2))))
            raise refuse(
                result.path,
                f"frame {frame} has a keypoint at ({x[worst]:.4g}, {y[worst]:.4g}), far outside "
                f"the video's {width}x{height} frame (keypoints must be pixels of this video)",
            )
