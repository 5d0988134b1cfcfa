"""``model.lifter: tcn``: VideoPose3D's dilated temporal convolutions (Pavllo et al. 2019).

A first convolution of width 3 over the flattened 2D pose, then one residual block per further
factor of 3 in the receptive field R (27 = 3·3·3: two blocks; 81: three; 243: four). Block i
is a width-3 convolution with dilation 3^i, then a 1×1 convolution, each followed by
BatchNorm, ReLU and dropout, and a residual connection from the block's input frames that
line up with its output. A 1×1 convolution maps to 17×3 per frame.

Two ways to run the same weights (the reason the net is built so):

- dilated (any input length T ≥ R): every layer is a dilated "valid" convolution, giving the
  T − R + 1 output frames of a whole sequence in one pass (evaluation);
- strided (input length exactly R, one output frame): each convolution's stride equals its
  width instead of dilating, so a training sample computes only the R/3 + R/9 + ... positions
  its single output needs (VideoPose3D's "optimised" training model: ~3x less work at R=27).

Both give the same output up to floating-point rounding (tested). ``causal`` aligns each
output with the last frame of its input instead of the centre: the residual connections take
the last frames of each block's input, and the output frame t depends on t−R+1 … t only.
"""

from __future__ import annotations

import torch
from torch import nn

from vidpose.infra.errors import UserError
from vidpose.models.registry import LIFTERS
from vidpose.models.settings import LifterConfig
from vidpose.pose.skeleton import NUM_JOINTS

WIDTH = 3  # every filter is 3 frames wide; the receptive field is a power of 3


def filter_widths(receptive_field: int) -> list[int]:
    """[3, 3, ...] whose product is ``receptive_field`` (27 → [3, 3, 3]); UserError unless it
    is a power of 3 of at least 3."""
    widths, rest = [], receptive_field
    while rest > 1 and rest % WIDTH == 0:
        widths.append(WIDTH)
        rest //= WIDTH
    if rest != 1 or not widths:
        raise UserError(
            f"model.receptive_field: the tcn needs a power of 3 (3, 9, 27, 81, 243), "
            f"got {receptive_field!r}"
        )
    return widths


class TemporalConvNet(nn.Module):
    """(N, T, 17, C) → (N, T − R + 1, 17, 3) in normalised target units (see module doc)."""

    def __init__(
        self,
        input_channels: int,
        receptive_field: int = 27,
        channels: int = 1024,
        dropout: float = 0.25,
        causal: bool = False,
    ) -> None:
        super().__init__()
        self.widths = filter_widths(receptive_field)
        self.receptive_field = receptive_field
        self.causal = causal
        half = (receptive_field - 1) // 2
        self.context = (receptive_field - 1, 0) if causal else (half, half)
        self.expand = nn.Conv1d(NUM_JOINTS * input_channels, channels, WIDTH, bias=False)
        self.expand_norm = nn.BatchNorm1d(channels)
        self.temporal = nn.ModuleList()
        self.pointwise = nn.ModuleList()
        self.temporal_norms = nn.ModuleList()
        self.pointwise_norms = nn.ModuleList()
        for _ in self.widths[1:]:
            self.temporal.append(nn.Conv1d(channels, channels, WIDTH, bias=False))
            self.pointwise.append(nn.Conv1d(channels, channels, 1, bias=False))
            self.temporal_norms.append(nn.BatchNorm1d(channels))
            self.pointwise_norms.append(nn.BatchNorm1d(channels))
        self.drop = nn.Dropout(dropout)
        self.relu = nn.ReLU(inplace=True)
        self.shrink = nn.Conv1d(channels, NUM_JOINTS * 3, 1)

    def _layer(self, conv, norm, x, step: int, strided: bool) -> torch.Tensor:
        """A width-3 convolution whose taps are ``step`` frames apart: dilated by ``step``, or
        (strided, where its input holds only the frames this output needs) with stride 3."""
        if strided:
            y = nn.functional.conv1d(x, conv.weight, stride=WIDTH)
        else:
            y = nn.functional.conv1d(x, conv.weight, dilation=step)
        return self.drop(self.relu(norm(y)))

    def forward(self, keypoints: torch.Tensor) -> torch.Tensor:
        batch, length = keypoints.shape[:2]
        # One output frame: only the positions it needs are computed (same result).
        strided = length == self.receptive_field
        x = keypoints.flatten(2).transpose(1, 2)  # (N, 17·C, T)
        x = self._layer(self.expand, self.expand_norm, x, 1, strided)
        step = WIDTH
        for i in range(len(self.widths) - 1):
            span = (WIDTH - 1) * step  # input frames a dilated output spans, minus one
            if strided:
                # Each output uses one group of 3 input positions; the residual is the
                # group's middle one (its last one when causal).
                start = WIDTH - 1 if self.causal else WIDTH // 2
                residual = x[:, :, start::WIDTH]
            else:
                start = span if self.causal else span // 2
                residual = x[:, :, start : x.shape[2] - span + start]
            y = self._layer(self.temporal[i], self.temporal_norms[i], x, step, strided)
            y = self._layer(self.pointwise[i], self.pointwise_norms[i], y, 1, False)
            x = residual + y
            step *= WIDTH
        out = self.shrink(x)  # (N, 17·3, K)
        return out.transpose(1, 2).reshape(batch, -1, NUM_JOINTS, 3)


@LIFTERS.register("tcn")
def build_tcn(config: LifterConfig, input_channels: int) -> nn.Module:
    return TemporalConvNet(
        input_channels,
        receptive_field=config.receptive_field,
        channels=config.hidden_size,
        dropout=config.dropout,
        causal=config.causal,
    )
