"""Frame-to-frame linking: the people of consecutive frames joined into tracklets.

A person's **size** is the longer side of their box (pixels): it changes less than the area
when arms rise or the person crouches, and a spin or a flip swaps width and height without
changing it. Positions are compared in sizes, so the thresholds hold at any resolution.

For each open tracklet the box is predicted at the new frame with the mean velocity of its
centre over its last few detections (the size kept), and each detection of the frame is a
candidate when

- its centre lies within reach of the predicted one: at most :data:`REACH_SIZES` sizes plus
  :data:`SPEED_SIZES_PER_S` sizes per second since the tracklet's last detection, and
- its size is within a factor :data:`MAX_SIZE_RATIO` of the tracklet's.

A candidate's similarity is the larger of the IoU with the predicted box and the closeness of
the centres (``exp(-d² / 2σ²)``, ``d`` in sizes, σ = :data:`CLOSENESS_SIZES`), averaged with
the keypoint similarity (COCO's OKS, one fall-off for every joint) when both have keypoints.
Pairs are taken greedily from the most similar; an unmatched detection starts a tracklet and a
tracklet unseen for more than ``max_gap`` frames is closed. The velocity keeps two people who
cross apart; the reach keeps a detector that jumps to someone else from joining them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.video.detect.box_geometry import box_iou
from vidpose.video.people import FramePeople

#: The OKS fall-off (COCO's per-joint constants range 0.025-0.107); one value for every joint.
OKS_FALLOFF = 0.08
#: How far (in sizes) a detection may lie from a tracklet's predicted centre one frame on.
REACH_SIZES = 0.5
#: How much further (sizes per second unseen) the reach grows: a fast runner across the image.
SPEED_SIZES_PER_S = 4.0
#: The largest change of size between a tracklet and a detection it takes.
MAX_SIZE_RATIO = 2.5
#: The width of the centres' closeness, in sizes.
CLOSENESS_SIZES = 0.25
#: Detections used for a tracklet's velocity, and the longest it is extrapolated (seconds).
VELOCITY_DETECTIONS = 4
MAX_EXTRAPOLATION_S = 0.25


def box_size(box: np.ndarray) -> float:
    """A person's size: the longer side of the xyxy ``box`` in pixels (at least 1)."""
    return max(float(box[2] - box[0]), float(box[3] - box[1]), 1.0)


def box_centre(box: np.ndarray) -> np.ndarray:
    return (np.asarray(box[:2], np.float64) + np.asarray(box[2:], np.float64)) / 2


@dataclass
class Track:
    """One person's detections in order: ``frames`` ascending, ``boxes`` xyxy (4,) each,
    box ``scores``, ``keypoints`` (K, 3) x, y pixels and score each (None without)."""

    id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    keypoints: list[np.ndarray | None] = field(default_factory=list)
    pieces: int = 1  # tracklets stitched into this track

    def add(self, frame: int, box, score, keypoints) -> None:
        self.frames.append(int(frame))
        self.boxes.append(np.asarray(box, dtype=np.float64))
        self.scores.append(float(score))
        self.keypoints.append(None if keypoints is None else np.asarray(keypoints, np.float64))

    def velocity(self, at_end: bool = True) -> np.ndarray:
        """Centre velocity (2,) pixels per frame over the last (or first) few detections."""
        count = min(len(self.frames), VELOCITY_DETECTIONS)
        if count < 2:
            return np.zeros(2)
        pick = slice(-count, None) if at_end else slice(0, count)
        frames, boxes = self.frames[pick], self.boxes[pick]
        return (box_centre(boxes[-1]) - box_centre(boxes[0])) / (frames[-1] - frames[0])

    def predict(self, frame: int, fps: float) -> np.ndarray:
        """The box (4,) xyxy expected at ``frame`` (after the last detection)."""
        steps = min(frame - self.frames[-1], MAX_EXTRAPOLATION_S * fps)
        return self.boxes[-1] + np.tile(self.velocity() * steps, 2)

    @property
    def first_frame(self) -> int:
        return self.frames[0]

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    def summary(self) -> dict:
        heights = [box[3] - box[1] for box in self.boxes]
        return {
            "id": self.id,
            "first_frame": self.frames[0],
            "last_frame": self.frames[-1],
            "frames_seen": len(self.frames),
            "mean_height_px": round(float(np.mean(heights)), 1),
            "pieces": self.pieces,
        }


