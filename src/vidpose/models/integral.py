"""The integral (soft-argmax) 2.5D head, ``model.head: integral`` (Sun et al. 2018).

Per frame, from the backbone's last spatial map (B·T, C, h, w):

1. a 1×1 conv to ``head_channels``, then bilinear ×2 upsampling + 3×3 conv stages until a cell
   is ``heatmap_stride`` input pixels; where the map reaches stride 8 the backbone's map of
   that stride is added through a 1×1 conv (a skip: a stride-32 map of a small input is 2×2
   or 4×4, too coarse to place joints). GroupNorm throughout: the head trains from scratch and
   must not depend on the batch;
2. FiLM from the temporal module: its per-frame features give a per-channel (1 + γ, β) on the
   head's map, so the clip context shapes both heatmaps and depths; ``temporal: none`` passes
   the frame's own pooled features instead;
3. 17 heatmaps → softmax over space → expected (u, v) in model-input pixels (differentiable
   integral regression), and 17 depth maps whose heatmap-weighted mean is each joint's depth
   relative to the root (or, with ``model.relative_depth: parent``, to its parent joint,
   summed down the kinematic tree; with ``both``, 17 maps of each kind, fused by least
   squares), metres, plus a per-frame temporal depth bias;
4. lift to metric 3D in the camera frame (``vidpose.models.crop_geometry``):
   Z_root = size prior · exp(learned scalar + per-frame temporal correction),
   Z_j = Z_root + d_j - d_root, (X, Y) = normalised camera coordinates · Z, minus the root.

The layers fed by temporal features start at zero, so at initialisation the head is the plain
per-frame integral regressor with the size-prior root depth. The head owns its training terms
(:meth:`IntegralHead.losses`: 2D, heatmap and depth-map; vidpose.models.integral_losses).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidpose.models.backbones import SpatialFeatureInfo, spatial_feature_info
from vidpose.models.crop_geometry import (
    Geometry,
    default_geometry,
    heatmap_coordinates,
    lift_to_camera,
    prior_root_depth,
)
from vidpose.models.integral_losses import depth_map_loss, heatmap_loss, loss_2d
from vidpose.models.norms import group_count
from vidpose.models.registry import HEADS
from vidpose.models.settings import ModelConfig
from vidpose.pose.skeleton import ANCESTORS, NUM_JOINTS, PARENTS, ROOT


def bone_fusion_matrices() -> tuple[torch.Tensor, torch.Tensor]:
    """(R, B), each (17, 17): the joint depths z that best agree, in least squares, with
    root-relative depths r and per-bone depths b (b_j = z_j - z_parent(j); the root's b is
    unused) are z = R r + B b.

    z minimises |z - r|² + |D z - b|², D the (17, 17) bone-difference matrix (row j: +1 at j,
    -1 at j's parent; the root's row 0), so z = (I + DᵀD)⁻¹ (r + Dᵀ b). Where r and b agree
    (b = D r, r_root = 0) this is r itself; where they disagree, each joint's depth is pulled
    towards both its own estimate and its neighbours' estimates plus the bones between them.
    """
    bones = torch.eye(NUM_JOINTS, dtype=torch.float64)
    for joint, parent in enumerate(PARENTS):
        if parent < 0:
            bones[joint, joint] = 0.0
        else:
            bones[joint, int(parent)] = -1.0
    solve = torch.linalg.inv(torch.eye(NUM_JOINTS, dtype=torch.float64) + bones.T @ bones)
    return solve.float(), (solve @ bones.T).float()


def _checked_geometry(geometry, height: int, width: int, device) -> Geometry:
    """The crops' geometry on ``device`` (the default crop's when None); a geometry made for
    another input size is refused."""
    if geometry is None:
        return default_geometry(width, device)
    if int(geometry.input_size) != width or height != width:
        raise ValueError(
            f"geometry input_size {geometry.input_size} does not match the "
            f"{height}x{width} model input (it must be square, side input_size)"
        )
    return geometry.to(device, torch.float32)


def _conv_gn_relu(in_ch: int, out_ch: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=False),
        nn.GroupNorm(group_count(out_ch), out_ch),
        nn.ReLU(inplace=True),
    )


def _zero_linear(in_features: int, out_features: int) -> nn.Linear:
    layer = nn.Linear(in_features, out_features)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class IntegralHead(nn.Module):
    """Feature maps (B·T, C, h, w) + temporal features (B, T, F) + geometry → 2.5D → 3D.

    ``features`` describes the backbone's maps; the head has log2(reduction / heatmap_stride)
    upsampling stages (at least 0). ``relative_depth``: ``root``, ``parent`` or ``both`` (what
    each depth map measures; module docstring, step 3).
    """

    #: PoseModel feeds this head the spatial map as well as the temporal features.
    spatial = True

    def __init__(
        self,
        features: SpatialFeatureInfo,
        temporal_features: int,
        width: int = 64,
        heatmap_stride: int = 4,
        dropout: float = 0.0,
        relative_depth: str = "root",
        loss_weights: dict[str, float] | None = None,
    ) -> None:
        super().__init__()
        #: ``loss_2d_weight``, ``heatmap_weight``, ``depth_map_weight`` and ``heatmap_sigma`` of
        #: :meth:`losses` (``ModelConfig.loss_weights``; absent weights are 0, the width 1).
        self.loss_weights = dict(loss_weights or {})
        #: Depth maps per joint: a root-relative and a per-bone one with ``relative_depth:
        #: both``, else one.
        self.depth_sets = 2 if relative_depth == "both" else 1
        maps = NUM_JOINTS * self.depth_sets
        stages = max(0, round(math.log2(max(features.reduction, 1) / heatmap_stride)))
        self.reduce = _conv_gn_relu(features.channels, width, 1)
        self.upsample = nn.ModuleList(_conv_gn_relu(width, width, 3) for _ in range(stages))
        #: Upsampling stages run before the skip is added (None: no skip).
        self.skip_index, self.skip_after, self.skip = None, None, None
        skip_after = round(math.log2(features.reduction / features.skip_reduction))
        if features.skip_index is not None and 0 < skip_after <= stages:
            self.skip_index, self.skip_after = features.skip_index, skip_after
            self.skip = _conv_gn_relu(features.skip_channels, width, 1)
        self.dropout = nn.Dropout(dropout)
        self.film = _zero_linear(temporal_features, 2 * width)
        self.depth_bias = _zero_linear(temporal_features, maps)
        self.root_correction = _zero_linear(temporal_features, 1)
        #: log of the learned factor on the size prior's root depth.
        self.log_root_scale = nn.Parameter(torch.zeros(()))
        self.heatmaps = nn.Conv2d(width, NUM_JOINTS, 1)
        # Zero init: depth 0 everywhere to start with.
        self.depths = nn.Conv2d(width, maps, 1)
        nn.init.zeros_(self.depths.weight)
        nn.init.zeros_(self.depths.bias)
        #: ``skeleton.ANCESTORS`` with ``relative_depth: parent`` (sums the per-bone depths down
        #: the tree), else None. Derived from the config, so not saved.
        chain = torch.tensor(ANCESTORS) if relative_depth == "parent" else None
        self.register_buffer("chain", chain, persistent=False)
        #: ``bone_fusion_matrices()`` with ``relative_depth: both``, else None: not saved.
        fusion = bone_fusion_matrices() if relative_depth == "both" else (None, None)
        self.register_buffer("fuse_root", fusion[0], persistent=False)
        self.register_buffer("fuse_bone", fusion[1], persistent=False)
        #: Each joint's parent (the root its own), to index the depth-map targets: not saved.
        self.register_buffer("parents", torch.tensor(PARENTS).clamp_min(0), persistent=False)

    def _decode(self, feature_map, skip, context) -> torch.Tensor:
        """The backbone's map (B·T, C, h, w) → (B·T, width, h', w'): reduced, upsampled to the
        heatmap stride (adding the skip where its stride is reached), modulated by the
        temporal ``context`` (B·T, F) (FiLM)."""
        x = self.reduce(feature_map)
        for index, stage in enumerate(self.upsample):
            if index + 1 == self.skip_after:  # this stage reaches the skip's stride (and size)
                size = skip.shape[-2:]
                x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
                x = stage(x) + self.skip(skip)
            else:
                x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
                x = stage(x)
        gamma, beta = self.film(context)[..., None, None].chunk(2, dim=1)
        return x * (1 + gamma) + beta

    def _joint_depths(self, depth: torch.Tensor) -> torch.Tensor:
        """The depth maps' readings (B, T, 17·S) → each joint's depth (B, T, 17): summed down
        the tree (``parent``), fused (``both``) or as read (``root``)."""
        # Sums of products rather than matmuls, which bf16 autocast would round.
        if self.chain is not None:
            return (depth[..., None, :] * self.chain).sum(dim=-1)
        if self.fuse_root is not None:
            root_relative, per_bone = depth[..., None, :NUM_JOINTS], depth[..., None, NUM_JOINTS:]
            return (root_relative * self.fuse_root).sum(-1) + (per_bone * self.fuse_bone).sum(-1)
        return depth

    def forward(
        self,
        feature_map: torch.Tensor,
        skip: torch.Tensor | None,
        temporal: torch.Tensor,
        geometry: Geometry | None,
        input_hw: tuple[int, int],
    ) -> dict[str, torch.Tensor]:
        """``skip``: the backbone's map ``forward_intermediates(x, [self.skip_index])`` (or
        None when ``skip_index`` is None). Returns a dict of (B, T, ...) tensors:

        - ``poses3d`` (B, T, 17, 3): metres, camera frame, root-relative (root exactly 0);
        - ``poses2d_input_px`` (B, T, 17, 2): soft-argmax joint positions, model-input pixels;
        - ``heatmaps`` (B, T, 17, h', w'): the spatial softmax (each sums to 1), and
          ``log_heatmaps``, its logarithm (for the heatmap loss);
        - ``depth_maps`` (B, T, 17·S, h', w'): each joint's depth at every cell (with the
          temporal bias), metres, relative to what :meth:`depth_map_targets` says (for the
          depth-map loss); S = 2 sets (root-relative, then per-bone) with ``relative_depth:
          both``, else 1;
        - ``depth_rel`` (B, T, 17): Z_j - Z_root, metres;
        - ``root_depth`` (B, T): the estimated Z_root, metres;
        - ``root`` (B, T, 3): the lifted root (pelvis) in camera coordinates, metres.
        """
        batch, length = temporal.shape[:2]
        height, width = input_hw
        geometry = _checked_geometry(geometry, height, width, feature_map.device)
        context = self.dropout(temporal.flatten(0, 1))  # (B·T, F)
        x = self._decode(feature_map, skip, context)

        # Coordinates and the lift in float32 even under bf16 autocast: bf16 has a quarter-pixel
        # step at 64 px and would quantise the soft-argmax.
        logits = self.heatmaps(x).float()  # (B·T, 17, h', w')
        cells_y, cells_x = logits.shape[-2:]
        # log_softmax, not log(softmax): the heatmap loss needs finite log-probabilities (and
        # their gradients) even where the softmax underflows to 0.
        log_heatmaps = logits.flatten(2).log_softmax(dim=-1).view_as(logits)
        heatmaps = log_heatmaps.exp()
        xs = heatmap_coordinates(cells_x, width, logits.device, logits.dtype)
        ys = heatmap_coordinates(cells_y, height, logits.device, logits.dtype)
        u = (heatmaps.sum(dim=2) * xs).sum(dim=-1)  # marginal over rows, then E[x]
        v = (heatmaps.sum(dim=3) * ys).sum(dim=-1)
        bias = self.depth_bias(context).float()
        depth_maps = self.depths(x).float() + bias[..., None, None]
        # Each joint's heatmap reads every set's map of that joint: (N, S·17).
        sets = depth_maps.unflatten(1, (self.depth_sets, NUM_JOINTS))
        depth = (heatmaps.unsqueeze(1) * sets).flatten(3).sum(dim=-1).flatten(1)

        def clips(t: torch.Tensor) -> torch.Tensor:
            return t.unflatten(0, (batch, length))

        uv = clips(torch.stack([u, v], dim=-1))  # (B, T, 17, 2)
        depth = self._joint_depths(clips(depth))
        depth_rel = depth - depth[..., ROOT : ROOT + 1]
        correction = clips(self.root_correction(context)[:, 0].float())
        root_depth = prior_root_depth(geometry) * torch.exp(self.log_root_scale + correction)
        points = lift_to_camera(uv, root_depth[..., None] + depth_rel, geometry)
        root = points[..., ROOT, :]
        return {
            "poses3d": points - root[..., None, :],
            "poses2d_input_px": uv,
            "heatmaps": clips(heatmaps),
            "log_heatmaps": clips(log_heatmaps),
            "depth_maps": clips(depth_maps),
            "depth_rel": depth_rel,
            "root_depth": root_depth,
            "root": root,
        }

    def depth_map_targets(self, poses3d: torch.Tensor) -> torch.Tensor:
        """What each depth map should read at its joint, (B, T, 17·S) metres, from true
        root-relative poses (B, T, 17, 3): Z_j - Z_parent with ``relative_depth: parent``,
        Z_j - Z_root with ``root``, both (root-relative first) with ``both``. The root's own
        map cancels out of the pose, so its target is 0."""
        depth = poses3d[..., 2]
        root_relative = depth - depth[..., ROOT : ROOT + 1]
        per_bone = depth - depth[..., self.parents]
        if self.fuse_root is not None:
            return torch.cat([root_relative, per_bone], dim=-1)
        return per_bone if self.chain is not None else root_relative

    def losses(
        self,
        outputs: dict[str, torch.Tensor],
        poses3d: torch.Tensor,
        poses2d: torch.Tensor,
        input_size: int,
    ) -> dict[str, torch.Tensor]:
        """The head's weighted training terms (weights from ``loss_weights``), in the order
        they are added to the loss (those of weight 0 left out): ``loss_2d`` (soft-argmax L1,
        input sides), ``heatmap`` (KL to a Gaussian ``heatmap_sigma`` cells wide at the true
        joint, nats) and ``depth_map`` (L1 of the depth maps under that Gaussian, metres).
        ``outputs``: :meth:`forward`'s dict; ``poses3d`` (B, T, 17, 3) true root-relative
        poses, metres; ``poses2d`` (B, T, 17, 2) true joints in model-input pixels;
        ``input_size`` the input side."""
        weights = self.loss_weights
        loss_2d_weight = weights.get("loss_2d_weight", 0.0)
        heatmap_weight = weights.get("heatmap_weight", 0.0)
        depth_map_weight = weights.get("depth_map_weight", 0.0)
        heatmap_sigma = weights.get("heatmap_sigma", 1.0)
        terms = {}
        if loss_2d_weight > 0:
            term = loss_2d(outputs["poses2d_input_px"], poses2d, input_size)
            terms["loss_2d"] = loss_2d_weight * term
        if heatmap_weight > 0:
            term = heatmap_loss(outputs["log_heatmaps"], poses2d, input_size, heatmap_sigma)
            terms["heatmap"] = heatmap_weight * term
        if depth_map_weight > 0:
            targets = self.depth_map_targets(poses3d)
            term = depth_map_loss(
                outputs["depth_maps"], targets, poses2d, input_size, heatmap_sigma
            )
            terms["depth_map"] = depth_map_weight * term
        return terms


@HEADS.register("integral")
def build_integral_head(in_features: int, config: ModelConfig, backbone: nn.Module) -> nn.Module:
    return IntegralHead(
        spatial_feature_info(backbone),
        in_features,
        width=config.head_channels,
        heatmap_stride=config.heatmap_stride,
        dropout=config.dropout,
        relative_depth=config.relative_depth,
        loss_weights=config.loss_weights,
    )
