"""The integral head's own loss terms (``IntegralHead.losses``), on its 2D outputs.

- :func:`loss_2d`: L1 on the soft-argmax joints, in units of the input side;
- :func:`heatmap_loss`: KL divergence from a Gaussian at the true joint to each heatmap (one
  sharp peak at the joint);
- :func:`depth_map_loss`: L1 on the depth maps around the true joints.

All take the true 2D joints in model-input pixels (the prepared batch's ``poses2d``).
"""

from __future__ import annotations

import torch

from vidpose.models.crop_geometry import heatmap_coordinates


def loss_2d(pred_px: torch.Tensor, gt_px: torch.Tensor, input_size: int) -> torch.Tensor:
    """L1 between 2D joints (B, T, 17, 2) in model-input pixels, in units of the input side
    (so the term does not depend on the image size)."""
    return (pred_px - gt_px).abs().mean() / float(input_size)


def _gaussian_log_weights(
    gt_px: torch.Tensor, height: int, width: int, input_size: int, sigma_cells: float
) -> torch.Tensor:
    """Log of a Gaussian ``sigma_cells`` cells wide at each joint of ``gt_px`` (..., 17, 2,
    model-input pixels), normalised over the h × w cells tiling the input: (..., 17, h, w)."""
    xs = heatmap_coordinates(width, input_size, gt_px.device, gt_px.dtype)
    ys = heatmap_coordinates(height, input_size, gt_px.device, gt_px.dtype)
    sigma_px = sigma_cells * input_size / width
    # Separable: log-weights per column (..., w) and per row (..., h).
    log_x = -0.5 * ((xs - gt_px[..., 0:1]) / sigma_px).square()
    log_y = -0.5 * ((ys - gt_px[..., 1:2]) / sigma_px).square()
    log_weights = log_y[..., :, None] + log_x[..., None, :]
    return log_weights - log_weights.flatten(-2).logsumexp(dim=-1)[..., None, None]


def _inside(gt_px: torch.Tensor, input_size: int) -> torch.Tensor:
    """1.0 where a joint (..., 17, 2) lies inside the input, else 0.0: (..., 17)."""
    return ((gt_px >= -0.5) & (gt_px <= input_size - 0.5)).all(dim=-1).to(gt_px.dtype)


def heatmap_loss(
    log_heatmaps: torch.Tensor, gt_px: torch.Tensor, input_size: int, sigma_cells: float = 1.0
) -> torch.Tensor:
    """KL divergence from a Gaussian at the ground-truth joint to the integral head's heatmap,
    nats, averaged over the joints inside the input (the distribution regularisation of Nibali
    et al. 2018, "Numerical coordinate regression with CNNs").

    ``log_heatmaps`` (B, T, 17, h, w): log of each joint's spatial softmax; ``gt_px``
    (B, T, 17, 2): model-input pixels; the h × w cells tile the ``input_size``-pixel input.
    The target is a Gaussian ``sigma_cells`` cells wide, normalised over the grid. The soft-argmax
    L1 (:func:`loss_2d`) alone accepts any heatmap with the right mean, e.g. two blobs either side
    of the joint; this term asks for one peak at the joint, which is what makes the 2D estimate
    robust and the early training fast. Joints outside the input have no peak to ask for and are
    left out (0 when none is inside).
    """
    height, width = log_heatmaps.shape[-2:]
    log_heatmaps = log_heatmaps.float()
    gt_px = gt_px.to(log_heatmaps)
    log_target = _gaussian_log_weights(gt_px, height, width, input_size, sigma_cells)
    kl = (log_target.exp() * (log_target - log_heatmaps)).sum(dim=(-2, -1))  # (B, T, 17)
    inside = _inside(gt_px, input_size)
    return (kl * inside).sum() / inside.sum().clamp_min(1.0)


def depth_map_loss(
    depth_maps: torch.Tensor,
    targets: torch.Tensor,
    gt_px: torch.Tensor,
    input_size: int,
    sigma_cells: float = 1.0,
) -> torch.Tensor:
    """Mean absolute error of the integral head's depth maps around the true joints, metres:
    each joint's map (B, T, 17·S, h, w: S sets of the 17 joints' maps) against its target depth
    (B, T, 17·S), weighted by a
    Gaussian ``sigma_cells`` cells wide at the true 2D joint ``gt_px`` (B, T, 17, 2,
    model-input pixels) and averaged over the joints inside the input.

    The pose terms reach a depth map only through the predicted heatmap, which is diffuse early
    in training and lands beside the joint when the 2D estimate is off; this term supervises
    the map where the joint really is, whatever the heatmap (the location-map loss of Mehta et
    al. 2017, VNect, in L1).
    """
    height, width = depth_maps.shape[-2:]
    joints = gt_px.shape[-2]
    # (B, T, S, 17, h, w): every set is graded under the same Gaussians, computed once.
    depth_maps = depth_maps.float().unflatten(-3, (-1, joints))
    targets = targets.to(depth_maps).unflatten(-1, (-1, joints))
    gt_px = gt_px.to(depth_maps)
    weights = _gaussian_log_weights(gt_px, height, width, input_size, sigma_cells).exp()
    errors = (depth_maps - targets[..., None, None]).abs()
    per_map = (weights.unsqueeze(-4) * errors).sum(dim=(-2, -1))  # (B, T, S, 17)
    inside = _inside(gt_px, input_size).unsqueeze(-2).expand_as(per_map)
    return (per_map * inside).sum() / inside.sum().clamp_min(1.0)
