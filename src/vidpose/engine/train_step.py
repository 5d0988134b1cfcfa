"""What one training step feeds the model and how its output is scored (issue 6).

:class:`StepInputs` turns a batch of stored clips into the model's input: augmentation on the
training device (``augment:``, one random draw per clip, from a seeded generator that the
trainer saves for exact resume), the crop/camera geometry of each clip (moved with the flip and
zoom so the integral head's lift stays right), and the 2D targets in model-input pixels.
:class:`Objective` is the loss of ``train:``: the pose term by name, plus the optional velocity,
bone, 2D and heatmap terms (see vidpose.engine.losses for units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vidpose.augment import AugmentConfig, apply_params, sample_params
from vidpose.config import TrainConfig
from vidpose.engine.losses import (
    bone_loss,
    build_loss,
    depth_map_loss,
    heatmap_loss,
    loss_2d,
    n_mpjpe_loss,
    velocity_loss,
)
from vidpose.engine.predict import batch_geometry
from vidpose.models.geometry import augment_geometry, crop_axis, poses2d_to_input
from vidpose.models.preprocess import normalize_frames


@dataclass
class StepBatch:
    """One prepared batch: ``inputs`` (B, T, 3, S, S) normalised frames; ``poses3d`` (B, T, 17,
    3) metres (augmented like the frames); ``geometry`` for the model or None; ``poses2d``
    (B, T, 17, 2) model-input pixels, or None when no 2D term needs them."""

    inputs: torch.Tensor
    poses3d: torch.Tensor
    geometry: dict | None
    poses2d: torch.Tensor | None


class StepInputs:
    """Prepares training batches from a clip source (see the module docstring)."""

    def __init__(
        self,
        source,
        augment: AugmentConfig,
        image_size: int,
        device: torch.device,
        seed: int,
        need_poses2d: bool = False,
        normalize=normalize_frames,
    ) -> None:
        self.source = source
        self.augment = augment
        self.image_size = image_size
        self.device = device
        self.need_poses2d = need_poses2d
        self.normalize = normalize  # (frames uint8 (B, T, H, W, 3), size) → model input
        # Its own generator, on the training device: augmentation draws don't shift the
        # global RNG (dropout) and need no host round trip on a GPU.
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(seed)

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"].cpu())

    def prepare(
        self, indices: np.ndarray, frames: torch.Tensor, poses3d: torch.Tensor
    ) -> StepBatch:
        """``frames`` uint8 (B, T, H, W, 3) and ``poses3d`` (B, T, 17, 3), already on the
        device, of clips ``indices`` of the source."""
        stored_size = int(frames.shape[-2])
        geometry = batch_geometry(self.source, indices, self.device)
        if geometry is not None:
            geometry["input_size"] = stored_size
        poses2d = None
        if self.need_poses2d:
            stored = self.source.store.poses2d[np.asarray(indices, dtype=np.int64)]  # (B,T,17,2)
            poses2d = torch.from_numpy(np.ascontiguousarray(stored)).to(self.device)
        if not self.augment.is_identity:
            params = sample_params(frames.shape[0], self.augment, self.generator, self.device)
            # The picture turns about the crop centre: the pose about the ray through it.
            turns = geometry is not None and self.augment.rotation_deg > 0
            axis = crop_axis(geometry) if turns else None
            frames, poses3d, poses2d = apply_params(frames, poses3d, poses2d, params, axis)
            if geometry is not None:
                geometry = augment_geometry(geometry, params.flip, params.zoom)
        inputs = self.normalize(frames, size=self.image_size)
        size = int(inputs.shape[-1])
        if geometry is not None:
            geometry["input_size"] = size
        if poses2d is not None:
            poses2d = poses2d_to_input(poses2d, stored_size, size)
        return StepBatch(inputs, poses3d, geometry, poses2d)


class Objective:
    """The training loss of ``train:`` (pose term + velocity, bone, 2D, heatmap and depth-map
    terms)."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.pose_loss = build_loss(config.loss)

    def scale(self, model: torch.nn.Module) -> torch.Tensor | None:
        """Per-coordinate error unit (17, 3): the target std (at least 1 mm, as the pelvis has
        none) for ``loss_units: normalized``, None for metres."""
        if self.config.loss_units != "normalized":
            return None
        return model.target_std.clamp_min(1e-3)

    def __call__(self, outputs: dict, batch: StepBatch, model: torch.nn.Module) -> torch.Tensor:
        """``outputs``: the model's ``forward(..., return_aux=True)`` dict; ``model`` the
        unwrapped PoseModel (for ``target_std``)."""
        pred, gt = outputs["poses3d"], batch.poses3d
        scale = self.scale(model)
        loss = self.pose_loss(pred, gt, scale)
        if self.config.velocity_weight > 0:
            velocity = velocity_loss(pred, gt, scale, self.config.velocity_loss)
            loss = loss + self.config.velocity_weight * velocity
        if self.config.n_mpjpe_weight > 0:
            loss = loss + self.config.n_mpjpe_weight * n_mpjpe_loss(pred, gt)
        if self.config.bone_weight > 0:
            loss = loss + self.config.bone_weight * bone_loss(pred, gt)
        size = int(batch.inputs.shape[-1])  # the image terms below need frames
        if self.config.loss_2d_weight > 0 and batch.poses2d is not None:
            term = loss_2d(outputs["poses2d_input_px"], batch.poses2d, size)
            loss = loss + self.config.loss_2d_weight * term
        if self.config.heatmap_weight > 0 and batch.poses2d is not None:
            term = heatmap_loss(
                outputs["log_heatmaps"], batch.poses2d, size, self.config.heatmap_sigma
            )
            loss = loss + self.config.heatmap_weight * term
        if self.config.depth_map_weight > 0 and batch.poses2d is not None:
            targets = model.head.depth_map_targets(gt, outputs.get("depth_axis"))
            term = depth_map_loss(
                outputs["depth_maps"], targets, batch.poses2d, size, self.config.heatmap_sigma
            )
            loss = loss + self.config.depth_map_weight * term
        return loss
