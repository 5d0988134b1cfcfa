"""The npz keypoint file (``vidpose detect`` writes it): ``keypoints`` (F, J, 2 or 3) x, y in
pixels and an optional score, ``layout`` (a name of
:data:`vidpose.keypoints.layouts.LAYOUTS` or an alias), optional ``fps``, ``width``,
``height``. One person per frame; a frame whose scores are all 0 (or NaN coordinates) has
nobody."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidpose.infra.array_files import read_npz
from vidpose.infra.errors import UserError
from vidpose.keypoints.layouts import LAYOUTS
from vidpose.video.keypoint_files.common import KeypointFile, frame_people, layout_named, refuse


def read_npz_keypoints(path: Path) -> KeypointFile:
    try:
        arrays = read_npz(path)
    except UserError as exc:
        raise UserError(f"--keypoints {exc}") from None
    for name in ("keypoints", "layout"):
        if name not in arrays:
            raise refuse(path, f"no '{name}' array (has {', '.join(arrays) or 'none'})")
    layout = layout_named(arrays["layout"].item() if arrays["layout"].ndim == 0 else "?", path)
    keypoints = arrays["keypoints"]
    joints = len(LAYOUTS[layout])
    if (
        keypoints.ndim != 3
        or keypoints.shape[1] != joints
        or keypoints.shape[2] not in (2, 3)
        or not np.issubdtype(keypoints.dtype, np.number)
    ):
        raise refuse(
            path,
            f"keypoints has shape {keypoints.shape}, expected (F, {joints}, 2 or 3) numbers "
            f"for layout {layout}",
        )
    keypoints = keypoints.astype(np.float64)
    if keypoints.shape[2] == 2:
        keypoints = np.concatenate([keypoints, np.ones_like(keypoints[..., :1])], axis=2)
    extras = {}
    for name, kind in (("fps", float), ("width", int), ("height", int)):
        if name not in arrays:
            continue
        value = arrays[name]
        number = value.ndim == 0 and np.issubdtype(value.dtype, np.number)
        if not number or not np.isfinite(value) or float(value) <= 0:
            raise refuse(path, f"{name} must be one positive number, not {value.tolist()!r}")
        extras[name] = kind(value)
    people = [frame_people([frame], None, None, joints) for frame in keypoints]
    return KeypointFile(path, "npz", layout, people, **extras)
