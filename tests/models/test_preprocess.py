"""normalize_frames: uint8 (B, T, H, W, 3) → ImageNet-normalised float (B, T, 3, H, W)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vidpose.models.frame_input import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    denormalize_frames,
    normalize_frames,
)


def test_layout_and_values():
    frames = torch.zeros(2, 3, 8, 10, 3, dtype=torch.uint8)
    frames[1, 2, 4, 5] = torch.tensor([255, 0, 128], dtype=torch.uint8)
    images = normalize_frames(frames)
    assert images.shape == (2, 3, 3, 8, 10)
    assert images.dtype == torch.float32
    expected = [
        (value / 255 - mean) / std
        for value, mean, std in zip((255, 0, 128), IMAGENET_MEAN, IMAGENET_STD, strict=True)
    ]
    torch.testing.assert_close(images[1, 2, :, 4, 5], torch.tensor(expected))
    black = -torch.tensor(IMAGENET_MEAN) / torch.tensor(IMAGENET_STD)
    torch.testing.assert_close(images[0, 0, :, 0, 0], black)


def test_accepts_numpy_and_round_trips():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (2, 4, 6, 5, 3), dtype=np.uint8)
    images = normalize_frames(frames)
    assert torch.equal(denormalize_frames(images), torch.from_numpy(frames))


def test_resize_is_antialiased_bilinear():
    frames = torch.zeros(1, 2, 16, 16, 3, dtype=torch.uint8)
    frames[..., ::2, :, :] = 255  # one-pixel stripes: antialiasing averages them to grey
    images = normalize_frames(frames, size=8)
    assert images.shape == (1, 2, 3, 8, 8)
    grey = normalize_frames(torch.full((1, 1, 1, 1, 3), 128, dtype=torch.uint8))
    torch.testing.assert_close(images[0, 0, :, 4, 4], grey.flatten(), atol=0.05, rtol=0)
    assert normalize_frames(frames, size=(16, 16)).shape == (1, 2, 3, 16, 16)


def test_rejects_float_frames():
    with pytest.raises(ValueError, match="uint8"):
        normalize_frames(torch.zeros(1, 2, 4, 4, 3))


@pytest.mark.parametrize("size", [None, 12, 8])
def test_channels_last_gives_the_same_numbers_in_nhwc_memory(size):
    frames = torch.randint(0, 256, (3, 2, 12, 12, 3), dtype=torch.uint8)
    plain = normalize_frames(frames, size=size)
    fast = normalize_frames(frames, size=size, channels_last=True)
    assert fast.shape == plain.shape and fast.dtype == torch.float32
    torch.testing.assert_close(fast, plain, rtol=0, atol=0)
    images = fast.flatten(0, 1)
    assert images.is_contiguous(memory_format=torch.channels_last)
    assert plain.flatten(0, 1).is_contiguous()
