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

The integral head's own terms (2D, heatmap, depth-map) live with the head, in
vidpose.models.integral_losses.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from vidpose.pose.skeleton import bone_vectors

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
