"""What one training step feeds the model and how its output is scored.

:class:`StepInputs` turns a :class:`~vidpose.clips.batch.ClipBatch` of stored clips into the
model's input: augmentation on the training device (``augment:``, one random draw per clip,
from a seeded generator that the trainer saves for exact resume), the crop/camera geometry of
each clip (moved with the flip and zoom so the integral head's lift stays right), and the 2D
targets in model-input pixels. :class:`Objective` is the loss of ``train:`` for either track: the
pose term by name, plus the optional velocity and bone terms (vidpose.engine.losses) and the
terms the model owns (an integral head's, vidpose.models.integral_losses).
"""

from __future__ import annotations

import dataclasses

import torch

from vidpose.clips.batch import ClipBatch
from vidpose.clips.clip_augment import AugmentConfig, apply_params, sample_params
from vidpose.engine.inputs import Normalizer, to_model_input
from vidpose.engine.losses import bone_loss, build_loss, n_mpjpe_loss, velocity_loss
from vidpose.models.crop_geometry import augment_geometry, crop_axis
from vidpose.runs.run_config import TrainConfig


class SeededAugmentation:
    """The augmentation random state of a step's inputs: its own generator on the training
    device, so augmentation draws don't shift the global RNG (dropout) and need no host round
    trip on a GPU; saved with the checkpoint for exact resume."""

    def __init__(self, device: torch.device, seed: int) -> None:
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(seed)

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"].cpu())


class StepInputs(SeededAugmentation):
    """Prepares training batches of frames (see the module docstring)."""

    def __init__(
        self,
        augment: AugmentConfig,
        image_size: int,
        device: torch.device,
        seed: int,
        normalize: Normalizer | None = None,
    ) -> None:
        self.augment = augment
        self.image_size = image_size
        self.device = device
        self.normalize = normalize
        super().__init__(device, seed)

    def prepare(self, batch: ClipBatch) -> ClipBatch:
        """``batch`` as read (uint8 frames, on the device) → augmented model input (a
        ClipBatch whose ``inputs`` are normalised frames (B, T, 3, S, S))."""
        if not self.augment.is_identity:
            frames, geometry = batch.inputs, batch.geometry
            params = sample_params(frames.shape[0], self.augment, self.generator, self.device)
            # The picture turns about the crop centre: the pose about the ray through it.
            turns = geometry is not None and self.augment.rotation_deg > 0
            axis = crop_axis(geometry) if turns else None
            frames, poses3d, poses2d = apply_params(
                frames, batch.poses3d, batch.poses2d, params, axis
            )
            if geometry is not None:
                geometry = augment_geometry(geometry, params.flip, params.zoom)
            batch = dataclasses.replace(
                batch, inputs=frames, poses3d=poses3d, poses2d=poses2d, geometry=geometry
            )
        return to_model_input(batch, self.image_size, self.normalize)


class Objective:
    """The training loss of ``train:``: the pose term, velocity and bone terms, then the
    model's own terms (``training_terms``: the integral head's 2D, heatmap and depth-map
    terms, weighted by its ``model:`` keys)."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.pose_loss = build_loss(config.loss)

    def scale(self, model: torch.nn.Module) -> torch.Tensor | None:
        """Per-coordinate error unit (17, 3): the target std (at least 1 mm, as the pelvis has
        none) for ``loss_units: normalized``, None for metres."""
        if self.config.loss_units != "normalized":
            return None
        return model.target_std.clamp_min(1e-3)

    def __call__(self, outputs: dict, batch, model: torch.nn.Module) -> torch.Tensor:
        """``outputs``: the model's ``forward(..., return_aux=True)`` dict; ``batch`` the
        prepared batch (its ``poses3d`` are the targets); ``model`` the unwrapped model (for
        ``target_std`` and its own ``training_terms``)."""
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
        for term in model.training_terms(outputs, batch).values():
            loss = loss + term
        return loss
