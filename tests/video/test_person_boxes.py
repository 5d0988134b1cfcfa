import json

import numpy as np
import pytest

from vidpose.clips.crops import cut_and_resize
from vidpose.infra.errors import UserError
from vidpose.video import person_boxes as pb


def contains(outer: np.ndarray, inner: np.ndarray, tolerance: float = 0.0) -> bool:
    """Whether box ``outer`` (x, y, w, h) contains box ``inner``, within ``tolerance`` px."""
    return bool(
        outer[0] <= inner[0] + tolerance
        and outer[1] <= inner[1] + tolerance
        and outer[0] + outer[2] >= inner[0] + inner[2] - tolerance
        and outer[1] + outer[3] >= inner[1] + inner[3] - tolerance
    )


def test_parse_box_accepts_a_box_in_the_frame():
    np.testing.assert_array_equal(pb.parse_box("10,20,30.5,40", (160, 120)), [10, 20, 30.5, 40])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("10,20,30", "four numbers"),
        ("a,b,c,d", "four numbers"),
        ("10,20,0,40", "no area"),
        ("200,20,30,40", "outside the 160x120 frame"),
        ("-50,20,30,40", "outside"),
        ("10,130,30,40", "outside"),
    ],
)
def test_parse_box_rejects_bad_boxes_in_one_line(text, problem):
    with pytest.raises(UserError, match=problem) as error:
        pb.parse_box(text, (160, 120))
    assert str(error.value).startswith("--box") and "\n" not in str(error.value)


@pytest.mark.parametrize("text", ["nan,20,30,40", "10,inf,30,40", "10,20,-inf,40"])
def test_a_box_that_is_not_finite_is_named_as_typed(text):
    with pytest.raises(UserError) as error:
        pb.parse_box(text, (160, 120))
    shown = ",".join(f"{float(v):g}" for v in text.split(","))
    assert str(error.value) == f"--box: box {shown} is not finite (nan or inf)"


def test_boxes_file_with_nulls_is_read_and_checked(tmp_path):
    path = tmp_path / "boxes.json"
    path.write_text(json.dumps({"boxes": [[0, 0, 10, 20], None, [4, 0, 10, 20]]}))
    boxes = pb.load_boxes_file(path, 3, (160, 120))
    assert np.isnan(boxes[1]).all()
    np.testing.assert_allclose(pb.fill_gaps(boxes)[1], [2, 0, 10, 20])

    path.write_text(json.dumps([[0, 0, 10, 20]]))
    with pytest.raises(UserError, match="1 boxes, but the video has 3 frames"):
        pb.load_boxes_file(path, 3, (160, 120))
    path.write_text(json.dumps([[0, 0, 10], None, None]))
    with pytest.raises(UserError, match="box 0"):
        pb.load_boxes_file(path, 3, (160, 120))
    path.write_text(json.dumps([None, [500, 0, 10, 10], None]))
    with pytest.raises(UserError, match="box 1.*outside"):
        pb.load_boxes_file(path, 3, (160, 120))
    path.write_text(json.dumps([None, None]))
    with pytest.raises(UserError, match="every box is null"):
        pb.load_boxes_file(path, 2, (160, 120))
    path.write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        pb.load_boxes_file(path, 2, (160, 120))


def test_motion_detector_finds_the_walking_figure(walking_video):
    boxes, method = pb.detect_person_boxes(walking_video.frames, method="motion")
    assert method == "motion" and boxes.shape == (len(walking_video.frames), 4)
    found = ~np.isnan(boxes).any(axis=1)
    assert found.mean() > 0.9
    for box, truth in zip(boxes[found], walking_video.person_boxes[found], strict=True):
        assert contains(box, truth, tolerance=3)
        assert box[2] * box[3] < 2.0 * truth[2] * truth[3]  # tight, not the whole frame


@pytest.mark.skipif(pb._hog_detector() is None, reason="this OpenCV has no HOG detector")
def test_hog_detector_returns_boxes_in_source_pixels(walking_video):
    boxes, method = pb.detect_person_boxes(walking_video.frames[:4], method="hog")
    assert method == "hog" and boxes.shape == (4, 4)


def test_hog_request_without_hog_is_a_user_error():
    if pb._hog_detector() is not None:
        pytest.skip("this OpenCV has a HOG detector")
    with pytest.raises(UserError, match="HOG"):
        pb.detect_person_boxes([np.zeros((8, 8, 3), np.uint8)], method="hog")


def test_fill_gaps_interpolates_and_holds_the_ends():
    boxes = np.full((5, 4), np.nan)
    boxes[1] = [10, 10, 20, 40]
    boxes[3] = [20, 10, 20, 40]
    filled = pb.fill_gaps(boxes)
    np.testing.assert_allclose(filled[:, 0], [10, 10, 15, 20, 20])
    with pytest.raises(UserError, match="no person found"):
        pb.fill_gaps(np.full((3, 4), np.nan))


def test_smoothing_removes_a_one_frame_outlier_and_keeps_a_steady_box():
    steady = np.tile([50.0, 20.0, 30.0, 60.0], (15, 1))
    np.testing.assert_allclose(pb.smooth_boxes(steady), steady)
    jumpy = steady.copy()
    jumpy[7] = [0, 0, 160, 120]
    np.testing.assert_allclose(pb.smooth_boxes(jumpy), steady)
    moving = steady + np.arange(15)[:, None] * [2.0, 0, 0, 0]
    np.testing.assert_allclose(pb.smooth_boxes(moving)[5:10], moving[5:10])  # no lag inside


def test_square_crops_pad_the_longer_side_by_1_2_around_the_centre():
    squares = pb.square_crops(np.array([[10.0, 20.0, 30.0, 60.0]]))
    np.testing.assert_allclose(squares, [[25 - 36, 50 - 36, 72]])


def test_crop_square_cuts_resizes_and_pads_with_black():
    frame = np.random.default_rng(0).integers(1, 255, (40, 60, 3), dtype=np.uint8)
    inside = cut_and_resize(frame, np.array([5, 8, 16]), 16)
    np.testing.assert_array_equal(inside, frame[8:24, 5:21])
    half_out = cut_and_resize(frame, np.array([-10, 0, 20]), 20)
    assert (half_out[:, :10] == 0).all()
    np.testing.assert_array_equal(half_out[:, 10:], frame[:20, :10])
    assert cut_and_resize(frame, np.array([0, 0, 40]), 8).shape == (8, 8, 3)
