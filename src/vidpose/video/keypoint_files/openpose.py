"""An OpenPose JSON folder (``--write_json``): one ``*_keypoints.json`` per frame, ordered by
the frame number in the name; ``people[i].pose_keypoints_2d`` = [x, y, c] * 25 (BODY_25),
where (0, 0, 0) is a joint OpenPose did not find."""

from __future__ import annotations

import re
from pathlib import Path

from vidpose.keypoints.layouts import LAYOUTS
from vidpose.video.keypoint_files.common import KeypointFile, frame_people, number_array, refuse
from vidpose.video.keypoint_files.json_formats import load_json

_OPENPOSE_NUMBER = re.compile(r"(\d+)_keypoints\.json$")


def read_openpose(folder: Path) -> KeypointFile:
    files = sorted(folder.glob("*_keypoints.json"))
    if not files:
        raise refuse(folder, "no OpenPose *_keypoints.json files in the folder")

    def frame_number(file: Path):
        match = _OPENPOSE_NUMBER.search(file.name)
        return (0, int(match.group(1)), file.name) if match else (1, 0, file.name)

    files.sort(key=frame_number)
    people, joints = [], len(LAYOUTS["body25"])
    for file in files:
        data = load_json(file)
        if not isinstance(data, dict) or not isinstance(data.get("people"), list):
            raise refuse(file, "not an OpenPose file (no 'people' list)")
        keypoints = []
        for person in data["people"]:
            flat = number_array(
                person.get("pose_keypoints_2d") if isinstance(person, dict) else None,
                "[x, y, c] * 25", file, "pose_keypoints_2d",
            ).ravel()  # fmt: skip
            if flat.size != 3 * joints:
                raise refuse(
                    file,
                    f"pose_keypoints_2d holds {flat.size // 3} joints; only BODY_25 (25) is "
                    "supported (run OpenPose with --model_pose BODY_25)",
                )
            keypoints.append(flat.reshape(joints, 3))
        people.append(frame_people(keypoints, None, None, joints))
    return KeypointFile(folder, "openpose", "body25", people)
