import numpy as np
import pytest

from vidpose.errors import UserError
from vidpose.video.people import FramePeople
from vidpose.video.track import follow_person, keypoint_similarity, link_tracks

FRAMES = 40


def _person(cx: float, height: float, score=0.9):
    """A box (4,) xyxy of a person centred on column ``cx`` standing on row 600, and 17
    keypoints spread over it (a fixed stick pose, scaled with the height)."""
    width = height * 0.4
    box = np.array([cx - width / 2, 600 - height, cx + width / 2, 600])
    rows = np.linspace(600 - height, 600, 17)
    columns = cx + width * 0.3 * np.sin(np.arange(17))
    return box, np.stack([columns, rows, np.full(17, score)], axis=1)


def _crossing(gap=(), shuffle_seed=0):
    """Person A (height 300) walks right from x=200, B (height 240) left from x=1000: they meet
    at frame 20. ``gap`` frames miss A. Detections come in a random order each frame."""
    rng = np.random.default_rng(shuffle_seed)
    people, truth = [], []
    for frame in range(FRAMES):
        a = _person(200 + 20 * frame, 300)
        b = _person(1000 - 20 * frame, 240)
        found = [("A", *a), ("B", *b)] if frame not in gap else [("B", *b)]
        order = rng.permutation(len(found))
        found = [found[i] for i in order]
        truth.append([name for name, *_ in found])
        people.append(
            FramePeople(
                boxes=np.stack([box for _, box, _ in found]),
                scores=np.full(len(found), 0.9),
                keypoints=np.stack([kp for *_, kp in found]),
            )
        )
    return people, truth


@pytest.mark.parametrize("with_keypoints", [True, False])
def test_two_people_crossing_keep_their_identities(with_keypoints):
    people, _ = _crossing(gap=(19, 20, 21))
    if not with_keypoints:
        people = [FramePeople(p.boxes, p.scores) for p in people]
    tracks = link_tracks(people)
    assert len(tracks) == 2
    for track in tracks:
        centres = np.array([(b[0] + b[2]) / 2 for b in track.boxes])
        steps = np.diff(centres) / np.diff(track.frames)
        # Each track moves one way all along: nobody swapped at the crossing.
        assert np.allclose(steps, steps[0]) and abs(steps[0]) == 20
        heights = {round(b[3] - b[1]) for b in track.boxes}
        assert len(heights) == 1


def test_the_main_person_is_the_largest_in_view_and_person_picks_another():
    people, _ = _crossing()
    main = follow_person(people)
    assert main.tracks[main.track_id]["mean_height_px"] == 300  # A, taller for as long
    other = follow_person(people, person=1 - main.track_id)
    np.testing.assert_allclose(other.boxes[:, 3] - other.boxes[:, 1], 240)
    with pytest.raises(UserError, match=r"--person 5: no such person; the video has ids 0-1"):
        follow_person(people, person=5)


def test_short_gaps_are_interpolated_and_marked_long_ones_are_not():
    people, _ = _crossing(gap=(19, 20, 21))
    main = follow_person(people, max_gap=5)
    assert main.interpolated[[19, 20, 21]].all() and main.interpolated.sum() == 3
    assert not main.detected[[19, 20, 21]].any() and main.detected.sum() == FRAMES - 3
    # A walks in a straight line: the filled boxes and keypoints are where A was.
    for frame in (19, 20, 21):
        box, keypoints = _person(200 + 20 * frame, 300)
        np.testing.assert_allclose(main.boxes[frame], box)
        np.testing.assert_allclose(main.keypoints[frame], keypoints)
    people = _crossing(gap=range(10, 20))[0]
    # A is now in view 30 frames, B 40: B is the main person; ask for A by its id.
    a_id = next(t["id"] for t in follow_person(people).tracks if t["mean_height_px"] == 300)
    assert follow_person(people).track_id != a_id
    long_gap = follow_person(people, person=a_id, max_gap=12, max_fill=3)
    assert not long_gap.interpolated.any() and np.isnan(long_gap.boxes[10:20]).all()
    assert (long_gap.keypoints[10:20, :, 2] == 0).all() and long_gap.low_confidence[10:20].all()


def test_low_confidence_keypoints_are_marked():
    box, keypoints = _person(300, 300)
    keypoints[3, 2] = 0.1
    people = [FramePeople(box[None], np.array([0.9]), keypoints[None])] * 3
    main = follow_person(people, min_score=0.3)
    assert main.low_confidence.shape == (3, 17)
    assert main.low_confidence[:, 3].all() and main.low_confidence.sum() == 3


def test_nobody_in_the_video_is_a_clear_error():
    empty = FramePeople(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 17, 3)))
    with pytest.raises(UserError, match="nobody found"):
        follow_person([empty] * 4)


def test_keypoint_similarity_is_one_for_the_same_pose_and_falls_with_distance():
    box, keypoints = _person(300, 300)
    assert keypoint_similarity(keypoints, keypoints, box) == pytest.approx(1.0)
    moved = keypoints + [30, 0, 0]
    assert 0 < keypoint_similarity(keypoints, moved, box) < 0.5
    keypoints[:, 2] = 0
    assert keypoint_similarity(keypoints, moved, box) is None
