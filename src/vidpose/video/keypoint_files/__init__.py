"""2D keypoints from other tools (``--keypoints FILE``): one reader for every format, the
other source of the 2D stage beside the built-in detector.

- :mod:`~vidpose.video.keypoint_files.npz`: the npz ``vidpose detect`` writes;
- :mod:`~vidpose.video.keypoint_files.json_formats`: MMPose's predictions, COCO results;
- :mod:`~vidpose.video.keypoint_files.openpose`: an OpenPose ``--write_json`` folder.

Every problem is one ``UserError`` naming the file: a file that cannot be read, a wrong
shape, a value of the wrong kind, a frame count or size that is not the video's, keypoints
far outside the video's frame, nobody in any frame.
"""

from __future__ import annotations

import os
from pathlib import Path

from vidpose.video.keypoint_files.common import KeypointFile, check_in_frame, refuse


def read_keypoints(
    path: str | os.PathLike,
    num_frames: int | None = None,
    size: tuple[int, int] | None = None,
) -> KeypointFile:
    """Read any supported keypoint file or OpenPose folder; ``num_frames`` (the video's) sizes
    a COCO results file and is checked against the others; ``size`` (the video's width,
    height in pixels) is checked against the size a file records and against where its
    keypoints lie."""
    from vidpose.video.keypoint_files.json_formats import read_json_keypoints
    from vidpose.video.keypoint_files.npz import read_npz_keypoints
    from vidpose.video.keypoint_files.openpose import read_openpose

    path = Path(path)
    if not path.exists():
        raise refuse(path, "no such file or folder")
    if path.is_dir():
        result = read_openpose(path)
    elif path.suffix.lower() == ".npz":
        result = read_npz_keypoints(path)
    elif path.suffix.lower() == ".json":
        result = read_json_keypoints(path, num_frames)
    else:
        raise refuse(
            path,
            "unknown kind of file (expected .npz, .json or an OpenPose folder of *_keypoints.json)",
        )
    if num_frames is not None:
        result.check_frames(num_frames)
    for name, actual in zip(("width", "height"), size or (), strict=False):
        given = getattr(result, name)
        if given is not None and given != actual:
            raise refuse(path, f"made for a {name} of {given} px, the video's is {actual} px")
    if not any(len(people) for people in result.people):
        raise refuse(path, "nobody in any frame (no keypoints with a score)")
    if size is not None:
        check_in_frame(result, size)
    return result
