"""Turning stored uint8 frames into model input."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

#: ImageNet channel statistics (RGB, on the 0–1 scale), what timm backbones expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


_STATS: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}


def _imagenet_stats(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """ImageNet mean and std (3,) float32 on ``device``, copied there once per device (a copy
    per batch would be a host-device transfer per step); made afresh while tracing (export)."""
    if torch.compiler.is_compiling():
        return (
            torch.tensor(IMAGENET_MEAN, device=device),
            torch.tensor(IMAGENET_STD, device=device),
        )
    if device not in _STATS:
        _STATS[device] = (
            torch.tensor(IMAGENET_MEAN, dtype=torch.float32).to(device),
            torch.tensor(IMAGENET_STD, dtype=torch.float32).to(device),
        )
    return _STATS[device]


def normalize_frames(
    frames: torch.Tensor | np.ndarray,
    size: int | tuple[int, int] | None = None,
    channels_last: bool = False,
) -> torch.Tensor:
    """uint8 RGB frames (..., H, W, 3), e.g. (B, T, H, W, 3) → float32 (..., 3, H', W'): ÷255,
    then ImageNet mean/std, on the input's device. The one input normalisation of vidpose
    (training, evaluation, prediction and the ONNX graph).

    ``size`` (a side or (H', W')) resizes with antialiased bilinear interpolation when the model
    input differs from the stored frames; by default the size is kept. ``channels_last`` skips
    the final copy: the result is a view of NHWC memory, which flattens to a channels_last
    (N, 3, H', W') batch, the memory format channels_last convolutions want.
    """
    frames = torch.as_tensor(frames)
    if frames.dtype != torch.uint8 or frames.ndim < 3 or frames.shape[-1] != 3:
        raise ValueError(
            f"expected uint8 frames (..., H, W, 3), got {frames.dtype} {tuple(frames.shape)}"
        )
    leading = frames.shape[:-3]
    mean, std = _imagenet_stats(frames.device)
    pixels = frames.reshape(-1, *frames.shape[-3:]).float().div_(255.0)  # (N, H, W, 3)
    target = None if size is None else ((size, size) if isinstance(size, int) else tuple(size))
    if target is not None and tuple(pixels.shape[1:3]) != target:
        images = pixels.permute(0, 3, 1, 2)  # NCHW view of NHWC memory
        images = F.interpolate(
            images, size=target, mode="bilinear", antialias=True, align_corners=False
        )
        images = (images - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    else:
        images = ((pixels - mean) / std).permute(0, 3, 1, 2)
    images = images.reshape(*leading, *images.shape[1:])
    return images if channels_last else images.contiguous()


def denormalize_frames(images: torch.Tensor) -> torch.Tensor:
    """Inverse of ``normalize_frames`` (without the resize): (..., 3, H, W) → uint8 (..., H, W, 3),
    for looking at model inputs."""
    mean = images.new_tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = images.new_tensor(IMAGENET_STD).view(3, 1, 1)
    pixels = ((images * std + mean) * 255.0).round().clamp(0, 255).to(torch.uint8)
    return pixels.movedim(-3, -1).contiguous()
