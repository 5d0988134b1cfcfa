"""The integral head's 2D→depth lifter, ``model.depth_lifter: WIDTH``.

The integral head reads each joint's depth from the image features under that joint's
heatmap: a local guess. Depth relative to the pelvis is, however, largely fixed by the 2D pose
itself (a limb that looks short points towards or away from the camera; Martinez et al. 2017)
and by how the 2D pose moves over the clip (Pavllo et al. 2019). The lifter reads exactly that:
the clip's soft-argmax 2D poses, centred on the pelvis and in units of the input width, with
the temporal module's per-frame features (which carry the image evidence for the front/back
ambiguity a 2D pose leaves), through 1-D convolutions over time, and outputs a correction to
every joint's depth in metres.

The 2D input is detached: the heatmaps have their own supervision, and letting the depth loss
move the 2D joints would trade 2D accuracy for depth shortcuts. The last layer starts at zero,
so an untrained lifter changes nothing.
"""

from __future__ import annotations

import torch
from torch import nn

from vidpose.skeleton import NUM_JOINTS, ROOT


class DepthLifter(nn.Module):
    """(B, T, 17, 2) 2D poses (model-input pixels) + (B, T, F) features → (B, T, 17) metres.

    Two 1-D convolutions over time (kernel 3, zero padding, so each frame sees
    its neighbours and the length stays T), ReLU, then a zero-initialised 1×1 convolution.
    No normalisation layers: the lifter behaves the same at batch 2 as at batch 128.
    """

    def __init__(self, temporal_features: int, width: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv1d(NUM_JOINTS * 2 + temporal_features, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv1d(width, width, 3, padding=1),
            nn.ReLU(inplace=True),
        )
        self.out = nn.Conv1d(width, NUM_JOINTS, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, uv: torch.Tensor, temporal: torch.Tensor, input_width: int) -> torch.Tensor:
        uv = uv.detach()
        pose = (uv - uv[..., ROOT : ROOT + 1, :]) / float(input_width)
        x = torch.cat([pose.flatten(2), temporal.to(pose.dtype)], dim=-1)  # (B, T, 34 + F)
        x = self.out(self.layers(x.transpose(1, 2)))  # (B, 17, T)
        return x.transpose(1, 2)
