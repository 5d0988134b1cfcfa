"""2D keypoints from other tools (``--keypoints FILE``): one reader for every format.

- **npz**: ``keypoints`` (F, J, 2 or 3): x, y in pixels, optional score; ``layout`` (a name of
  :data:`vidpose.keypoints.layouts.LAYOUTS` or an alias: ``coco17``, ``halpe26``, ``body25``,
  ``mpii16``, ``h36m17``); optional ``fps``, ``width``, ``height``. One person per frame; a
  frame whose scores are all 0 (or NaN coordinates) has nobody.
- **MMPose JSON** (``--save-predictions`` of its demos, and the inferencer's per-frame output):
  ``{"meta_info": {...}, "instance_info": [{"frame_id": n, "instances": [...]}, ...]}`` or the
  bare list; each instance ``keypoints`` (K, 2), ``keypoint_scores`` (K,), optional ``bbox``
  (x1, y1, x2, y2, or a list of one such) and ``bbox_score``. The frames are taken in the
  file's order (MMPose writes every frame, people or not).
- **COCO results JSON** (MMPose's test output, rtmlib users' dumps): a list of
  ``{"image_id": frame index from 0, "keypoints": [x, y, score] * K, "bbox": [x, y, w, h],
  "score": s}``; frames without an entry have nobody.
- **OpenPose JSON folder** (``--write_json``): one ``*_keypoints.json`` per frame, ordered by the
  frame number in the name; ``people[i].pose_keypoints_2d`` = [x, y, c] * 25 (BODY_25), where
  (0, 0, 0) is a joint OpenPose did not find.

The JSON formats' layout follows from K (17 COCO, 26 Halpe, 25 BODY_25, 16 MPII) unless MMPose's
``meta_info.dataset_name`` names one. Every problem is one ``UserError`` naming the file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidpose.errors import UserError
from vidpose.keypoints.layouts import LAYOUTS, canonical_layout
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


def read_keypoints(
    path: str | os.PathLike,
    num_frames: int | None = None,
    size: tuple[int, int] | None = None,
) -> KeypointFile:
    """Read any supported keypoint file or OpenPose folder; ``num_frames`` (the video's) sizes
    a COCO results file and is checked against the others; ``size`` (the video's width,
    height in pixels) is checked against the size a file records."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"--keypoints {path}: no such file or folder")
    if path.is_dir():
        result = _read_openpose(path)
    elif path.suffix.lower() == ".npz":
        result = _read_npz(path)
    elif path.suffix.lower() == ".json":
        result = _read_json(path, num_frames)
    else:
        raise UserError(
            f"--keypoints {path}: unknown kind of file (expected .npz, .json or an OpenPose "
            "folder of *_keypoints.json)"
        )
    if num_frames is not None:
        result.check_frames(num_frames)
    for name, actual in zip(("width", "height"), size or (), strict=False):
        given = getattr(result, name)
        if given is not None and given != actual:
            raise UserError(
                f"--keypoints {path}: made for a {name} of {given} px, the video's is {actual} px"
            )
    if not any(len(people) for people in result.people):
        raise UserError(f"--keypoints {path}: nobody in any frame (no keypoints with a score)")
    return result


def _layout(name, path: Path) -> str:
    try:
        return canonical_layout(str(name))
    except ValueError as exc:
        raise UserError(f"--keypoints {path}: {exc}") from None


def _joints_layout(joints: int, path: Path, where: str) -> str:
    if joints not in LAYOUT_BY_JOINTS:
        raise UserError(
            f"--keypoints {path}: {where} has {joints} keypoints; known layouts have "
            f"{', '.join(f'{k} ({v})' for k, v in LAYOUT_BY_JOINTS.items())}"
        )
    return LAYOUT_BY_JOINTS[joints]


def _boxes_from_keypoints(keypoints: np.ndarray) -> np.ndarray:
    """(N, J, 3) → (N, 4) xyxy around each person's scored joints."""
    boxes = np.zeros((len(keypoints), 4))
    for index, person in enumerate(keypoints):
        seen = person[person[:, 2] > 0, :2]
        if len(seen):
            boxes[index] = [*seen.min(axis=0), *seen.max(axis=0)]
    return boxes


def _frame(keypoints: list, boxes: list | None, scores: list | None, joints: int) -> FramePeople:
    """People of one frame; a person without any scored joint is dropped."""
    if not keypoints:
        return FramePeople(np.zeros((0, 4)), np.zeros(0), np.zeros((0, joints, 3)))
    points = np.stack(keypoints).astype(np.float64)
    keep = (points[:, :, 2] > 0).any(axis=1)
    derived = _boxes_from_keypoints(points)
    if boxes is not None:
        given = np.asarray([d if b is None else b for b, d in zip(boxes, derived, strict=True)])
        derived = given.astype(np.float64)
    if scores is None:
        scores = [float(p[p[:, 2] > 0, 2].mean()) if (p[:, 2] > 0).any() else 0.0 for p in points]
    return FramePeople(derived[keep], np.asarray(scores, np.float64)[keep], points[keep])


def _read_npz(path: Path) -> KeypointFile:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError) as exc:
        raise UserError(f"--keypoints {path}: not a readable npz file ({exc})") from None
    for name in ("keypoints", "layout"):
        if name not in arrays:
            raise UserError(f"--keypoints {path}: no '{name}' array (has {', '.join(arrays)})")
    layout = _layout(arrays["layout"].item() if arrays["layout"].ndim == 0 else "?", path)
    keypoints = arrays["keypoints"]
    joints = len(LAYOUTS[layout])
    if (
        keypoints.ndim != 3
        or keypoints.shape[1] != joints
        or keypoints.shape[2] not in (2, 3)
        or not np.issubdtype(keypoints.dtype, np.number)
    ):
        raise UserError(
            f"--keypoints {path}: keypoints has shape {keypoints.shape}, expected "
            f"(F, {joints}, 2 or 3) numbers for layout {layout}"
        )
    keypoints = keypoints.astype(np.float64)
    if keypoints.shape[2] == 2:
        keypoints = np.concatenate([keypoints, np.ones_like(keypoints[..., :1])], axis=2)
    missing = ~np.isfinite(keypoints).all(axis=2)
    keypoints[missing] = 0.0
    extras = {}
    for name, kind in (("fps", float), ("width", int), ("height", int)):
        if name in arrays:
            value = arrays[name]
            if value.ndim != 0 or not np.isfinite(value) or float(value) <= 0:
                raise UserError(f"--keypoints {path}: {name} must be one positive number")
            extras[name] = kind(value)
    people = [_frame([frame], None, None, joints) for frame in keypoints]
    return KeypointFile(path, "npz", layout, people, **extras)


