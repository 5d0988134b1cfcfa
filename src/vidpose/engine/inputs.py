"""A batch as read → the batch the model takes: frames normalised (and resized) into model
input, with the 2D joints and the geometry carried to the model input's pixels.

Shared by the training step (after augmentation) and the test-time forward pass, so both feed
the model the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch

from vidpose.clips.batch import ClipBatch
from vidpose.models.crop_geometry import poses2d_to_input
from vidpose.models.frame_input import normalize_frames

#: (frames uint8 (B, T, H, W, 3), size) → model input (B, T, 3, S, S): ``normalize_frames``,
#: or the trainer's channels_last variant of it.
Normalizer = Callable[..., torch.Tensor]


def to_model_input(
    batch: ClipBatch, image_size: int | None, normalize: Normalizer | None = None
) -> ClipBatch:
    """``batch`` with its uint8 frames normalised to model input of side ``image_size`` (None:
    the stored side), ``poses2d`` in model-input pixels and the geometry at that side."""
    frames = batch.inputs
    inputs = (normalize or normalize_frames)(frames, size=image_size)
    stored, size = int(frames.shape[-2]), int(inputs.shape[-1])
    poses2d = batch.poses2d
    if poses2d is not None:
        poses2d = poses2d_to_input(poses2d, stored, size)
    geometry = None if batch.geometry is None else batch.geometry.at_size(size)
    return dataclasses.replace(batch, inputs=inputs, poses2d=poses2d, geometry=geometry)
