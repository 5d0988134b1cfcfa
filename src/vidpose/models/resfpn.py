"""``resfpn``: a small residual CNN with a feature-pyramid top-down path, for the integral head.

Images (N, 3, H, W) → a stride-8 map (N, feature_dim, H/8, W/8) that carries both fine detail
(the stride-8 stage) and whole-body context (the stride-16 and stride-32 stages, brought back
up by the top-down path of Lin et al. 2017's FPN); ``forward_head`` averages it to
(N, feature_dim) for the temporal module.

Why it exists: the integral head places joints by a soft-argmax over heatmaps, so its accuracy
is set by a map that is both fine and aware of the whole body. ``tinycnn`` (one strided conv per
stage) gives the head a stride-32 map of 2 × 2 cells at 64 px plus a shallow stride-8 skip; this
backbone has residual blocks (He et al. 2016) at every stage and merges the deep stages back
into the stride-8 map. On the synthetic ``small`` preset at 64 px it cut the integral head's
test MPJPE from 101.5 to 93.5 mm at the same 10 epochs (benchmarks/README.md), at about 2.5×
tinycnn's cost per step on a CPU.

Stages (input side S): a stride-2 conv stem, then residual stages at strides 4, 8, 16 and 32
(``WIDTHS`` channels, ``BLOCKS`` blocks each, the first block of a stage strided). About 2.3 M
parameters at ``feature_dim=128``. Normalisation layers are ``model.norm``'s.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vidpose.models.backbones import MapBackbone, conv_norm
from vidpose.models.registry import BACKBONES
from vidpose.models.settings import ModelConfig


class ResidualBlock(nn.Module):
    """He et al.'s basic block: two 3×3 conv-norms and a shortcut (1×1 conv-norm when the shape
    changes), then ReLU. (N, in_ch, H, W) → (N, out_ch, H/stride, W/stride)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, norm: str) -> None:
        super().__init__()
        self.residual = nn.Sequential(
            conv_norm(in_ch, out_ch, stride=stride, norm=norm),
            conv_norm(out_ch, out_ch, norm=norm, relu=False),
        )
        self.shortcut = (
            nn.Identity()
            if in_ch == out_ch and stride == 1
            else conv_norm(in_ch, out_ch, kernel=1, stride=stride, norm=norm, relu=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.residual(x) + self.shortcut(x), inplace=True)


class ResFPN(MapBackbone):
    """See the module docstring. (N, 3, H, W) → (N, feature_dim); H, W >= 32."""

    #: Channels of the stem (stride 2) and of the stages at strides 4, 8, 16, 32.
    WIDTHS = (24, 48, 96, 160, 224)
    #: Residual blocks of those stages (the stem is one conv).
    BLOCKS = (1, 2, 2, 1)

    def __init__(self, feature_dim: int = 128, norm: str = "batch") -> None:
        super().__init__()
        stem_width, *stage_widths = self.WIDTHS
        self.stem = conv_norm(3, stem_width, stride=2, norm=norm)
        stages, in_ch = [], stem_width
        for width, blocks in zip(stage_widths, self.BLOCKS, strict=True):
            layers = [ResidualBlock(in_ch, width, 2, norm)]
            layers += [ResidualBlock(width, width, 1, norm) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*layers))
            in_ch = width
        self.stages = nn.ModuleList(stages)  # strides 4, 8, 16, 32
        self.top = conv_norm(stage_widths[3], feature_dim, kernel=1, norm=norm)
        self.lateral16 = conv_norm(stage_widths[2], feature_dim, kernel=1, norm=norm)
        self.lateral8 = conv_norm(stage_widths[1], feature_dim, kernel=1, norm=norm)
        self.merge16 = conv_norm(feature_dim, feature_dim, norm=norm)
        self.merge8 = conv_norm(feature_dim, feature_dim, norm=norm)
        self.num_features = feature_dim
        #: The residual stages' outputs, for ``forward_intermediates`` (the stem is not listed).
        self.feature_info = [
            {"num_chs": width, "reduction": 2 ** (index + 2), "module": f"stages.{index}"}
            for index, width in enumerate(stage_widths)
        ]

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) → (N, feature_dim, ⌈H/8⌉, ⌈W/8⌉)."""
        return self.forward_intermediates(images, [])[0]

    def forward_intermediates(
        self, images: torch.Tensor, indices: list[int]
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(``forward_features``, the outputs of residual stages ``indices``: 0 is stride 4,
        3 stride 32), like timm's, in one pass."""
        x = self.stem(images)
        maps = []
        for stage in self.stages:
            x = stage(x)
            maps.append(x)
        return self._top_down(maps), [maps[index] for index in indices]

    def _top_down(self, maps: list[torch.Tensor]) -> torch.Tensor:
        _, stride8, stride16, stride32 = maps
        x = self.top(stride32)
        # Nearest upsampling to the finer map's exact size (odd sides round up when strided).
        x = F.interpolate(x, size=stride16.shape[-2:], mode="nearest")
        x = self.merge16(x + self.lateral16(stride16))
        x = F.interpolate(x, size=stride8.shape[-2:], mode="nearest")
        return self.merge8(x + self.lateral8(stride8))


@BACKBONES.register("resfpn")
def build_resfpn(config: ModelConfig) -> nn.Module:
    return ResFPN(config.feature_dim, config.norm)
