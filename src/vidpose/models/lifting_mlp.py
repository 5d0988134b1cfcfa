"""``model.lifter: mlp``: the single-frame baseline of Martinez et al. 2017.

Each frame's 2D pose, flattened, goes through a linear layer to ``hidden_size`` features, then
``temporal_layers`` residual blocks of two (linear, BatchNorm, ReLU, dropout) layers, then a
linear layer to 17×3. Martinez et al. used 1,024 features, two blocks and dropout 0.5 and
reached 45.5 mm P1 with ground-truth 2D; it sees no time, so the gap to the temporal lifters
is what motion adds.
"""

from __future__ import annotations

import torch
from torch import nn

from vidpose.models.registry import LIFTERS
from vidpose.models.settings import LifterConfig
from vidpose.pose.skeleton import NUM_JOINTS


def _dense(features: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(features, features),
        nn.BatchNorm1d(features),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
    )


class FramewiseMLP(nn.Module):
    """(N, T, 17, C) → (N, T, 17, 3) in normalised target units, each frame on its own."""

    context = (0, 0)

    def __init__(
        self, input_channels: int, features: int = 1024, blocks: int = 2, dropout: float = 0.5
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Linear(NUM_JOINTS * input_channels, features),
            nn.BatchNorm1d(features),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
        )
        self.blocks = nn.ModuleList(
            nn.Sequential(_dense(features, dropout), _dense(features, dropout))
            for _ in range(blocks)
        )
        self.out = nn.Linear(features, NUM_JOINTS * 3)

    def forward(self, keypoints: torch.Tensor) -> torch.Tensor:
        batch, length = keypoints.shape[:2]
        x = self.stem(keypoints.reshape(batch * length, -1))
        for block in self.blocks:
            x = x + block(x)
        return self.out(x).reshape(batch, length, NUM_JOINTS, 3)


@LIFTERS.register("mlp")
def build_mlp(config: LifterConfig, input_channels: int) -> nn.Module:
    return FramewiseMLP(
        input_channels,
        features=config.hidden_size,
        blocks=config.temporal_layers,
        dropout=config.dropout,
    )
