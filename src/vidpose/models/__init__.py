"""Models, built by name: image models (per-frame backbone → temporal module → head) from a
``ModelConfig``, lifters from a ``LifterConfig``.

from vidpose.models import ModelConfig, build_model, normalize_frames
model = build_model(ModelConfig(backbone="tinycnn", temporal="lstm"))
poses = model(normalize_frames(frames_uint8, size=64))  # (B, T, 17, 3), metres
poses = model(frames, geometry)  # the integral head lifts with the crop and camera (geometry.py)
lifter = build_model(LifterConfig(lifter="tcn", receptive_field=27))
poses = lifter(keypoints)  # (B, T, 17, 2) screen-normalised → (B, T - 26, 17, 3), metres
"""

from __future__ import annotations

from typing import Any

from vidpose.models import (  # noqa: F401  (registers the built-ins)
    backbones,
    heads,
    integral,
    lifting_mlp,
    lifting_tcn,
    lifting_transformer,
    resfpn,
    temporal,
)
from vidpose.models.backbones import build_backbone, check_backbone_name
from vidpose.models.frame_input import denormalize_frames, normalize_frames
from vidpose.models.lifter import LiftingModel
from vidpose.models.pose_model import PoseModel
from vidpose.models.pretrained import load_backbone_weights
from vidpose.models.registry import (
    BACKBONES,
    HEADS,
    LIFTERS,
    TEMPORAL_MODULES,
    available_backbones,
    available_heads,
    available_lifters,
    available_temporal_modules,
)
from vidpose.models.settings import LifterConfig, ModelConfig, model_config


def check_names(config: ModelConfig, prefix: str = "model") -> None:
    """``UserError`` naming the key unless the temporal module and head are registered and the
    backbone is a built-in or timm name."""
    TEMPORAL_MODULES.check(config.temporal, f"{prefix}.temporal")
    HEADS.check(config.head, f"{prefix}.head")
    check_backbone_name(config.backbone, f"{prefix}.backbone")


def build_pose_model(config: ModelConfig, load_pretrained: bool = True) -> PoseModel:
    """A freshly initialised image model for a checked ``ModelConfig`` (see build_model)."""
    check_names(config)
    backbone = build_backbone(config, load_pretrained)
    # timm models with a pre-logits stage (e.g. MobileNetV3's conv_head) pool to
    # head_hidden_size features, not num_features.
    pooled = getattr(backbone, "head_hidden_size", None) or backbone.num_features
    temporal_module = TEMPORAL_MODULES.get(config.temporal)(pooled, config)
    head = HEADS.get(config.head)(temporal_module.out_features, config, backbone)
    model = PoseModel(backbone, temporal_module, head)
    model.config = config
    return model


def build_lifter(config: LifterConfig, load_pretrained: bool = True) -> LiftingModel:
    """A freshly initialised lifter for a checked ``LifterConfig`` (``load_pretrained``: unused,
    lifters start from scratch)."""
    LIFTERS.check(config.lifter, "model.lifter")
    channels = 3 if config.input_confidence else 2
    model = LiftingModel(LIFTERS.get(config.lifter)(config, channels), channels)
    model.config = config
    return model


_BUILDERS = {ModelConfig: build_pose_model, LifterConfig: build_lifter}


def build_model(
    config: ModelConfig | LifterConfig | dict[str, Any], load_pretrained: bool = True
) -> PoseModel | LiftingModel:
    """A freshly initialised ``PoseModel`` for a ``ModelConfig``, or ``LiftingModel`` for a
    ``LifterConfig``; a plain dict is checked first (``vidpose.models.settings.model_config``:
    a lifter's names its ``lifter``). A config section is used as it is: the run config
    checked it when it was loaded. Invalid names raise ``UserError`` naming the ``model.*`` key.

    ``load_pretrained=False`` skips reading ``config.pretrained``: use it when the weights come
    from a checkpoint anyway (the backbone's weights file need not exist on that machine).
    """
    if isinstance(config, dict):
        config = model_config(config)
    return _BUILDERS[type(config)](config, load_pretrained)


__all__ = [
    "BACKBONES",
    "HEADS",
    "LIFTERS",
    "TEMPORAL_MODULES",
    "LifterConfig",
    "LiftingModel",
    "ModelConfig",
    "PoseModel",
    "available_backbones",
    "available_heads",
    "available_lifters",
    "available_temporal_modules",
    "build_backbone",
    "build_lifter",
    "build_model",
    "build_pose_model",
    "check_names",
    "denormalize_frames",
    "load_backbone_weights",
    "normalize_frames",
]
