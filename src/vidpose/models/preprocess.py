"""Turning stored uint8 frames into model input."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

#: ImageNet channel statistics (RGB, on the 0–1 scale), what timm backbones expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalize_frames(
    frames: torch.Tensor | np.ndarray, size: int | tuple[int, int] | None = None
) -> torch.Tensor:
    """uint8 RGB frames (..., H, W, 3), e.g. (B, T, H, W, 3) → float32 (..., 3, H', W') with
    ImageNet mean/std, on the input's device.

    ``size`` (a side or (H', W')) resizes with antialiased bilinear interpolation when the model
    input differs from the stored frames; by default the size is kept.
    """
    frames = torch.as_tensor(frames)
    if frames.dtype != torch.uint8 or frames.ndim < 3 or frames.shape[-1] != 3:
        raise ValueError(
            f"expected uint8 frames (..., H, W, 3), got {frames.dtype} {tuple(frames.shape)}"
        )
    leading = frames.shape[:-3]
    images = frames.reshape(-1, *frames.shape[-3:]).permute(0, 3, 1, 2).float().div_(255.0)
    if size is not None:
        target = (size, size) if isinstance(size, int) else tuple(size)
        if tuple(images.shape[-2:]) != target:
            images = F.interpolate(
                images, size=target, mode="bilinear", antialias=True, align_corners=False
            )
    mean = images.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = images.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    images = (images - mean) / std
    return images.reshape(*leading, *images.shape[1:]).contiguous()


def denormalize_frames(images: torch.Tensor) -> torch.Tensor:
    """Inverse of ``normalize_frames`` (without the resize): (..., 3, H, W) → uint8 (..., H, W, 3),
    for looking at model inputs."""
    mean = images.new_tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = images.new_tensor(IMAGENET_STD).view(3, 1, 1)
    pixels = ((images * std + mean) * 255.0).round().clamp(0, 255).to(torch.uint8)
    return pixels.movedim(-3, -1).contiguous()
