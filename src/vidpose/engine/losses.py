"""Training losses: a pose term by name (``train.loss``), velocity and bone terms, 2D terms.

Every pose loss takes ``pred`` and ``gt`` (B, T, 17, 3) and an optional per-coordinate
``scale`` (17, 3) and returns a scalar tensor. The errors ``(pred - gt) / scale`` are in metres
when ``scale`` is None (``train.loss_units: metres``) and in units of the training set's
per-joint std when it is ``target_std`` (``normalized``: every joint weighs alike, whatever
its spread).

- ``mse``: the report's eq. (1), mean of squared coordinate errors (m² in metres);
- ``l1``: mean absolute coordinate error;
- ``mpjpe``: mean over joints and frames of the Euclidean joint error (report eq. 2, metres);
- ``smooth_l1``: Huber loss, quadratic below ``SMOOTH_L1_BETA`` (1 cm, or 0.01 std), linear
  above: L1's robustness with a smooth minimum.

The integral head's extra terms: :func:`loss_2d` on its soft-argmax joints,
:func:`heatmap_loss` on the shape of its heatmaps and :func:`depth_map_loss` on its depth
maps around the true joints.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from vidpose.models.geometry import heatmap_coordinates
from vidpose.skeleton import bone_vectors

#: Where smooth_l1 turns from quadratic to linear (metres, or std units).
SMOOTH_L1_BETA = 0.01


def _errors(pred: torch.Tensor, gt: torch.Tensor, scale: torch.Tensor | None) -> torch.Tensor:
    diff = pred - gt
    return diff if scale is None else diff / scale


def mse_loss(pred, gt, scale=None) -> torch.Tensor:
    """The report's eq. (1): mean of squared coordinate errors."""
    return _errors(pred, gt, scale).square().mean()


def l1_loss(pred, gt, scale=None) -> torch.Tensor:
    """Mean absolute coordinate error."""
    return _errors(pred, gt, scale).abs().mean()


def mpjpe_loss(pred, gt, scale=None) -> torch.Tensor:
    """Mean Euclidean joint error. The norm is computed as sqrt(sum² + ε) so its gradient stays
    finite at a perfect joint (the root, which is exactly 0 in prediction and ground truth)."""
    squared = _errors(pred, gt, scale).square().sum(dim=-1)
    return torch.sqrt(squared + 1e-12).mean()


def smooth_l1_loss(pred, gt, scale=None) -> torch.Tensor:
    """Huber loss of the coordinate errors, ``SMOOTH_L1_BETA`` wide."""
    errors = _errors(pred, gt, scale)
    return F.smooth_l1_loss(errors, torch.zeros_like(errors), beta=SMOOTH_L1_BETA)


LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "mse": mse_loss,
    "l1": l1_loss,
    "mpjpe": mpjpe_loss,
    "smooth_l1": smooth_l1_loss,
}


def build_loss(name: str) -> Callable[..., torch.Tensor]:
    """The loss registered as ``name`` (the config has already checked the name)."""
    return LOSSES[name]


def n_mpjpe_loss(pred, gt) -> torch.Tensor:
    """MPJPE after scaling each predicted frame (..., 17, 3) by its least-squares factor onto
    the ground truth (N-MPJPE; the scale is part of the graph, as in VideoPose3D), metres."""
    scale = (gt * pred).sum(dim=(-2, -1), keepdim=True) / (
        pred.square().sum(dim=(-2, -1), keepdim=True) + 1e-12
    )
    return mpjpe_loss(scale * pred, gt)


def velocity_loss(pred, gt, scale=None, kind: str = "l1") -> torch.Tensor:
    """Error of the first differences along time (axis 1 of (B, T, 17, 3)): ``l1`` is the mean
    absolute, ``l2`` the mean squared velocity error per coordinate and frame pair (metres per
    frame, or std units per frame). Zero for single-frame clips."""
    if pred.shape[1] < 2:
        return pred.sum() * 0.0
    errors = _errors(pred[:, 1:] - pred[:, :-1], gt[:, 1:] - gt[:, :-1], scale)
    return errors.abs().mean() if kind == "l1" else errors.square().mean()


def bone_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Mean absolute error of the 16 bone vectors (child joint minus parent joint) of
    (B, T, 17, 3) poses, metres per coordinate. A joint's error is the sum of its bones' errors
    down the kinematic tree; this term grades each bone on its own, so a wrist is not blamed
    for an elbow (the compositional loss of Sun et al. 2017)."""
    return (bone_vectors(pred) - bone_vectors(gt)).abs().mean()


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
