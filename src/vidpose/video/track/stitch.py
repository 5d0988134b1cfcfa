"""Tracklets joined into people: a broken tracklet is not a new identity.

A tracklet ends when its person is missed for longer than the linker waits, or when the
detection jumps (a spin or a flip can move the box faster than predicted for a frame or two).
Two tracklets ``a`` and ``b`` that do not overlap in time (``b`` starts after ``a`` ends) can
be one person when ``b``'s first box lies within reach of where ``a`` was heading
(:func:`vidpose.video.track.link.within_reach`, the reach growing with the time between them)
and their sizes agree. Such pairs are ranked by

    cost = distance / reach + ln(size ratio) + POSE_WEIGHT · (1 − pose similarity)
           + GAP_WEIGHT · seconds between them

(distance and reach in person sizes; the pose similarity compares ``a``'s last and ``b``'s
first keypoints in their boxes, the better of as seen and mirrored left-right, so a turn does
not count against it) and joined greedily from the cheapest, each tracklet taking at most one
successor and one predecessor. With one person per frame this joins every tracklet unless the
detection jumped further than a person can move; with several people the cheaper join wins,
so place, size and pose decide. Tracklets further apart than :data:`MAX_GAP_S` are not joined.
"""

from __future__ import annotations

import numpy as np

from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.video.track.link import (
    REACH_SIZES,
    SPEED_SIZES_PER_S,
    Track,
    box_centre,
    box_size,
    within_reach,
)

POSE_WEIGHT = 0.5
GAP_WEIGHT = 0.1
#: Tracklets further apart in time than this are never joined.
MAX_GAP_S = 10.0
#: The fall-off of the pose similarity, in sizes.
POSE_FALLOFF = 0.1


def _size(boxes: list[np.ndarray]) -> float:
    return float(np.median([box_size(box) for box in boxes]))


def pose_similarity(a: np.ndarray | None, box_a, b: np.ndarray | None, box_b) -> float:
    """How alike two poses are in their boxes, 0-1: keypoints (K, 3) centred on the box and in
    box sizes, compared over joints confident in both, the better of as seen and mirrored
    left-right. 0.5 when either has no keypoints or no joint is confident in both."""
    if a is None or b is None:
        return 0.5
    both = (a[:, 2] >= MIN_KEYPOINT_SCORE) & (b[:, 2] >= MIN_KEYPOINT_SCORE)
    if not both.any():
        return 0.5
    pa = (a[both, :2] - box_centre(box_a)) / box_size(box_a)
    pb = (b[both, :2] - box_centre(box_b)) / box_size(box_b)
    best = 0.0
    for mirror in (1.0, -1.0):
        squared = ((pa - pb * [mirror, 1.0]) ** 2).sum(axis=1)
        best = max(best, float(np.exp(-squared / (2 * POSE_FALLOFF**2)).mean()))
    return best


def join_cost(a: Track, b: Track, fps: float) -> float | None:
    """The cost of ``b`` continuing ``a`` (``b`` starts after ``a`` ends); None when ``b`` is
    out of reach of ``a`` or too different in size to be the same person."""
    gap = b.first_frame - a.last_frame
    seconds = gap / fps
    if gap < 1 or seconds > MAX_GAP_S:
        return None
    size_a, size_b = _size(a.boxes[-3:]), _size(b.boxes[:3])
    ratio = max(size_a, size_b) / min(size_a, size_b)
    predicted = a.predict(b.first_frame, fps)
    distance = float(np.linalg.norm(box_centre(b.boxes[0]) - box_centre(predicted)))
    distance /= max(size_a, size_b)
    if not within_reach(distance, ratio, seconds):
        return None
    reach = REACH_SIZES + SPEED_SIZES_PER_S * seconds
    pose = pose_similarity(a.keypoints[-1], a.boxes[-1], b.keypoints[0], b.boxes[0])
    return distance / reach + np.log(ratio) + POSE_WEIGHT * (1 - pose) + GAP_WEIGHT * seconds


def stitch_tracklets(tracklets: list[Track], fps: float) -> list[Track]:
    """Join tracklets into people; ids from 0 in order of first appearance, each person's
    ``pieces`` the number of tracklets joined."""
    order = sorted(tracklets, key=lambda t: (t.first_frame, t.id))
    pairs = []
    for i, a in enumerate(order):
        for j in range(i + 1, len(order)):
            b = order[j]
            if b.first_frame <= a.last_frame:
                continue
            if (b.first_frame - a.last_frame) / fps > MAX_GAP_S:
                break  # sorted by start: every later one is further away
            cost = join_cost(a, b, fps)
            if cost is not None:
                pairs.append((cost, i, j))
    successor: dict[int, int] = {}
    predecessor: dict[int, int] = {}
    for _, i, j in sorted(pairs):
        if i not in successor and j not in predecessor:
            successor[i], predecessor[j] = j, i
    people = []
    for head in range(len(order)):
        if head in predecessor:
            continue
        person, index = Track(id=len(people), pieces=0), head
        while index is not None:
            piece = order[index]
            for frame, box, score, points in zip(
                piece.frames, piece.boxes, piece.scores, piece.keypoints, strict=True
            ):
                person.add(frame, box, score, points)
            person.pieces += 1
            index = successor.get(index)
        people.append(person)
    return people
