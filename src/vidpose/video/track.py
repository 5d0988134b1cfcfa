"""One person followed through a video: detections linked into tracks, one track chosen.

Input: per frame, the people a detector (or a keypoint file) found (:class:`FramePeople`).

- **Linking** (:func:`link_tracks`): each track's box is predicted at the new frame with the
  constant velocity of its last two detections; a detection's similarity to a track is the IoU
  of the boxes, averaged with the keypoint similarity (COCO's OKS with one fall-off for every
  joint, the box area as the scale) when both have keypoints. Pairs are taken greedily from the
  most similar down to ``min_similarity``; a track not seen for more than ``max_gap`` frames is
  closed, an unmatched detection starts a new track. The velocity is what keeps two people who
  cross apart: at the crossing their boxes overlap, but their predicted boxes do not.
- **Choosing** (:func:`choose_track`): the main person is the track with the largest sum over
  its frames of the box's size (√area): the biggest and longest in view. ``person=ID`` picks a
  track by its id (ids count tracks in the order they appear, from 0).
- **Filling** (:func:`follow_person`): gaps of at most ``max_fill`` frames inside the chosen
  track are interpolated linearly (boxes, keypoints and scores) and marked; keypoints below
  ``min_score`` are marked low-confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vidpose.errors import UserError
from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.video.people import FramePeople

#: The OKS fall-off (COCO's per-joint constants range 0.025-0.107); one value for every joint.
OKS_FALLOFF = 0.08


@dataclass
class Track:
    """One person's detections: ``frames`` (n,) ascending, ``boxes`` (n, 4) xyxy, ..."""

    id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    keypoints: list[np.ndarray | None] = field(default_factory=list)

    def add(self, frame: int, box, score, keypoints) -> None:
        self.frames.append(frame)
        self.boxes.append(np.asarray(box, dtype=np.float64))
        self.scores.append(float(score))
        self.keypoints.append(None if keypoints is None else np.asarray(keypoints, np.float64))

    def velocity(self) -> np.ndarray:
        """Per-frame change of the box (4,) from the last two detections (0 with one)."""
        if len(self.frames) < 2:
            return np.zeros(4)
        return (self.boxes[-1] - self.boxes[-2]) / (self.frames[-1] - self.frames[-2])

    def predict(self, frame: int) -> np.ndarray:
        return self.boxes[-1] + self.velocity() * (frame - self.frames[-1])

    @property
    def size(self) -> float:
        """Σ over its frames of √(box area): large and long in view wins."""
        extent = np.clip(np.diff(np.stack(self.boxes).reshape(-1, 2, 2), axis=1)[:, 0], 0, None)
        return float(np.sqrt(extent.prod(axis=1)).sum())

    def summary(self) -> dict:
        heights = [box[3] - box[1] for box in self.boxes]
        return {
            "id": self.id,
            "first_frame": self.frames[0],
            "last_frame": self.frames[-1],
            "frames_seen": len(self.frames),
            "mean_height_px": round(float(np.mean(heights)), 1),
        }


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two xyxy boxes."""
    inter = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None).prod()
    union = np.clip(a[2:] - a[:2], 0, None).prod() + np.clip(b[2:] - b[:2], 0, None).prod() - inter
    return float(inter / union) if union > 0 else 0.0


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


def _similarity(track: Track, frame: int, box, keypoints) -> float:
    predicted = track.predict(frame)
    similarity = box_iou(predicted, box)
    last = track.keypoints[-1]
    if keypoints is None or last is None:
        return similarity
    # The last keypoints moved with the box centre: the predicted pose at this frame.
    shift = (predicted[:2] + predicted[2:]) / 2 - (track.boxes[-1][:2] + track.boxes[-1][2:]) / 2
    oks = keypoint_similarity(last + np.append(shift, 0.0), keypoints, predicted)
    return similarity if oks is None else 0.5 * (similarity + oks)


def link_tracks(
    people: list[FramePeople], max_gap: int = 10, min_similarity: float = 0.2
) -> list[Track]:
    """Link the per-frame detections into tracks (ids from 0, in order of appearance)."""
    tracks: list[Track] = []
    for frame, found in enumerate(people):
        active = [t for t in tracks if frame - t.frames[-1] <= max_gap + 1]
        pairs = []
        for t_index, track in enumerate(active):
            for d_index in range(len(found)):
                keypoints = None if found.keypoints is None else found.keypoints[d_index]
                score = _similarity(track, frame, found.boxes[d_index], keypoints)
                if score >= min_similarity:
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


def choose_track(tracks: list[Track], person: int | None = None) -> Track:
    """The main person's track, or track ``person``; ``UserError`` when there is none."""
    if not tracks:
        raise UserError("video: nobody found in any frame (no person detected)")
    if person is None:
        return max(tracks, key=lambda t: t.size)
    for track in tracks:
        if track.id == person:
            return track
    raise UserError(f"--person {person}: no such person; the video has ids 0-{len(tracks) - 1}")


@dataclass
class PersonTrack:
    """The chosen person over all F frames of the video."""

    track_id: int
    boxes: np.ndarray  # (F, 4) float64 xyxy; NaN where the person is not known
    scores: np.ndarray  # (F,) float64 box score; 0 where not detected
    keypoints: np.ndarray | None  # (F, K, 3) x, y, score; score 0 where not known
    detected: np.ndarray  # (F,) bool: the detector found the person in this frame
    interpolated: np.ndarray  # (F,) bool: filled from the neighbouring detections
    low_confidence: np.ndarray | None  # (F, K) bool: keypoint score below the threshold
    tracks: list[dict]  # every track's summary (id, first/last frame, frames seen, height)

    @property
    def known(self) -> np.ndarray:
        return self.detected | self.interpolated


def follow_person(
    people: list[FramePeople],
    person: int | None = None,
    max_gap: int = 10,
    max_fill: int | None = None,
    min_score: float = MIN_KEYPOINT_SCORE,
) -> PersonTrack:
    """Link, choose and fill: the chosen person's boxes and keypoints in every frame."""
    tracks = link_tracks(people, max_gap=max_gap)
    track = choose_track(tracks, person)
    max_fill = max_gap if max_fill is None else max_fill
    frames = len(people)
    boxes = np.full((frames, 4), np.nan)
    scores = np.zeros(frames)
    detected = np.zeros(frames, dtype=bool)
    indices = np.asarray(track.frames)
    boxes[indices] = np.stack(track.boxes)
    scores[indices] = track.scores
    detected[indices] = True
    has_keypoints = all(k is not None for k in track.keypoints)
    keypoints = None
    if has_keypoints:
        keypoints = np.zeros((frames, *track.keypoints[0].shape))
        keypoints[indices] = np.stack(track.keypoints)
    interpolated = np.zeros(frames, dtype=bool)
    for before, after in zip(indices[:-1], indices[1:], strict=True):
        if 1 < after - before <= max_fill + 1:
            span = np.arange(before + 1, after)
            weight = ((span - before) / (after - before))[:, None]
            boxes[span] = (1 - weight) * boxes[before] + weight * boxes[after]
            if keypoints is not None:
                joint_weight = weight[..., None]
                keypoints[span] = (1 - joint_weight) * keypoints[before] + joint_weight * keypoints[
                    after
                ]
            interpolated[span] = True
    low = None if keypoints is None else keypoints[..., 2] < min_score
    return PersonTrack(
        track_id=track.id,
        boxes=boxes,
        scores=scores,
        keypoints=keypoints,
        detected=detected,
        interpolated=interpolated,
        low_confidence=low,
        tracks=[t.summary() for t in tracks],
    )
