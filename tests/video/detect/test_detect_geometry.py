import numpy as np
import pytest

from vidpose.video.detect import box_geometry


def test_letterbox_keeps_the_aspect_at_the_top_left_on_grey():
    image = np.full((720, 1280, 3), 200, np.uint8)
    canvas, ratio = box_geometry.letterbox(image, (640, 640))
    assert ratio == 0.5 and canvas.shape == (640, 640, 3)
    assert (canvas[:360] == 200).all() and (canvas[360:] == box_geometry.PAD_VALUE).all()


def test_crop_center_scale_pads_and_widens_to_the_input_aspect():
    # A tall box (100 x 400) for a 192 x 256 input: height 500 after padding, width 375.
    center, scale = box_geometry.crop_center_scale(np.array([50, 0, 150, 400]), (192, 256))
    np.testing.assert_allclose(center, [100, 200])
    np.testing.assert_allclose(scale, [375, 500])
    # A wide box is heightened instead.
    _, scale = box_geometry.crop_center_scale(np.array([0, 0, 400, 100]), (192, 256))
    np.testing.assert_allclose(scale, [500, 500 * 256 / 192])


def test_the_crop_puts_the_box_centre_on_the_input_centre_and_inverts_exactly():
    center, scale, size = np.array([300.0, 200.0]), np.array([96.0, 128.0]), (192, 256)
    matrix = box_geometry.crop_matrix(center, scale, size)
    np.testing.assert_allclose(matrix @ [300, 200, 1], [96, 128])
    np.testing.assert_allclose(matrix @ [300 - 48, 200 - 64, 1], [0, 0])
    points = np.array([[10.0, 20.0], [150.5, 3.25]])
    frame_points = box_geometry.crop_to_frame(points, center, scale, size)
    back = frame_points @ matrix[:, :2].T + matrix[:, 2]
    np.testing.assert_allclose(back, points)


def test_crop_samples_the_frame_where_the_matrix_says():
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[40, 30] = 255
    # Scale 1:1, centre (30, 40) on the input centre (8, 8) of a 16 x 16 input.
    out = box_geometry.crop(frame, np.array([30.0, 40.0]), np.array([16.0, 16.0]), (16, 16))
    assert out.shape == (16, 16, 3) and out[8, 8, 0] == 255 and out.sum() == 3 * 255


def test_simcc_decode_reads_the_peak_bins_through_the_split_ratio():
    simcc_x, simcc_y = np.zeros((1, 2, 20)), np.zeros((1, 2, 30))
    simcc_x[0, 0, 7], simcc_y[0, 0, 12] = 0.9, 0.6  # joint 0 at (3.5, 6.0), score min = 0.6
    simcc_x[0, 1, 3], simcc_y[0, 1, 5] = -0.2, -0.1  # no positive response: score 0
    points, scores = box_geometry.simcc_decode(simcc_x, simcc_y, split_ratio=2.0)
    np.testing.assert_allclose(points[0, 0], [3.5, 6.0])
    np.testing.assert_allclose(scores[0], [0.6, 0.0])


def test_iou_and_nms():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], float)
    iou = box_geometry.box_iou(boxes, boxes)
    assert iou[0, 1] == pytest.approx(81 / 119) and iou[0, 2] == 0 and iou[2, 2] == 1
    keep = box_geometry.nms(boxes, np.array([0.5, 0.9, 0.7]), iou_threshold=0.5)
    assert keep.tolist() == [1, 2]
