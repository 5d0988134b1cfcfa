"""Finding a calibration T-pose or a broken start glued to the beginning of a take.

cgspeed's CMU BVH conversions put a T-pose before the capture: the Motionbuilder-friendly
files jump from it to the first captured pose in one frame; the Daz-friendly ones (and
beemsoft's rescaled copies) blend out of it over three to five frames at 9-50 m/s, faster
than any limb moves, and some of them hold the root still through the blend and then jump it
metres to where the capture starts. Some files of the same release have no such frame
(02_01), so it is detected, with ``speed`` the fastest joint's speed between two frames:

- frame 0 is a T-pose: both upper arms within :data:`ARM_LEVEL_DEG` of horizontal and the
  wrists at least :data:`SPREAD` of the arm span apart (shoulder to shoulder plus both arms);
- and the body leaves it fast: ``speed`` from frame 0 to 1 is above ``fast``, twice the take's
  median ``speed`` and at least :data:`FAST_M_S`.

The lead-in then ends at the last step faster than ``fast`` within :data:`MAX_LEAD_IN_S` of the
start: those frames (the T-pose, the blend and any jump) are dropped.

CMU's AMC originals have another broken start: a bone the cameras had not found yet holds zeros
for a frame or a few (16_15's left arm in frame 1), so a joint jumps at 75-85 m/s. Any step
faster than :data:`IMPOSSIBLE_M_S` (no joint of a person moves that fast) within
:data:`MAX_LEAD_IN_S` of the start also ends a lead-in, T-pose or not.
"""

from __future__ import annotations

import numpy as np

ARM_LEVEL_DEG = 40.0
SPREAD = 0.8
FAST_M_S = 4.0
IMPOSSIBLE_M_S = 40.0
MAX_LEAD_IN_S = 0.1


def is_t_pose(pose: np.ndarray) -> bool:
    """Whether one pose (17, 3), metres, z up, holds both arms out sideways."""
    arms = [(11, 12, 13), (14, 15, 16)]
    span = np.linalg.norm(pose[11] - pose[14])
    for shoulder, elbow, wrist in arms:
        upper = pose[elbow] - pose[shoulder]
        length = np.linalg.norm(upper)
        if length == 0 or abs(upper[2]) / length > np.sin(np.radians(ARM_LEVEL_DEG)):
            return False
        span += length + np.linalg.norm(pose[wrist] - pose[elbow])
    return bool(span > 0 and np.linalg.norm(pose[13] - pose[16]) >= SPREAD * span)


def lead_in_frames(positions: np.ndarray, fps: float) -> int:
    """How many leading frames of ``positions`` (F, 17, 3), metres, z up, at ``fps`` are a
    calibration T-pose and the way out of it, or a broken start (0 when the take starts with
    its motion)."""
    if len(positions) < 3:
        return 0
    speed = np.linalg.norm(np.diff(positions, axis=0), axis=-1).max(axis=-1) * fps  # (F-1,)
    window = speed[: 1 + int(round(MAX_LEAD_IN_S * fps))]
    impossible = np.flatnonzero(window > IMPOSSIBLE_M_S)
    cut = int(impossible[-1]) + 1 if len(impossible) else 0
    fast = max(2.0 * float(np.median(speed)), FAST_M_S)
    if is_t_pose(positions[0]) and speed[0] > fast:
        cut = max(cut, int(np.flatnonzero(window > fast)[-1]) + 1)
    return min(cut, len(positions) - 1)
