"""Keypoint augmentation in closed form: the flip, the camera rotation, detector errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vidpose.infra.errors import UserError
from vidpose.keypoints.normalize import normalize_screen
from vidpose.lifting.keypoint_augment import (
    LIMB_DEPTH,
    MISSING_FRAMES,
    SWAP_FRAMES,
    KeypointAugmentConfig,
    detector_errors,
    flip_keypoints,
    flip_poses3d,
    missing_frame_bursts,
    person_size,
    rotate_camera,
    rotation_matrices,
    swap_bursts,
)
from vidpose.pose.camera import project_torch
from vidpose.pose.skeleton import FLIP_PERMUTATION
from vidpose.runs.run_config import load_section


def test_flip_is_an_involution_that_swaps_sides():
    keypoints, poses = torch.randn(2, 5, 17, 3), torch.randn(2, 5, 17, 3)
    torch.testing.assert_close(flip_keypoints(flip_keypoints(keypoints)), keypoints)
    torch.testing.assert_close(flip_poses3d(flip_poses3d(poses)), poses)
    flipped = flip_poses3d(poses)
    assert torch.equal(flipped[..., 4, 0], -poses[..., 1, 0])  # left hip ← right hip, X negated
    assert torch.equal(flipped[..., 4, 1:], poses[..., 1, 1:])
    assert torch.equal(flip_keypoints(keypoints)[..., 2], keypoints[..., FLIP_PERMUTATION, 2])


def test_flip_in_screen_coordinates_is_the_mirror_image():
    """−x in normalised coordinates is the pixel column w − x of the mirrored image."""
    width, height = 1000.0, 1002.0
    pixels = torch.rand(3, 17, 3) * torch.tensor([width, height, 1.0])
    mirrored = pixels.clone()[:, FLIP_PERMUTATION]
    mirrored[..., 0] = width - mirrored[..., 0]
    torch.testing.assert_close(
        flip_keypoints(normalize_screen(pixels, width, height)),
        normalize_screen(mirrored, width, height),
    )


def test_projection_of_a_flipped_pose_is_the_flipped_projection():
    """3D X → −X seen by a camera centred in the image = the 2D mirror (cx = w / 2)."""
    intrinsics = torch.tensor([[1145.0, 1145.0, 500.0, 501.0]])
    poses = torch.randn(1, 4, 17, 3) * 0.3 + torch.tensor([0.2, 0.1, 5.0])
    pixels = torch.cat([project_torch(poses, intrinsics), torch.ones(1, 4, 17, 1)], -1)
    pixels_of_flipped = torch.cat(
        [project_torch(flip_poses3d(poses), intrinsics), torch.ones(1, 4, 17, 1)], -1
    )
    torch.testing.assert_close(
        normalize_screen(pixels_of_flipped, 1000.0, 1002.0),
        flip_keypoints(normalize_screen(pixels, 1000.0, 1002.0)),
    )


def test_camera_rotation_in_closed_form():
    """A point on the optical axis, the camera turned by θ about its y axis: x' = f·tan θ + cx;
    root-relative distances are unchanged."""
    theta = math.radians(20.0)
    rotations = rotation_matrices(torch.tensor([[0.0, theta, 0.0]], dtype=torch.float64))
    torch.testing.assert_close(rotations[0] @ rotations[0].T, torch.eye(3, dtype=torch.float64))
    poses = torch.randn(1, 2, 17, 3, dtype=torch.float64) * 0.3
    poses = poses - poses[..., :1, :]
    root = torch.tensor([[[0.0, 0.0, 5.0]] * 2], dtype=torch.float64)
    turned, turned_root = rotate_camera(poses, root, rotations)
    torch.testing.assert_close(turned.norm(dim=-1), poses.norm(dim=-1))
    assert torch.equal(turned[..., 0, :], torch.zeros_like(turned[..., 0, :]))
    intrinsics = torch.tensor([[1000.0, 1000.0, 500.0, 500.0]], dtype=torch.float64)
    pixel = project_torch(turned_root, intrinsics)[0, 0]
    torch.testing.assert_close(
        pixel, torch.tensor([1000.0 * math.tan(theta) + 500.0, 500.0], dtype=torch.float64)
    )
    identity = rotation_matrices(torch.zeros(1, 3))
    torch.testing.assert_close(identity[0], torch.eye(3))


def test_detector_errors_scale_with_the_person():
    generator = torch.Generator().manual_seed(0)
    keypoints = torch.zeros(4000, 1, 17, 3)
    keypoints[..., 2] = 1.0
    keypoints[..., :, 1] = torch.linspace(-0.25, 0.25, 17)  # 0.5 tall
    assert torch.allclose(person_size(keypoints), torch.tensor(0.5))
    config = KeypointAugmentConfig(flip=0.0, noise=0.02)
    noisy = detector_errors(keypoints, config, generator)
    assert abs((noisy - keypoints)[..., 0].std().item() - 0.01) < 5e-4  # 0.02 × 0.5
    assert torch.equal(noisy[..., 2], keypoints[..., 2])
    dropped = detector_errors(keypoints, KeypointAugmentConfig(flip=0.0, dropout=0.25), generator)
    gone = dropped[..., 2] == 0
    assert abs(gone.float().mean().item() - 0.25) < 0.01
    assert torch.equal(dropped[gone], torch.zeros(int(gone.sum()), 3))
    outliers = detector_errors(keypoints, KeypointAugmentConfig(flip=0.0, outliers=0.1), generator)
    shift = (outliers - keypoints)[..., :2].norm(dim=-1)
    assert abs((shift > 0).float().mean().item() - 0.1) < 0.01


def test_jitter_grows_along_the_limbs():
    generator = torch.Generator().manual_seed(1)
    keypoints = torch.zeros(20000, 1, 17, 3)
    keypoints[..., 2] = 1.0
    keypoints[..., :, 1] = torch.linspace(-0.5, 0.5, 17)  # 1.0 tall
    config = KeypointAugmentConfig(flip=0.0, noise=0.01, noise_growth=0.5)
    spread = (detector_errors(keypoints, config, generator) - keypoints)[..., 0].std(dim=(0, 1))
    expected = 0.01 * (1 + 0.5 * torch.tensor(LIMB_DEPTH, dtype=torch.float32))
    torch.testing.assert_close(spread, expected, rtol=0.03, atol=0)
    assert spread[13] / spread[0] == pytest.approx(2.0, rel=0.05)  # wrist against pelvis


def test_swap_bursts_exchange_left_and_right_limb_joints_for_a_run_of_frames():
    generator = torch.Generator().manual_seed(2)
    windows, frames = 300, 40
    keypoints = torch.rand(windows, frames, 17, 3)
    swapped = swap_bursts(keypoints, 1.0, generator)
    arms, legs = [(12, 15), (13, 16)], [(5, 2), (6, 3)]
    for pairs in (arms, legs):
        left, right = [a for a, _ in pairs], [b for _, b in pairs]
        changed = (swapped[..., left, :] != keypoints[..., left, :]).any(-1).any(-1)  # (B, W)
        torch.testing.assert_close(
            swapped[..., left, :][changed], keypoints[..., right, :][changed]
        )
        torch.testing.assert_close(
            swapped[..., right, :][changed], keypoints[..., left, :][changed]
        )
        runs = changed.sum(1)
        assert runs.min() >= 1 and runs.max() <= SWAP_FRAMES
        first = changed.float().argmax(1)
        for window in range(windows):  # one contiguous run per window
            n, f = int(runs[window]), int(first[window])
            assert changed[window, f : f + n].all()
    others = [0, 1, 4, 7, 8, 9, 10, 11, 14]
    torch.testing.assert_close(swapped[..., others, :], keypoints[..., others, :])
    assert torch.equal(swap_bursts(keypoints, 0.0, generator), keypoints)


def test_missing_frames_are_filled_as_the_video_path_fills_them():
    generator = torch.Generator().manual_seed(3)
    windows, frames = 500, 60
    t = torch.arange(frames, dtype=torch.float32)
    keypoints = torch.ones(windows, frames, 17, 3)
    keypoints[..., 0] = t[:, None]  # x = t: linear in time, so interpolation gives it back
    keypoints[..., 1] = 2.0
    filled = missing_frame_bursts(keypoints, 1.0, generator)
    moved = (filled[..., 0] != keypoints[..., 0]).any(-1)  # only where a window edge is held
    held = filled[moved]
    assert torch.equal(held[..., 1], torch.full_like(held[..., 1], 2.0))
    assert moved.any() and moved.sum(1).max() <= MISSING_FRAMES
    # interior bursts: x = t exactly; at an edge: the one known frame repeated
    starts_at_zero = moved[:, 0]
    assert (filled[starts_at_zero, 0, :, 0] > 0).all()
    ends_at_end = moved[:, -1]
    assert (filled[ends_at_end, -1, :, 0] < frames - 1).all()
    # a joint missing at one end of the fill is missing across it
    keypoints[:, :, 3] = 0.0
    filled = missing_frame_bursts(keypoints, 1.0, torch.Generator().manual_seed(3))
    assert torch.equal(filled[:, :, 3], torch.zeros(windows, frames, 3))


def test_no_new_setting_no_new_draw():
    """Windows augmented with the new settings at 0 are those of the older recipe."""
    keypoints = torch.rand(8, 9, 17, 3)
    plain = KeypointAugmentConfig(flip=0.0, noise=0.02, dropout=0.1)
    a = detector_errors(keypoints, plain, torch.Generator().manual_seed(4))
    b = detector_errors(keypoints, plain, torch.Generator().manual_seed(4))
    torch.testing.assert_close(a, b)
    shape, generator = keypoints.shape[:-1], torch.Generator().manual_seed(4)
    gauss = torch.randn((*shape, 4), generator=generator)
    uniform = torch.rand((*shape, 2), generator=generator)
    size = person_size(keypoints)
    keep = (uniform[..., 1:] >= 0.1).float()
    expected = torch.cat(
        [keypoints[..., :2] + 0.02 * size * gauss[..., :2], keypoints[..., 2:]], -1
    )
    torch.testing.assert_close(a, expected * keep)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"flip": 1.5}, r"augment.flip: expected a value <= 1.0"),
        ({"noise": -0.1}, "augment.noise"),
        ({"camera_rotation_deg": 120}, r"augment.camera_rotation_deg: expected a value <= 90.0"),
        ({"scale": 0.2}, "augment.scale: unknown key"),
        ({"dropout": "lots"}, "augment.dropout: expected a number"),
        ({"swaps": 2}, r"augment.swaps: expected a value <= 1.0"),
        ({"noise_growth": -1}, "augment.noise_growth"),
    ],
)
def test_bad_settings_name_the_key(values, message):
    with pytest.raises(UserError, match=message):
        load_section(KeypointAugmentConfig, values, "augment")


def test_numpy_normalisation_agrees():
    points = np.array([[250.0, 100.0]])
    np.testing.assert_allclose(normalize_screen(points, 500.0, 400.0), [[0.0, -0.4]])