def _load_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"--keypoints {path}: not a readable JSON file ({exc})") from None


def _read_json(path: Path, num_frames: int | None) -> KeypointFile:
    data = _load_json(path)
    if isinstance(data, dict) and "instance_info" in data:
        return _read_mmpose(path, data["instance_info"], data.get("meta_info") or {})
    if isinstance(data, list) and data and isinstance(data[0], dict):
        if "instances" in data[0]:
            return _read_mmpose(path, data, {})
        if "image_id" in data[0]:
            return _read_coco(path, data, num_frames)
    raise UserError(
        f"--keypoints {path}: not a known keypoint JSON (expected MMPose predictions with "
        "'instance_info' or 'instances', or COCO results with 'image_id' and 'keypoints')"
    )


def _number_array(value, shape_hint: str, path: Path, where: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise UserError(f"--keypoints {path}: {where} is not {shape_hint}") from None
    return array


def _read_mmpose(path: Path, frames: list, meta: dict) -> KeypointFile:
    if not isinstance(frames, list):
        raise UserError(f"--keypoints {path}: instance_info is not a list of frames")
    layout, people = None, []
    if isinstance(meta, dict) and meta.get("dataset_name"):
        try:
            layout = canonical_layout(meta["dataset_name"])
        except ValueError:
            layout = None  # a dataset name that is not a layout: decide from the joint count
    for index, frame in enumerate(frames):
        where = f"frame {index}"
        if not isinstance(frame, dict) or not isinstance(frame.get("instances"), list):
            raise UserError(f"--keypoints {path}: {where} has no 'instances' list")
        keypoints, boxes, scores = [], [], []
        for instance in frame["instances"]:
            points = _number_array(instance.get("keypoints"), "(K, 2) numbers", path, where)
            if points.ndim != 2 or points.shape[1] not in (2, 3):
                raise UserError(f"--keypoints {path}: {where} keypoints have shape {points.shape}")
            layout = layout or _joints_layout(len(points), path, where)
            if len(points) != len(LAYOUTS[layout]):
                raise UserError(
                    f"--keypoints {path}: {where} has {len(points)} keypoints, {layout} has "
                    f"{len(LAYOUTS[layout])}"
                )
            given = instance.get("keypoint_scores")
            point_scores = np.ones(len(points)) if given is None else _number_array(
                given, "(K,) numbers", path, where
            ).reshape(-1)  # fmt: skip
            if points.shape[1] == 3:
                point_scores = points[:, 2]
            if len(point_scores) != len(points):
                raise UserError(f"--keypoints {path}: {where} keypoint_scores do not match")
            keypoints.append(np.column_stack([points[:, :2], point_scores]))
            box = instance.get("bbox")  # [x1, y1, x2, y2] or [[x1, y1, x2, y2]]
            if box is not None:
                box = _number_array(box, "a box", path, where).reshape(-1)
                if box.size < 4:
                    raise UserError(f"--keypoints {path}: {where} bbox is not x1, y1, x2, y2")
                box = box[:4]
            boxes.append(box)
            scores.append(float(np.ravel(instance.get("bbox_score", 1.0))[0]))
        people.append(_frame(keypoints, boxes, scores, len(LAYOUTS[layout or "coco17"])))
    return KeypointFile(path, "mmpose-json", layout or "coco17", people)


def _read_coco(path: Path, entries: list, num_frames: int | None) -> KeypointFile:
    by_frame: dict[int, list] = {}
    layout = None
    for index, entry in enumerate(entries):
        where = f"entry {index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("image_id"), int):
            raise UserError(f"--keypoints {path}: {where} has no integer image_id")
        flat = _number_array(entry.get("keypoints"), "[x, y, score] * K", path, where).ravel()
        if flat.size == 0 or flat.size % 3:
            raise UserError(f"--keypoints {path}: {where} keypoints are not [x, y, score] * K")
        layout = layout or _joints_layout(flat.size // 3, path, where)
        if flat.size // 3 != len(LAYOUTS[layout]):
            raise UserError(f"--keypoints {path}: {where} has {flat.size // 3} keypoints")
        if entry["image_id"] < 0:
            raise UserError(f"--keypoints {path}: {where} has a negative image_id")
        box = entry.get("bbox")
        if box is not None:
            x, y, w, h = _number_array(box, "[x, y, w, h]", path, where).ravel()[:4]
            box = np.array([x, y, x + w, y + h])
        by_frame.setdefault(entry["image_id"], []).append(
            (flat.reshape(-1, 3), box, float(entry.get("score", 1.0)))
        )
    if layout is None:
        raise UserError(f"--keypoints {path}: no entries")
    last = max(by_frame)
    frames = num_frames if num_frames is not None else last + 1
    if last >= frames:
        raise UserError(
            f"--keypoints {path}: image_id {last} is past the video's {frames} frames "
            "(image_id is the frame index from 0)"
        )
    joints = len(LAYOUTS[layout])
    people = []
    for frame in range(frames):
        found = by_frame.get(frame, [])
        people.append(
            _frame([k for k, _, _ in found], [b for _, b, _ in found], [s for *_, s in found],
                   joints)
        )  # fmt: skip
    return KeypointFile(path, "coco-json", layout, people)


_OPENPOSE_NUMBER = re.compile(r"(\d+)_keypoints\.json$")


def _read_openpose(folder: Path) -> KeypointFile:
    files = sorted(folder.glob("*_keypoints.json"))
    if not files:
        raise UserError(f"--keypoints {folder}: no OpenPose *_keypoints.json files in the folder")

    def frame_number(file: Path):
        match = _OPENPOSE_NUMBER.search(file.name)
        return (0, int(match.group(1)), file.name) if match else (1, 0, file.name)

    files.sort(key=frame_number)
    people, joints = [], len(LAYOUTS["body25"])
    for file in files:
        data = _load_json(file)
        if not isinstance(data, dict) or not isinstance(data.get("people"), list):
            raise UserError(f"--keypoints {file}: not an OpenPose file (no 'people' list)")
        keypoints = []
        for person in data["people"]:
            flat = _number_array(
                person.get("pose_keypoints_2d") if isinstance(person, dict) else None,
                "[x, y, c] * 25", file, "pose_keypoints_2d",
            ).ravel()  # fmt: skip
            if flat.size != 3 * joints:
                raise UserError(
                    f"--keypoints {file}: pose_keypoints_2d holds {flat.size // 3} joints; only "
                    "BODY_25 (25) is supported (run OpenPose with --model_pose BODY_25)"
                )
            keypoints.append(flat.reshape(joints, 3))
        people.append(_frame(keypoints, None, None, joints))
    return KeypointFile(folder, "openpose", "body25", people)
