"""Per-frame backbones: images (N, 3, H, W) → features (N, num_features).

Built-in CNNs (``tinycnn``, ``seedcnn`` here, ``resfpn`` in its module) plus any timm model by
name. Every backbone follows
timm's interface: ``num_features``, ``forward_features`` (the last spatial map (N, C, h, w)),
``forward_head`` (that map → pooled features (N, num_features)), so ``forward`` is
``forward_head(forward_features(x))``, and ``feature_info`` / ``forward_intermediates`` for the
maps of earlier stages; :func:`spatial_feature_info` describes what the integral head reads.
Pretrained weights (``model.pretrained``) come from vidpose.models.pretrained.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import torch
from torch import nn

from vidpose.infra.errors import UserError
from vidpose.models.norms import convert_batch_norms, make_norm
from vidpose.models.pretrained import create_timm_backbone, load_backbone_weights
from vidpose.models.registry import BACKBONES
from vidpose.models.settings import ModelConfig


def conv_norm(
    in_ch: int, out_ch: int, *, kernel: int = 3, stride: int = 1, norm: str, relu: bool = True
) -> nn.Sequential:
    """The built-in CNNs' unit: a bias-free conv ('same' padding), a ``model.norm`` layer and,
    unless ``relu`` is False, a ReLU. (N, in_ch, H, W) → (N, out_ch, ⌈H/stride⌉, ⌈W/stride⌉)."""
    layers = [
        nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False),
        make_norm(norm, out_ch),
    ]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


class MapBackbone(nn.Module):
    """The built-ins' timm-like protocol: ``forward`` = ``forward_head(forward_features(x))``;
    the head is a global average of the map unless a subclass says otherwise."""

    def forward_head(self, feature_map: torch.Tensor) -> torch.Tensor:
        return feature_map.mean(dim=(2, 3))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(images))


class TinyCNN(MapBackbone):
    """A small CNN for CPU training at 64–112 px: five strided conv-norm-ReLU stages (each halves
    the resolution), a 1×1 conv to ``feature_dim`` and a global average pool.

    About 0.5 M parameters at ``feature_dim=256``; (N, 3, H, W) → (N, feature_dim). The spatial
    map is the projected one: (N, feature_dim, H/32, W/32).
    """

    widths = (24, 48, 96, 128, 192)

    def __init__(self, feature_dim: int = 256, norm: str = "batch") -> None:
        super().__init__()
        stages, in_ch = [], 3
        for width in self.widths:
            stages.append(conv_norm(in_ch, width, stride=2, norm=norm))
            in_ch = width
        self.stages = nn.Sequential(*stages)
        self.project = conv_norm(in_ch, feature_dim, kernel=1, norm=norm)
        self.num_features = feature_dim
        self.feature_info = [
            {"num_chs": width, "reduction": 2 ** (index + 1), "module": f"stages.{index}"}
            for index, width in enumerate(self.widths)
        ]

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.project(self.stages(images))

    def forward_intermediates(
        self, images: torch.Tensor, indices: list[int]
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(``forward_features``, the outputs of stages ``indices``), like timm's."""
        return _run_with_intermediates(self.stages, images, indices, self.project)