def keypoint_similarity(
    a: np.ndarray, b: np.ndarray, box: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE
) -> float | None:
    """OKS of keypoints (K, 3) ``a`` and ``b`` over joints confident in both; None if none are.

    The scale is the area of ``box`` (xyxy), as COCO uses the object's area."""
    both = (a[:, 2] >= min_score) & (b[:, 2] >= min_score)
    if not both.any():
        return None
    area = max(float(np.prod(np.clip(box[2:] - box[:2], 1, None))), 1.0)
    squared = ((a[both, :2] - b[both, :2]) ** 2).sum(axis=1)
    return float(np.exp(-squared / (2 * area * OKS_FALLOFF**2)).mean())


def within_reach(distance: float, ratio: float, seconds: float) -> bool:
    """Whether a centre ``distance`` (sizes) and a size ``ratio`` (≥ 1), ``seconds`` after the
    last detection, can be one person moving."""
    return distance <= REACH_SIZES + SPEED_SIZES_PER_S * seconds and ratio <= MAX_SIZE_RATIO


def _similarity(track: Track, frame: int, box, keypoints, fps: float) -> float | None:
    predicted = track.predict(frame, fps)
    size = max(box_size(predicted), box_size(box))
    distance = float(np.linalg.norm(box_centre(box) - box_centre(predicted))) / size
    ratio = max(box_size(box), box_size(predicted)) / min(box_size(box), box_size(predicted))
    if not within_reach(distance, ratio, (frame - track.last_frame) / fps):
        return None
    closeness = float(np.exp(-0.5 * (distance / CLOSENESS_SIZES) ** 2))
    similarity = max(float(box_iou(predicted, box)[0, 0]), closeness)
    last = track.keypoints[-1]
    if keypoints is None or last is None:
        return similarity
    # The last keypoints moved with the box centre: the predicted pose at this frame.
    shift = box_centre(predicted) - box_centre(track.boxes[-1])
    oks = keypoint_similarity(last + np.append(shift, 0.0), keypoints, predicted)
    return similarity if oks is None else 0.5 * (similarity + oks)


def link_tracklets(
    people: list[FramePeople], fps: float, max_gap: int, min_similarity: float = 0.1
) -> list[Track]:
    """Link the per-frame detections into tracklets (ids from 0, in order of appearance).

    ``fps`` turns frame counts into seconds for the reach; a tracklet unseen for more than
    ``max_gap`` frames takes no more detections."""
    tracks: list[Track] = []
    for frame, found in enumerate(people):
        active = [t for t in tracks if frame - t.last_frame <= max_gap + 1]
        pairs = []
        for t_index, track in enumerate(active):
            for d_index in range(len(found)):
                keypoints = None if found.keypoints is None else found.keypoints[d_index]
                score = _similarity(track, frame, found.boxes[d_index], keypoints, fps)
                if score is not None and score >= min_similarity:
                    pairs.append((score, t_index, d_index))
        used_tracks, used_detections = set(), set()
        for _, t_index, d_index in sorted(pairs, key=lambda p: -p[0]):
            if t_index in used_tracks or d_index in used_detections:
                continue
            used_tracks.add(t_index)
            used_detections.add(d_index)
            _add(active[t_index], found, frame, d_index)
        for d_index in range(len(found)):
            if d_index not in used_detections:
                tracks.append(Track(id=len(tracks)))
                _add(tracks[-1], found, frame, d_index)
    return tracks


def _add(track: Track, found: FramePeople, frame: int, index: int) -> None:
    keypoints = None if found.keypoints is None else found.keypoints[index]
    track.add(frame, found.boxes[index], found.scores[index], keypoints)
