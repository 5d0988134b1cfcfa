"""Tracking (vidpose.video.track): synthetic crossings, occlusions, spins and a person who
leaves and comes back, each with exact expectations, and the real Sports2D keypoints."""

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.video.people import FramePeople
from vidpose.video.track.follow import follow_people, follow_person, track_people
from vidpose.video.track.link import keypoint_similarity, link_tracklets
from vidpose.video.track.stitch import pose_similarity

FRAMES = 40
FPS = 25.0


def _person(cx: float, height: float, score=0.9, floor=600.0, mirrored=False):
    """A box (4,) xyxy of a person centred on column ``cx`` standing on row ``floor``, and 17
    keypoints spread over it (a fixed stick pose, scaled with the height; ``mirrored``: the
    same person turned round, left and right exchanged on the image)."""
    width = height * 0.4
    box = np.array([cx - width / 2, floor - height, cx + width / 2, floor])
    rows = np.linspace(floor - height, floor, 17)
    offsets = width * 0.3 * np.sin(np.arange(17))
    columns = cx - offsets if mirrored else cx + offsets
    return box, np.stack([columns, rows, np.full(17, score)], axis=1)


def _frame(found: list) -> FramePeople:
    """``found``: [(box, keypoints), ...] → the frame's people."""
    if not found:
        return FramePeople(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 17, 3)))
    return FramePeople(
        boxes=np.stack([box for box, _ in found]),
        scores=np.full(len(found), 0.9),
        keypoints=np.stack([points for _, points in found]),
    )


def _crossing(gap=(), shuffle_seed=0):
    """Person A (height 300) walks right from x=200, B (height 240) left from x=1000: they meet
    at frame 20. ``gap`` frames miss A. Detections come in a random order each frame."""
    rng = np.random.default_rng(shuffle_seed)
    people = []
    for frame in range(FRAMES):
        found = [_person(1000 - 20 * frame, 240)]
        if frame not in gap:
            found.append(_person(200 + 20 * frame, 300))
        people.append(_frame([found[i] for i in rng.permutation(len(found))]))
    return people


def _heights(track) -> set:
    return {round(float(b[3] - b[1])) for b in track.boxes}


@pytest.mark.parametrize("with_keypoints", [True, False])
def test_two_people_crossing_keep_their_identities(with_keypoints):
    people = _crossing(gap=(19, 20, 21))
    if not with_keypoints:
        people = [FramePeople(p.boxes, p.scores) for p in people]
    for tracks in (link_tracklets(people, FPS, max_gap=12), track_people(people, FPS)):
        assert len(tracks) == 2
        for track in tracks:
            centres = np.array([(b[0] + b[2]) / 2 for b in track.boxes])
            steps = np.diff(centres) / np.diff(track.frames)
            # Each track moves one way all along: nobody swapped at the crossing.
            assert np.allclose(steps, steps[0]) and abs(steps[0]) == 20
            assert len(_heights(track)) == 1


def test_the_main_person_is_the_largest_in_view_and_person_picks_another():
    people = _crossing()
    main = follow_person(people, FPS)
    assert main.tracks[main.track_id]["mean_height_px"] == 300  # A, taller for as long
    other = follow_person(people, FPS, person=1 - main.track_id)
    np.testing.assert_allclose(other.boxes[:, 3] - other.boxes[:, 1], 240)
    with pytest.raises(UserError, match=r"--person 5: no such person; the video has ids 0-1"):
        follow_person(people, FPS, person=5)


def test_short_gaps_are_interpolated_and_marked():
    main = follow_person(_crossing(gap=(19, 20, 21)), FPS, max_gap=5)
    assert main.interpolated[[19, 20, 21]].all() and main.interpolated.sum() == 3
    assert not main.detected[[19, 20, 21]].any() and main.detected.sum() == FRAMES - 3
    # A walks in a straight line: the filled boxes and keypoints are where A was.
    for frame in (19, 20, 21):
        box, keypoints = _person(200 + 20 * frame, 300)
        np.testing.assert_allclose(main.boxes[frame], box)
        np.testing.assert_allclose(main.keypoints[frame], keypoints)


def _leaves_and_returns(away=range(10, 60), frames=80):
    """A (height 300) stands at x=1500 near the right edge, walks out of view for the frames
    ``away`` and comes back to the same place; B (height 240) stands at x=400 all along."""
    people = []
    for frame in range(frames):
        found = [_person(400, 240)]
        if frame not in away:
            found.append(_person(1500, 300))
        people.append(_frame(found))
    return people


def test_a_person_who_leaves_and_comes_back_keeps_their_id_and_the_gap_stays_unknown():
    people = _leaves_and_returns()
    tracks = track_people(people, FPS)
    assert len(tracks) == 2  # two seconds away: two tracklets of A joined, not a new person
    a = next(t for t in tracks if _heights(t) == {300})
    assert a.pieces == 2 and len(a.frames) == 30
    followed = follow_person(people, FPS, person=a.id)
    assert followed.detected.sum() == 30 and not followed.interpolated.any()
    assert np.isnan(followed.boxes[10:60]).all() and (followed.keypoints[10:60, :, 2] == 0).all()
    assert followed.low_confidence[10:60].all()


