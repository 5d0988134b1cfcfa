"""``PoseModel``: clips (B, T, 3, H, W) → root-relative 3D poses (B, T, 17, 3) in metres."""

from __future__ import annotations

import torch
from torch import nn

from vidpose.skeleton import NUM_JOINTS, ROOT


class PoseModel(nn.Module):
    """Per-frame backbone → temporal module → head.

    The network works in normalised target units: ``forward_normalized`` returns the raw output,
    and ``forward`` maps it to metres with the buffers ``target_mean`` and ``target_std``
    (17, 3), which default to 0 and 1 and are set from the training store by the trainer
    (``set_target_stats``). They are buffers, so they travel with the state_dict.

    Targets are root-relative, so the pelvis is 0 in every ground-truth frame; ``forward``
    outputs it as exactly 0 (not merely close to it), so a metric never credits or blames the
    network for a joint it need not predict.
    """

    def __init__(self, backbone: nn.Module, temporal: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.temporal = temporal
        self.head = head
        self.register_buffer("target_mean", torch.zeros(NUM_JOINTS, 3))
        self.register_buffer("target_std", torch.ones(NUM_JOINTS, 3))
        root_mask = torch.ones(NUM_JOINTS, 1)
        root_mask[ROOT] = 0.0
        self.register_buffer("root_mask", root_mask, persistent=False)
        #: The ModelConfig this model was built from (set by ``build_model``).
        self.config = None

    def forward_normalized(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (B, T, 3, H, W), normalised by ``normalize_frames`` → (B, T, 17, 3),
        normalised target units (``(poses - target_mean) / target_std``)."""
        if frames.ndim != 5:
            raise ValueError(f"expected frames (B, T, 3, H, W), got shape {tuple(frames.shape)}")
        batch, length = frames.shape[:2]
        features = self.backbone(frames.flatten(0, 1)).unflatten(0, (batch, length))
        return self.head(self.temporal(features))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (B, T, 3, H, W), normalised → poses (B, T, 17, 3), metres, root-relative,
        pelvis exactly 0."""
        poses = self.forward_normalized(frames) * self.target_std + self.target_mean
        return poses * self.root_mask

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
