"""``ClipBatch``: one batch of clips, everything the engine needs about them in one object.

A source (vidpose.clips.clip_source) reads a batch on the host; the data path
(vidpose.engine.batches) places it on the compute device once, whole; the training step and
the test-time forward pass (vidpose.engine.inputs, vidpose.engine.clip_inference) turn its raw
``inputs`` into model input with :func:`dataclasses.replace`, so a prepared batch is a
``ClipBatch`` too.

Pixel quantities follow the batch's ``inputs``: ``poses2d`` are pixels of the image ``inputs``
shows and ``geometry.input_size`` is its side, whether that is the stored frame (as read) or the
resized model input (prepared). ``inputs`` are uint8 frames (B, T, H, W, 3) RGB as read, float
(B, T, 3, S, S) once normalised.

This is the clip track's batch; a lifter's is ``vidpose.lifting.windows.KeypointBatch``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from vidpose.models.crop_geometry import Geometry, make_geometry


@dataclass
class ClipBatch:
    """B clips of T frames (module docstring for the units of each field).

    - ``inputs``: the frames;
    - ``poses3d`` (B, T, 17, 3): the targets, metres, camera frame, root-relative (None when
      predicting where no truth is known, e.g. a video);
    - ``poses2d`` (B, T, 17, 2) or None: the true 2D joints, pixels of ``inputs``;
    - ``geometry``: the crops and camera (the integral head's lift), or None;
    - ``indices`` (B,) int64: the clips' positions in their source (for labels and order).
    """

    inputs: torch.Tensor
    poses3d: torch.Tensor | None = None
    poses2d: torch.Tensor | None = None
    geometry: Geometry | None = None
    indices: np.ndarray | None = None

    @property
    def size(self) -> int:
        """B, the number of clips."""
        return int(self.inputs.shape[0])

    @property
    def model_args(self) -> tuple:
        """What a prepared batch passes the image model: ``(inputs, geometry)``."""
        return self.inputs, self.geometry

    def to(self, device: torch.device | str, non_blocking: bool = False) -> ClipBatch:
        """The batch on ``device`` (tensors already there are not copied)."""

        def move(tensor: torch.Tensor | None) -> torch.Tensor | None:
            return None if tensor is None else tensor.to(device, non_blocking=non_blocking)

        geometry = self.geometry
        if geometry is not None:
            geometry = geometry.to(device, non_blocking=non_blocking)
        return dataclasses.replace(
            self,
            inputs=move(self.inputs),
            poses3d=move(self.poses3d),
            poses2d=move(self.poses2d),
            geometry=geometry,
        )


def batch_from_tensors(tensors: dict[str, torch.Tensor], indices: np.ndarray) -> ClipBatch:
    """A ClipBatch from per-clip arrays gathered for clips ``indices``: ``inputs`` and
    ``poses3d``, optionally ``poses2d`` and ``crop`` with ``intrinsics`` (the clip store's
    arrays, vidpose.clips.clip_store). Frames' geometry is at the stored side (frames (B, T, S, S,
    3))."""
    geometry = None
    inputs = tensors["inputs"]
    if "crop" in tensors and "intrinsics" in tensors:
        side = int(inputs.shape[-2])
        geometry = make_geometry(tensors["crop"], tensors["intrinsics"], side, inputs.device)
    return ClipBatch(
        inputs=inputs,
        poses3d=tensors["poses3d"],
        poses2d=tensors.get("poses2d"),
        geometry=geometry,
        indices=np.asarray(indices, dtype=np.int64),
    )