def test_partial_occlusion_and_missed_frames_do_not_start_a_new_identity():
    people = []
    for frame in range(60):
        box, points = _person(300 + 8 * frame, 400)
        if 20 <= frame < 35:  # the legs behind a car: their keypoints are not found
            points[9:, 2] = 0.0
            box = np.array([*points[:9, :2].min(0), *points[:9, :2].max(0)])
        missed = frame in (40, 41, 42, 45)
        people.append(_frame([] if missed else [(box, points)]))
    tracks = track_people(people, FPS)
    assert len(tracks) == 1 and len(tracks[0].frames) == 56


def test_a_fast_spin_stays_one_person():
    """Turning round every 3 frames (left and right exchanged on the image, the box narrowing
    and widening) while moving 0.3 of the height per frame: one track."""
    people = []
    for frame in range(50):
        box, points = _person(200 + 90 * frame, 300, mirrored=(frame // 3) % 2 == 1)
        squeeze = 0.3 + 0.7 * abs(np.cos(frame * np.pi / 6))
        centre = (box[0] + box[2]) / 2
        box[[0, 2]] = centre + (box[[0, 2]] - centre) * squeeze
        points[:, 0] = centre + (points[:, 0] - centre) * squeeze
        people.append(_frame([(box, points)]))
    assert len(track_people(people, FPS)) == 1


def test_one_detection_per_frame_that_jumps_to_someone_else_is_two_people():
    """A single-person detector that leaves A (at x=300) for B, three person heights away, from
    one frame to the next: the evidence says two people, so two tracks."""
    people = [_frame([_person(300 + 2 * f if f < 30 else 1200, 300)]) for f in range(60)]
    tracks = track_people(people, FPS)
    assert [(t.first_frame, t.last_frame) for t in tracks] == [(0, 29), (30, 59)]
    # The main person is the one longer in view; --person all gives both.
    assert [p.track_id for p in follow_people(people, FPS)] == [0, 1]


def test_two_people_hidden_together_are_each_joined_to_their_own_return():
    """A (x 300, height 300) and B (x 700, height 200) are hidden together for 20 frames and
    come back where they were: each returning tracklet joins its own person."""
    people = []
    for frame in range(70):
        found = [] if 25 <= frame < 45 else [_person(300, 300), _person(700, 200)]
        people.append(_frame(found))
    tracks = track_people(people, FPS)
    assert len(tracks) == 2
    assert sorted(len(_heights(t)) for t in tracks) == [1, 1]
    assert all(t.pieces == 2 and len(t.frames) == 50 for t in tracks)


def test_follow_people_lifts_everyone_in_view_for_a_second():
    people = []
    for frame in range(60):
        found = [_person(300, 300)]
        if frame < 20:  # 0.8 s at 25 fps: too short to be lifted
            found.append(_person(900, 200))
        if frame >= 30:  # 1.2 s
            found.append(_person(1500, 250))
        people.append(_frame(found))
    followed = follow_people(people, FPS)
    assert [p.tracks[p.track_id]["mean_height_px"] for p in followed] == [300, 250]


def test_nobody_in_the_video_is_a_clear_error():
    with pytest.raises(UserError, match="nobody found"):
        follow_person([_frame([])] * 4, FPS)


def test_keypoint_similarity_is_one_for_the_same_pose_and_falls_with_distance():
    box, keypoints = _person(300, 300)
    assert keypoint_similarity(keypoints, keypoints, box) == pytest.approx(1.0)
    moved = keypoints + [30, 0, 0]
    assert 0 < keypoint_similarity(keypoints, moved, box) < 0.5
    keypoints[:, 2] = 0
    assert keypoint_similarity(keypoints, moved, box) is None


def test_pose_similarity_does_not_count_a_turn_against_a_join():
    box, front = _person(300, 300)
    _, back = _person(300, 300, mirrored=True)
    assert pose_similarity(front, box, front, box) == pytest.approx(1.0)
    assert pose_similarity(front, box, back, box) == pytest.approx(1.0)
    # The same pose twice as large in a box twice as large is the same pose.
    big_box, big = _person(900, 600)
    assert pose_similarity(front, box, big, big_box) == pytest.approx(1.0)
    crouched = front.copy()
    crouched[:, 1] = 600 - (600 - crouched[:, 1]) * 0.5
    assert pose_similarity(front, box, crouched, box) < 0.5
    assert pose_similarity(None, box, front, box) == 0.5


def test_the_real_sports2d_keypoints_are_two_people_with_no_identity_switch(sports2d):
    """BlazePose follows one person per frame, but not always the same one: the parkour
    runner on the box (frames 3-168), the woman walking past (170-200), the runner again on
    the grass after his flip (202-226). The runner is one person through the flip and his
    landing, the woman another; every frame the runner was detected in is his."""
    from vidpose.video.keypoint_files import read_keypoints

    found = read_keypoints(sports2d["keypoints"])
    tracks = track_people(found.people, found.fps)
    spans = sorted((t.first_frame, t.last_frame, t.pieces) for t in tracks)
    assert spans == [(3, 226, 2), (170, 200, 1)]
    main = follow_person(found.people, found.fps)
    runner = [f for f in range(230) if 3 <= f <= 168 or 202 <= f <= 226]
    assert main.detected[runner].all() and main.detected.sum() == len(runner)
