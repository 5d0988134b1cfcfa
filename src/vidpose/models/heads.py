"""Heads: temporal features (B, T, F) → poses (B, T, 17, 3) in normalised target units.

Head constructors take ``(in_features, config, backbone)``; the integral head, which also reads
the backbone's spatial map, lives in ``vidpose.models.integral``.
"""

from __future__ import annotations

import torch
from torch import nn

from vidpose.models.registry import HEADS
from vidpose.models.settings import ModelConfig
from vidpose.pose.skeleton import NUM_JOINTS


class DirectHead(nn.Module):
    """Direct regression: dropout, then one linear layer to 17×3 per frame."""

    def __init__(self, in_features: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(in_features, NUM_JOINTS * 3)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        poses = self.linear(self.dropout(features))
        return poses.unflatten(-1, (NUM_JOINTS, 3))


@HEADS.register("direct")
def build_direct_head(
    in_features: int, config: ModelConfig, backbone: nn.Module | None = None
) -> nn.Module:
    return DirectHead(in_features, config.dropout)
