"""People over every frame of a video: choose the main person (or one by id, or everyone
tracked long enough) and fill their short gaps.

- **Choosing** (:func:`choose_track`): the main person is the track with the largest sum over
  its frames of the box's size (√area): the biggest and longest in view. ``person=ID`` picks a
  track by its id (ids count people in the order they appear, from 0).
- **Filling** (:func:`person_track`): gaps of at most ``max_fill`` frames inside a track are
  interpolated linearly (boxes, keypoints and scores) and marked; longer gaps (a person who
  left and came back) stay unknown. Keypoints below ``min_score`` are marked low-confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.video.people import FramePeople
from vidpose.video.track.link import Track, link_tracklets
from vidpose.video.track.stitch import stitch_tracklets

#: Detection gaps up to this long (seconds) are bridged by a tracklet and filled.
MAX_GAP_SECONDS = 0.5
#: ``--person all`` lifts everyone detected in at least this many seconds of the video.
MIN_PERSON_SECONDS = 1.0


def gap_frames(fps: float, seconds: float = MAX_GAP_SECONDS) -> int:
    """``seconds`` as a whole number of frames at ``fps`` (at least 1)."""
    return max(1, int(round(seconds * fps)))


def track_people(people: list[FramePeople], fps: float, max_gap: int | None = None) -> list[Track]:
    """Link and stitch: every person of the video as a :class:`Track`, ids from 0 in order of
    appearance. ``max_gap`` (frames, default half a second) is how long a tracklet waits."""
    max_gap = gap_frames(fps) if max_gap is None else max_gap
    return stitch_tracklets(link_tracklets(people, fps, max_gap), fps)


def choose_track(tracks: list[Track], person: int | None = None) -> Track:
    """The main person's track, or track ``person``; ``UserError`` when there is none."""
    if not tracks:
        raise UserError("video: nobody found in any frame (no person detected)")
    if person is None:
        return max(tracks, key=_presence)
    for track in tracks:
        if track.id == person:
            return track
    raise UserError(f"--person {person}: no such person; the video has ids 0-{len(tracks) - 1}")


def _presence(track: Track) -> float:
    """Σ over its frames of √(box area): large and long in view wins."""
    extent = np.clip(np.diff(np.stack(track.boxes).reshape(-1, 2, 2), axis=1)[:, 0], 0, None)
    return float(np.sqrt(extent.prod(axis=1)).sum())


@dataclass
class PersonTrack:
    """One person over all F frames of the video."""

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


def person_track(
    track: Track,
    num_frames: int,
    max_fill: int,
    summaries: list[dict],
    min_score: float = MIN_KEYPOINT_SCORE,
) -> PersonTrack:
    """``track`` over ``num_frames`` frames, gaps of at most ``max_fill`` frames filled."""
    boxes = np.full((num_frames, 4), np.nan)
    scores = np.zeros(num_frames)
    detected = np.zeros(num_frames, dtype=bool)
    indices = np.asarray(track.frames)
    boxes[indices] = np.stack(track.boxes)
    scores[indices] = track.scores
    detected[indices] = True
    keypoints = None
    if all(k is not None for k in track.keypoints):
        keypoints = np.zeros((num_frames, *track.keypoints[0].shape))
        keypoints[indices] = np.stack(track.keypoints)
    interpolated = np.zeros(num_frames, dtype=bool)
    for before, after in zip(indices[:-1], indices[1:], strict=True):
        if 1 < after - before <= max_fill + 1:
            span = np.arange(before + 1, after)
            weight = ((span - before) / (after - before))[:, None]
            boxes[span] = (1 - weight) * boxes[before] + weight * boxes[after]
            if keypoints is not None:
                w = weight[..., None]
                keypoints[span] = (1 - w) * keypoints[before] + w * keypoints[after]
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
        tracks=summaries,
    )


def _tracked(people: list[FramePeople], fps: float, max_gap: int | None):
    """Every track, their summaries and the longest gap a followed person's track is filled
    over (frames; ``max_gap``, default half a second at ``fps``)."""
    max_gap = gap_frames(fps) if max_gap is None else max_gap
    tracks = track_people(people, fps, max_gap)
    return tracks, [t.summary() for t in tracks], max_gap


def follow_person(
    people: list[FramePeople], fps: float, person: int | None = None, *, max_gap: int | None = None
) -> PersonTrack:
    """Track, choose and fill: the main person (or ``person``) in every frame; ``max_gap``
    frames (default: half a second at ``fps``) is how long a track waits and is filled over."""
    tracks, summaries, fill = _tracked(people, fps, max_gap)
    chosen = choose_track(tracks, person)
    return person_track(chosen, len(people), fill, summaries)


def follow_people(people: list[FramePeople], fps: float) -> list[PersonTrack]:
    """Every person detected in at least :data:`MIN_PERSON_SECONDS` of the video (the main
    person always), main person first, then by id."""
    tracks, summaries, fill = _tracked(people, fps, None)
    main = choose_track(tracks)
    long_enough = [t for t in tracks if t is not main and len(t.frames) >= MIN_PERSON_SECONDS * fps]
    return [person_track(t, len(people), fill, summaries) for t in [main, *long_enough]]
