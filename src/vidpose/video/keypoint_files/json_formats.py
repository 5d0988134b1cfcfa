"""The JSON keypoint files of other tools.

- **MMPose predictions** (``--save-predictions`` of its demos, and the inferencer's per-frame
  output): ``{"meta_info": {...}, "instance_info": [{"frame_id": n, "instances": [...]}]}`` or
  the bare list; each instance ``keypoints`` (K, 2), ``keypoint_scores`` (K,), optional
  ``bbox`` (x1, y1, x2, y2, or a list of one such) and ``bbox_score``. The frames are taken in
  the file's order (MMPose writes every frame, people or not).
- **COCO results** (MMPose's test output, rtmlib users' dumps): a list of ``{"image_id": frame
  index from 0, "keypoints": [x, y, score] * K, "bbox": [x, y, w, h], "score": s}``; frames
  without an entry have nobody.

The layout follows from K (17 COCO, 26 Halpe, 25 BODY_25, 16 MPII) unless MMPose's
``meta_info.dataset_name`` names one. A box score left out or given as null is 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidpose.infra.json_files import read_json
from vidpose.keypoints.layouts import LAYOUTS, canonical_layout
from vidpose.video.keypoint_files.common import (
    KeypointFile,
    frame_people,
    layout_of_count,
    number_array,
    optional_number,
    refuse,
)


def load_json(path: Path):
    return read_json(path, what="--keypoints")


def read_json_keypoints(path: Path, num_frames: int | None) -> KeypointFile:
    data = load_json(path)
    if isinstance(data, dict) and "instance_info" in data:
        return _read_mmpose(path, data["instance_info"], data.get("meta_info") or {})
    if isinstance(data, list) and data and isinstance(data[0], dict):
        if "instances" in data[0]:
            return _read_mmpose(path, data, {})
        if "image_id" in data[0]:
            return _read_coco(path, data, num_frames)
    raise refuse(
        path,
        "not a known keypoint JSON (expected MMPose predictions with 'instance_info' or "
        "'instances', or COCO results with 'image_id' and 'keypoints')",
    )


def _mmpose_instance(instance, layout, path: Path, where: str):
    """(keypoints (K, 3), box or None, score or None, layout) of one MMPose instance."""
    if not isinstance(instance, dict):
        raise refuse(
            path, f"{where} is not an object with 'keypoints' (got {type(instance).__name__})"
        )
    points = number_array(instance.get("keypoints"), "(K, 2) numbers", path, where)
    if points.ndim != 2 or points.shape[1] not in (2, 3):
        raise refuse(path, f"{where} keypoints have shape {points.shape}, expected (K, 2)")
    layout = layout or layout_of_count(len(points), path, where)
    if len(points) != len(LAYOUTS[layout]):
        raise refuse(
            path, f"{where} has {len(points)} keypoints, {layout} has {len(LAYOUTS[layout])}"
        )
    given = instance.get("keypoint_scores")
    scores = np.ones(len(points))
    if points.shape[1] == 3:
        scores = points[:, 2]
    elif given is not None:
        scores = number_array(given, "(K,) numbers", path, where).reshape(-1)
    if len(scores) != len(points):
        raise refuse(path, f"{where} has {len(scores)} keypoint_scores for {len(points)} keypoints")
    box = instance.get("bbox")  # [x1, y1, x2, y2] or [[x1, y1, x2, y2]]
    if box is not None:
        box = number_array(box, "a box", path, where).reshape(-1)
        if box.size < 4:
            raise refuse(path, f"{where} bbox is not x1, y1, x2, y2")
        box = box[:4]
    score = optional_number(instance.get("bbox_score"), path, f"{where} bbox_score")
    return np.column_stack([points[:, :2], scores]), box, score, layout


def _read_mmpose(path: Path, frames: list, meta: dict) -> KeypointFile:
    if not isinstance(frames, list):
        raise refuse(path, "instance_info is not a list of frames")
    layout, people = None, []
    if isinstance(meta, dict) and meta.get("dataset_name"):
        try:
            layout = canonical_layout(meta["dataset_name"])
        except ValueError:
            layout = None  # a dataset name that is not a layout: decide from the joint count
    for index, frame in enumerate(frames):
        if not isinstance(frame, dict) or not isinstance(frame.get("instances"), list):
            raise refuse(path, f"frame {index} has no 'instances' list")
        keypoints, boxes, scores = [], [], []
        for number, instance in enumerate(frame["instances"]):
            where = f"frame {index} instance {number}"
            points, box, score, layout = _mmpose_instance(instance, layout, path, where)
            keypoints.append(points)
            boxes.append(box)
            scores.append(1.0 if score is None else score)
        people.append(frame_people(keypoints, boxes, scores, len(LAYOUTS[layout or "coco17"])))
    return KeypointFile(path, "mmpose-json", layout or "coco17", people)


def _read_coco(path: Path, entries: list, num_frames: int | None) -> KeypointFile:
    by_frame: dict[int, list] = {}
    layout = None
    for index, entry in enumerate(entries):
        where = f"entry {index}"
        image_id = entry.get("image_id") if isinstance(entry, dict) else None
        if not isinstance(image_id, int) or isinstance(image_id, bool):
            raise refuse(path, f"{where} has no integer image_id")
        if image_id < 0:
            raise refuse(path, f"{where} has a negative image_id")
        flat = number_array(entry.get("keypoints"), "[x, y, score] * K", path, where).ravel()
        if flat.size == 0 or flat.size % 3:
            raise refuse(path, f"{where} keypoints are not [x, y, score] * K")
        layout = layout or layout_of_count(flat.size // 3, path, where)
        if flat.size // 3 != len(LAYOUTS[layout]):
            raise refuse(path, f"{where} has {flat.size // 3} keypoints, {layout} has "
                         f"{len(LAYOUTS[layout])}")  # fmt: skip
        box = entry.get("bbox")
        if box is not None:
            box = number_array(box, "[x, y, w, h]", path, where).ravel()
            if box.size != 4:
                raise refuse(path, f"{where} bbox has {box.size} numbers, expected [x, y, w, h]")
            box = np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]])
        score = optional_number(entry.get("score"), path, f"{where} score")
        score = 1.0 if score is None else score
        by_frame.setdefault(image_id, []).append((flat.reshape(-1, 3), box, score))
    if layout is None:
        raise refuse(path, "no entries")
    last = max(by_frame)
    frames = num_frames if num_frames is not None else last + 1
    if last >= frames:
        raise refuse(
            path,
            f"image_id {last} is past the video's {frames} frames (image_id is the frame "
            "index from 0)",
        )
    joints = len(LAYOUTS[layout])
    people = []
    for frame in range(frames):
        found = by_frame.get(frame, [])
        people.append(
            frame_people([k for k, _, _ in found], [b for _, b, _ in found],
                         [s for *_, s in found], joints)
        )  # fmt: skip
    return KeypointFile(path, "coco-json", layout, people)
