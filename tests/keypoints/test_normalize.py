"""VideoPose3D's screen normalisation: exact values and the round trip."""

from __future__ import annotations

import numpy as np
import torch

from vidpose.keypoints.normalize import image_coordinates, normalize_screen


def test_exact_values_for_a_1000_by_1002_image():
    pixels = np.array([[0, 0], [1000, 1002], [500, 501], [250, 0], [1000, 0]], np.float64)
    expected = np.array([[-1, -1.002], [1, 1.002], [0, 0], [-0.5, -1.002], [1, -1.002]], np.float64)
    np.testing.assert_allclose(normalize_screen(pixels, 1000, 1002), expected, atol=1e-12)


def test_square_image_maps_to_the_unit_square():
    corners = np.array([[0, 0], [1000, 1000]], np.float32)
    np.testing.assert_allclose(normalize_screen(corners, 1000, 1000), [[-1, -1], [1, 1]])


def test_round_trip_and_confidence_passes_through():
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(0, 1000, (4, 5, 17, 3)).astype(np.float32)
    widths = np.array([1000, 1000, 640, 1920], np.float32)[:, None, None]
    heights = np.array([1002, 1000, 480, 1080], np.float32)[:, None, None]
    normalised = normalize_screen(keypoints, widths, heights)
    assert normalised.dtype == np.float32 and normalised is not keypoints
    np.testing.assert_array_equal(normalised[..., 2], keypoints[..., 2])
    back = image_coordinates(normalised, widths, heights)
    np.testing.assert_allclose(back, keypoints, rtol=1e-5, atol=1e-3)


def test_torch_tensors_give_the_same_numbers():
    points = np.random.default_rng(1).uniform(0, 1000, (3, 17, 2))
    tensor = torch.from_numpy(points)
    result = normalize_screen(tensor, 1000, 1002)
    assert isinstance(result, torch.Tensor)
    np.testing.assert_allclose(result.numpy(), normalize_screen(points, 1000, 1002))
    back = image_coordinates(result, 1000, 1002)
    np.testing.assert_allclose(back.numpy(), points, rtol=1e-12)
    assert tensor.data_ptr() != result.data_ptr()


def test_integer_pixels_become_floats():
    assert normalize_screen(np.array([[500, 500]]), 1000, 1000).tolist() == [[0.0, 0.0]]
    assert normalize_screen(np.array([[500, 500]]), 1000, 1000).dtype == np.float64
