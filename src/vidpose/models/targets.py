"""``PoseOutput``: what every pose model (image or lifter) keeps about its targets.

The buffers ``target_mean`` and ``target_std`` (17, 3), metres, default to 0 and 1 and are set
from the training store by the trainer (``set_target_stats``); being buffers, they travel with
the state_dict. ``root_mask`` (17, 1) zeroes the pelvis, so a root-relative output has it at
exactly 0 (not merely close to it): no metric credits or blames a network for a joint it need
not predict.
"""

from __future__ import annotations

import torch
from torch import nn

from vidpose.pose.skeleton import NUM_JOINTS, ROOT


class PoseOutput(nn.Module):
    """Base of ``PoseModel`` and ``LiftingModel``: target statistics and the root mask."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("target_mean", torch.zeros(NUM_JOINTS, 3))
        self.register_buffer("target_std", torch.ones(NUM_JOINTS, 3))
        root_mask = torch.ones(NUM_JOINTS, 1)
        root_mask[ROOT] = 0.0
        self.register_buffer("root_mask", root_mask, persistent=False)
        #: The ModelConfig or LifterConfig this model was built from (set by ``build_model``).
        self.config = None

    def to_metres(self, normalized: torch.Tensor) -> torch.Tensor:
        """(..., 17, 3) normalised target units → metres, pelvis exactly 0."""
        return (normalized * self.target_std + self.target_mean) * self.root_mask

    def training_terms(self, outputs: dict[str, torch.Tensor], batch) -> dict[str, torch.Tensor]:
        """Training terms the model owns beside the pose loss, by name (none here)."""
        return {}

    @torch.no_grad()
    def set_target_stats(
        self, mean: torch.Tensor, std: torch.Tensor, min_std: float = 1e-6
    ) -> None:
        """Set ``target_mean``/``target_std`` (17, 3), metres. ``std`` is clamped to ``min_std``
        because the pelvis (and any joint fixed in the data) has zero spread."""
        mean = torch.as_tensor(mean, dtype=torch.float32).reshape(NUM_JOINTS, 3)
        std = torch.as_tensor(std, dtype=torch.float32).reshape(NUM_JOINTS, 3)
        self.target_mean.copy_(mean)
        self.target_std.copy_(std.clamp_min(min_std))