class SeedCNN(MapBackbone):
    """The course report's "CNN per frame". The report gives no layers, so this is a plain conv
    stack in the spirit of a 2019 Keras course project: four blocks of 3×3 conv + ReLU + 2×2
    max-pool (32, 64, 128, 128 channels), no normalisation layers, then the map is
    average-pooled to a 4×4 grid, flattened and passed through a dense layer with ReLU.

    About 0.8 M parameters at ``feature_dim=256``; (N, 3, H, W) → (N, feature_dim), H, W >= 16.
    The spatial map is the last block's: (N, 128, H/16, W/16). ``model.norm`` does not apply.
    """

    widths = (32, 64, 128, 128)

    def __init__(self, feature_dim: int = 256) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_ch = 3
        for width in self.widths:
            layers += [
                nn.Conv2d(in_ch, width, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            in_ch = width
        self.features = nn.Sequential(*layers)
        # A fixed grid keeps the dense layer independent of the input size, and unlike a global
        # pool keeps where things are in the frame.
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.dense = nn.Sequential(nn.Linear(in_ch * 16, feature_dim), nn.ReLU(inplace=True))
        self.num_features = feature_dim
        self.feature_info = [
            {"num_chs": width, "reduction": 2 ** (index + 1), "module": f"features.{3 * index + 2}"}
            for index, width in enumerate(self.widths)
        ]

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images)

    def forward_intermediates(
        self, images: torch.Tensor, indices: list[int]
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(``forward_features``, the outputs of blocks ``indices``), like timm's."""
        # A block is conv, ReLU, max-pool: three layers of the flat Sequential (whose keys
        # checkpoints hold, so it stays flat).
        blocks = [self.features[i : i + 3] for i in range(0, len(self.features), 3)]
        return _run_with_intermediates(blocks, images, indices, nn.Identity())

    def forward_head(self, feature_map: torch.Tensor) -> torch.Tensor:
        return self.dense(self.pool(feature_map).flatten(1))


def _run_with_intermediates(
    stages, x: torch.Tensor, indices: list[int], last: nn.Module
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    intermediates = []
    for index, stage in enumerate(stages):
        x = stage(x)
        if index in indices:
            intermediates.append(x)
    return last(x), intermediates


@BACKBONES.register("tinycnn")
def build_tinycnn(config: ModelConfig) -> nn.Module:
    return TinyCNN(config.feature_dim, config.norm)


@BACKBONES.register("seedcnn")
def build_seedcnn(config: ModelConfig) -> nn.Module:
    return SeedCNN(config.feature_dim)


def check_backbone_name(name: str, key: str = "model.backbone") -> None:
    """Raise ``UserError`` unless ``name`` is a built-in backbone or a timm model name."""
    if name in BACKBONES:
        return
    import timm

    if timm.is_model(name):
        return
    choices = BACKBONES.names() + timm.list_models()
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.6)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    raise UserError(
        f"{key}: {name!r} is neither a built-in backbone "
        f"({', '.join(BACKBONES.names())}) nor a timm model name{hint}"
    )


def build_backbone(config: ModelConfig, load_pretrained: bool = True) -> nn.Module:
    """The backbone named by ``config.backbone``, with ``config.pretrained`` weights (timm's own
    for ``imagenet``/``true``, or a local file) when ``load_pretrained``.

    timm models are created with ``num_classes=0`` (pooled features) and their BatchNorm layers
    converted to ``config.norm`` *after* the weights are loaded (so a BatchNorm weights file
    fits; ``frozen_batch`` keeps its statistics). ``config.feature_dim`` applies to the
    built-in CNNs only. timm models tied to one input size (e.g. ViTs) need clips of that size.
    """
    check_backbone_name(config.backbone)
    from_hub = load_pretrained and config.pretrained_from_hub
    if config.backbone in BACKBONES:
        if from_hub:
            raise UserError(
                f"model.pretrained: {config.pretrained!r}, but the built-in backbone "
                f"{config.backbone!r} has no pretrained weights (use a timm model name, or "
                "give the path of a weights file)"
            )
        backbone = BACKBONES.get(config.backbone)(config)
    else:
        backbone = create_timm_backbone(config.backbone, pretrained=from_hub)
    if load_pretrained and isinstance(config.pretrained, str) and not from_hub:
        load_backbone_weights(backbone, config.pretrained)
    if config.backbone not in BACKBONES:
        convert_batch_norms(backbone, config.norm)
    return backbone


#: Stride (input pixels per cell) of the earlier map the integral head adds as a skip.
SKIP_REDUCTION = 8


@dataclass(frozen=True)
class SpatialFeatureInfo:
    """What ``forward_features`` gives the integral head: ``channels`` × (H/``reduction``,
    W/``reduction``), plus, when the backbone has one, the map of stride ``SKIP_REDUCTION``:
    ``forward_intermediates(x, [skip_index])``, ``skip_channels`` channels (else None, 0)."""

    channels: int
    reduction: int
    skip_index: int | None = None
    skip_channels: int = 0
    skip_reduction: int = SKIP_REDUCTION


@torch.no_grad()
def spatial_feature_info(
    backbone: nn.Module, key: str = "model.backbone", skip_reduction: int = SKIP_REDUCTION
) -> SpatialFeatureInfo:
    """Channels and strides of the backbone's maps, measured on one 128-pixel image (timm's
    ``feature_info`` can miss a final conv), with the intermediate map of stride
    ``skip_reduction`` as the skip when the backbone has one finer than its last map. A
    backbone without a spatial map (e.g. a ViT's tokens) is a ``UserError`` naming ``key``."""
    side = 128
    skip_index = None
    if hasattr(backbone, "forward_intermediates"):
        reductions = [info["reduction"] for info in getattr(backbone, "feature_info", [])]
        if skip_reduction in reductions[:-1]:
            skip_index = reductions.index(skip_reduction)
    was_training = backbone.training
    backbone.eval()  # no running-statistics update from the probe
    try:
        probe = next(backbone.parameters()).new_zeros(1, 3, side, side)
        if skip_index is None:
            feature_map, skip = backbone.forward_features(probe), None
        else:
            feature_map, (skip,) = backbone.forward_intermediates(probe, indices=[skip_index])
    finally:
        backbone.train(was_training)
    if feature_map.ndim != 4 or (skip is not None and skip.ndim != 4):
        raise UserError(
            f"{key}: the integral head needs a spatial feature map (N, C, h, w), but this "
            f"backbone's forward_features gives shape {tuple(feature_map.shape)}"
        )
    reduction = max(1, side // int(feature_map.shape[-1]))
    if skip is None or reduction <= skip_reduction:
        return SpatialFeatureInfo(int(feature_map.shape[1]), reduction)
    return SpatialFeatureInfo(
        int(feature_map.shape[1]), reduction, skip_index, skip.shape[1], skip_reduction
    )


def spatial_features(
    backbone: nn.Module, images: torch.Tensor, skip_index: int | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(``forward_features(images)``, the stride-8 map or None) in one backbone pass."""
    if skip_index is None:
        return backbone.forward_features(images), None
    feature_map, (skip,) = backbone.forward_intermediates(images, indices=[skip_index])
    return feature_map, skip
