"""``model.lifter: transformer``: a small spatial-temporal transformer (MixSTE / MotionBERT).

Every joint of every frame is a token: its 2D coordinates (and confidence) embedded to
``hidden_size`` features plus a learnt embedding of the joint. Then ``temporal_layers`` pairs
of pre-norm transformer layers alternate between attention across the 17 joints of one frame
(spatial: how the body is posed) and attention across the frames of one joint (temporal: how
that joint moves; a learnt embedding of the frame position is added before the first). A
layer norm and a linear map read each token's 3D coordinates.

It is sequence-to-sequence: ``window`` = ``model.receptive_field`` frames in, the same frames
out (MotionBERT uses 243; the CPU-sized default here is far smaller). Whole sequences are
predicted window by window, the last window padded with the edge frame.
"""

from __future__ import annotations

import torch
from torch import nn

from vidpose.models.registry import LIFTERS
from vidpose.models.settings import LifterConfig
from vidpose.pose.skeleton import NUM_JOINTS


def _layer(features: int, heads: int, dropout: float) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(
        features,
        heads,
        dim_feedforward=2 * features,
        dropout=dropout,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    )


class SpatialTemporalTransformer(nn.Module):
    """(N, T ≤ window, 17, C) → (N, T, 17, 3) in normalised target units."""

    context = (0, 0)

    def __init__(
        self,
        input_channels: int,
        window: int = 27,
        features: int = 64,
        pairs: int = 4,
        heads: int = 4,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.window = window
        self.embed = nn.Linear(input_channels, features)
        self.joint_embedding = nn.Parameter(torch.zeros(NUM_JOINTS, features))
        self.frame_embedding = nn.Parameter(torch.zeros(window, features))
        nn.init.trunc_normal_(self.joint_embedding, std=0.02)
        nn.init.trunc_normal_(self.frame_embedding, std=0.02)
        self.spatial = nn.ModuleList(_layer(features, heads, dropout) for _ in range(pairs))
        self.temporal = nn.ModuleList(_layer(features, heads, dropout) for _ in range(pairs))
        self.norm = nn.LayerNorm(features)
        self.out = nn.Linear(features, 3)

    def forward(self, keypoints: torch.Tensor) -> torch.Tensor:
        batch, length, joints = keypoints.shape[:3]
        if length > self.window:
            raise ValueError(f"{length} frames, but the transformer reads at most {self.window}")
        x = self.embed(keypoints) + self.joint_embedding  # (N, T, J, D)
        features = x.shape[-1]
        for i, (spatial, temporal) in enumerate(zip(self.spatial, self.temporal, strict=True)):
            x = spatial(x.reshape(batch * length, joints, features))
            x = x.reshape(batch, length, joints, features).transpose(1, 2)  # (N, J, T, D)
            if i == 0:
                x = x + self.frame_embedding[:length]
            x = temporal(x.reshape(batch * joints, length, features))
            x = x.reshape(batch, joints, length, features).transpose(1, 2)
        return self.out(self.norm(x))


@LIFTERS.register("transformer")
def build_transformer(config: LifterConfig, input_channels: int) -> nn.Module:
    return SpatialTemporalTransformer(
        input_channels,
        window=config.receptive_field,
        features=config.hidden_size,
        pairs=config.temporal_layers,
        heads=config.transformer_heads,
        dropout=config.dropout,
    )
