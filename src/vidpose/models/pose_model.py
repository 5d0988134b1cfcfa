"""``PoseModel``: clips (B, T, 3, H, W) → root-relative 3D poses (B, T, 17, 3) in metres."""

from __future__ import annotations

import torch
from torch import nn

from vidpose.models.backbones import spatial_features
from vidpose.models.crop_geometry import Geometry
from vidpose.models.targets import PoseOutput


class PoseModel(PoseOutput):
    """Per-frame backbone → temporal module → head.

    ``forward_normalized`` returns poses in normalised target units and ``forward`` in metres,
    related by the buffers ``target_mean`` and ``target_std`` (17, 3), which default to 0 and 1
    and are set from the training store by the trainer (``set_target_stats``). They are
    buffers, so they travel with the state_dict. The ``direct`` head regresses normalised units
    (``forward`` = ``forward_normalized · std + mean``); the ``integral`` head lifts to metres
    and ``forward_normalized`` = ``(forward - mean) / std``, so normalised losses work for both.

    Targets are root-relative, so the pelvis is 0 in every ground-truth frame; ``forward``
    outputs it as exactly 0 (not merely close to it), so a metric never credits or blames the
    network for a joint it need not predict.
    """

    def __init__(self, backbone: nn.Module, temporal: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.temporal = temporal
        self.head = head

    def forward_with_aux(
        self, frames: torch.Tensor, geometry: Geometry | None = None
    ) -> dict[str, torch.Tensor]:
        """frames (B, T, 3, H, W), normalised by ``normalize_frames``; ``geometry`` optional
        (a ``vidpose.models.crop_geometry.Geometry``: ``crop`` (B, T, 3), ``intrinsics``
        (B, 4), ``input_size`` S; used by the integral head, ignored by ``direct``; None means the
        default camera) → a dict with

        - ``poses3d`` (B, T, 17, 3): metres, root-relative, pelvis exactly 0 (= ``forward``);
        - ``poses3d_normalized`` (B, T, 17, 3): ``(poses3d - target_mean) / target_std``
          (= ``forward_normalized``);
        - integral head only: ``poses2d_input_px`` (B, T, 17, 2) model-input pixels,
          ``heatmaps`` and ``log_heatmaps`` (B, T, 17, h, w), ``depth_rel`` (B, T, 17),
          ``root_depth`` (B, T) and ``root`` (B, T, 3), metres (see ``IntegralHead.forward``).

        The direct head regresses normalised units and is mapped to metres; the integral head
        works in metres (its lift is metric) and is mapped to normalised units.
        """
        if frames.ndim != 5:
            raise ValueError(f"expected frames (B, T, 3, H, W), got shape {tuple(frames.shape)}")
        batch, length = frames.shape[:2]
        images = frames.flatten(0, 1)
        if getattr(self.head, "spatial", False):
            feature_map, skip = spatial_features(self.backbone, images, self.head.skip_index)
            pooled = self.backbone.forward_head(feature_map).unflatten(0, (batch, length))
            outputs = self.head(
                feature_map, skip, self.temporal(pooled), geometry, tuple(frames.shape[-2:])
            )
            poses = outputs["poses3d"] * self.root_mask
            outputs["poses3d_normalized"] = (poses - self.target_mean) / self.target_std
        else:
            features = self.backbone(images).unflatten(0, (batch, length))
            normalized = self.head(self.temporal(features))
            poses = self.to_metres(normalized)
            outputs = {"poses3d_normalized": normalized}
        outputs["poses3d"] = poses
        return outputs

    def forward_normalized(
        self, frames: torch.Tensor, geometry: Geometry | None = None
    ) -> torch.Tensor:
        """frames (B, T, 3, H, W), normalised by ``normalize_frames`` → (B, T, 17, 3),
        normalised target units (``(poses - target_mean) / target_std``)."""
        return self.forward_with_aux(frames, geometry)["poses3d_normalized"]

    def forward(
        self, frames: torch.Tensor, geometry: Geometry | None = None, return_aux: bool = False
    ) -> torch.Tensor | dict[str, torch.Tensor]:
        """frames (B, T, 3, H, W), normalised → poses (B, T, 17, 3), metres, root-relative,
        pelvis exactly 0; with ``return_aux`` the whole ``forward_with_aux`` dict (call it this
        way through DistributedDataParallel, which only wraps ``forward``)."""
        outputs = self.forward_with_aux(frames, geometry)
        return outputs if return_aux else outputs["poses3d"]

    def training_terms(self, outputs: dict[str, torch.Tensor], batch) -> dict[str, torch.Tensor]:
        """The head's own weighted training terms, by name, in the order they are added (see
        ``IntegralHead.losses``; none for a head without any, e.g. ``direct``, or for a batch
        without true 2D joints). ``batch``: the prepared batch (``poses3d``, ``poses2d`` in
        model-input pixels, ``inputs`` (B, T, 3, S, S))."""
        losses = getattr(self.head, "losses", None)
        if losses is None or batch.poses2d is None:
            return {}
        return losses(outputs, batch.poses3d, batch.poses2d, int(batch.inputs.shape[-1]))
