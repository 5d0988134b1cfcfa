"""3D pose error metrics on numpy arrays or torch tensors, poses (..., 17, 3) in metres.

The definitions follow VideoPose3D (``common/loss.py``), the field's reference, so numbers
compare with papers:

- ``mse``: mean of squared coordinate differences, m² (the course report's eq. 1, its loss);
- ``mpjpe``: mean Euclidean joint distance, no implicit alignment (eq. 2; Protocol 1 when
  both poses are root-relative);
- ``p_mpjpe_mm``: MPJPE after a per-frame similarity (Procrustes) alignment of the prediction
  onto the ground truth: rotation, uniform scale and translation, reflections excluded
  (Protocol 2);
- ``n_mpjpe_mm``: MPJPE after a per-frame least-squares scale of the prediction, no centring;
- ``mpjve_mm``: mean Euclidean distance between first differences over time, taken within each
  clip for (N, T, 17, 3) arrays (axis 1) and along the sequence for (F, 17, 3) arrays (axis 0).

Every mean is over all frames and joints, so clips of equal length weigh equally. numpy
inputs are computed in float64 and give Python floats; torch inputs stay tensors (float32 at
least) and are differentiable. Names ending in ``_mm`` return millimetres.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MM_PER_M = 1000.0
PROTOCOLS = ("p1", "p2", "n")


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _prepare(pred: Any, gt: Any) -> tuple[Any, Any, bool]:
    """Both inputs as float64 numpy arrays, or as torch tensors of a common float dtype."""
    torch_in = _is_torch(pred) or _is_torch(gt)
    if torch_in:
        import torch

        pred = torch.as_tensor(pred)
        gt = torch.as_tensor(gt, device=pred.device)
        dtype = torch.promote_types(pred.dtype, gt.dtype)
        if not dtype.is_floating_point or dtype in (torch.float16, torch.bfloat16):
            dtype = torch.float32  # SVD and norms need at least single precision
        pred, gt = pred.to(dtype), gt.to(dtype)
    else:
        pred = np.asarray(pred, dtype=np.float64)
        gt = np.asarray(gt, dtype=np.float64)
    if tuple(pred.shape) != tuple(gt.shape):
        raise ValueError(f"shape mismatch: pred {tuple(pred.shape)} vs gt {tuple(gt.shape)}")
    if pred.ndim < 2 or pred.shape[-1] != 3:
        raise ValueError(f"poses must be (..., J, 3), got {tuple(pred.shape)}")
    return pred, gt, torch_in


def _backend(torch_in: bool) -> Any:
    """The array module: torch or numpy (both accept ``axis=``/``keepdims=`` here)."""
    if torch_in:
        import torch

        return torch
    return np


def _transpose(m: Any) -> Any:
    return m.swapaxes(-1, -2)


def _nonzero(denominator: Any, xp: Any) -> Any:
    """``denominator`` with zeros replaced by 1, for divisions whose numerator is then 0."""
    return xp.where(denominator > 0, denominator, xp.ones_like(denominator))


def _scalar(value: Any, torch_in: bool) -> Any:
    return value if torch_in else float(value)


def _joint_distances(pred: Any, gt: Any, torch_in: bool) -> Any:
    """Euclidean distance per joint, (..., J), same units as the input."""
    if torch_in:
        import torch

        return torch.linalg.vector_norm(pred - gt, dim=-1)
    return np.linalg.norm(pred - gt, axis=-1)


def mse(pred: Any, gt: Any) -> Any:
    """Mean squared coordinate error over every element, m² (the report's loss, eq. 1)."""
    pred, gt, torch_in = _prepare(pred, gt)
    return _scalar(((pred - gt) ** 2).mean(), torch_in)


def mpjpe(pred: Any, gt: Any) -> Any:
    """Mean per-joint position error, metres, with no alignment (the report's eq. 2 / 1000)."""
    pred, gt, torch_in = _prepare(pred, gt)
    return _scalar(_joint_distances(pred, gt, torch_in).mean(), torch_in)


def mpjpe_mm(pred: Any, gt: Any) -> Any:
    """Mean per-joint position error in millimetres (eq. 2 of the report)."""
    return mpjpe(pred, gt) * MM_PER_M


def align_procrustes(pred: Any, gt: Any) -> Any:
    """``pred`` (..., J, 3) moved onto ``gt`` per frame by the best similarity transform.

    Least squares over rotation (proper: det = +1), uniform scale and translation, solved by
    SVD of the cross-covariance of the centred, Frobenius-normalised poses (Umeyama). A pose
    with no spread (all joints in one point) gets scale 0, i.e. it maps to ``gt``'s centroid.
    """
    pred, gt, torch_in = _prepare(pred, gt)
    xp = _backend(torch_in)
    mu_gt = gt.mean(axis=-2, keepdims=True)
    mu_pred = pred.mean(axis=-2, keepdims=True)
    gt0, pred0 = gt - mu_gt, pred - mu_pred
    norm_gt = xp.sqrt((gt0**2).sum(axis=(-2, -1), keepdims=True))
    norm_pred = xp.sqrt((pred0**2).sum(axis=(-2, -1), keepdims=True))
    # Dividing a zero pose by 1 keeps it zero, so H = 0 and the scale comes out 0.
    gt0 = gt0 / _nonzero(norm_gt, xp)
    pred0 = pred0 / _nonzero(norm_pred, xp)

    u, s, vt = xp.linalg.svd(_transpose(gt0) @ pred0)  # of the (..., 3, 3) cross-covariance
    v = _transpose(vt)
    # R = V Uᵀ may be a reflection; flipping the axis of the smallest singular value gives the
    # best proper rotation, and that singular value then counts negatively in the scale.
    sign = xp.sign(xp.linalg.det(v @ _transpose(u)))
    ones = xp.ones_like(s[..., :-1])
    flip = xp.concatenate([ones, sign[..., None]], axis=-1)
    v = v * flip[..., None, :]
    s = s * flip
    rotation = v @ _transpose(u)  # acts on row vectors: pose @ rotation
    scale = s.sum(axis=-1)[..., None, None] * norm_gt / _nonzero(norm_pred, xp)
    translation = mu_gt - scale * (mu_pred @ rotation)
    return scale * (pred @ rotation) + translation


def align_scale(pred: Any, gt: Any) -> Any:
    """``pred`` (..., J, 3) times the per-frame least-squares scale Σ gt·pred / Σ pred·pred.

    No centring (as in VideoPose3D's N-MPJPE); an all-zero prediction stays zero.
    """
    pred, gt, torch_in = _prepare(pred, gt)
    num = (gt * pred).sum(axis=(-2, -1), keepdims=True)
    den = (pred * pred).sum(axis=(-2, -1), keepdims=True)
    return pred * (num / _nonzero(den, _backend(torch_in)))


def frame_errors_mm(pred: Any, gt: Any, protocol: str = "p1") -> Any:
    """Per-frame mean joint error in mm, shape ``pred.shape[:-2]``.

    ``protocol``: ``"p1"`` no alignment (MPJPE), ``"p2"`` Procrustes (P-MPJPE), ``"n"``
    scale only (N-MPJPE).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol {protocol!r} not one of {PROTOCOLS}")
    pred, gt, torch_in = _prepare(pred, gt)
    if protocol == "p2":
        pred = align_procrustes(pred, gt)
    elif protocol == "n":
        pred = align_scale(pred, gt)
    return _joint_distances(pred, gt, torch_in).mean(-1) * MM_PER_M


def p_mpjpe_mm(pred: Any, gt: Any) -> Any:
    """MPJPE after per-frame similarity alignment (Protocol 2), millimetres."""
    errors = frame_errors_mm(pred, gt, "p2")
    return _scalar(errors.mean(), _is_torch(errors))


def n_mpjpe_mm(pred: Any, gt: Any) -> Any:
    """MPJPE after per-frame scale-only alignment (N-MPJPE), millimetres."""
    errors = frame_errors_mm(pred, gt, "n")
    return _scalar(errors.mean(), _is_torch(errors))


def mpjve_mm(pred: Any, gt: Any) -> Any:
    """Mean per-joint velocity error in mm per frame step.

    Differences are taken along time: axis 1 for clips (N, T, 17, 3), axis 0 for one sequence
    (F, 17, 3). Needs at least two frames per clip.
    """
    pred, gt, torch_in = _prepare(pred, gt)
    if pred.ndim not in (3, 4):
        raise ValueError(f"mpjve needs (F, J, 3) or (N, T, J, 3), got {tuple(pred.shape)}")
    axis = 1 if pred.ndim == 4 else 0
    if pred.shape[axis] < 2:
        raise ValueError(f"mpjve needs at least 2 frames along axis {axis}")
    xp = _backend(torch_in)
    velocity_pred = xp.diff(pred, axis=axis)
    velocity_gt = xp.diff(gt, axis=axis)
    gap = _joint_distances(velocity_pred, velocity_gt, torch_in)
    return _scalar(gap.mean() * MM_PER_M, torch_in)


def per_joint_mpjpe_mm(pred: Any, gt: Any) -> Any:
    """MPJPE of each joint over all frames, (J,) millimetres."""
    pred, gt, torch_in = _prepare(pred, gt)
    distances = _joint_distances(pred, gt, torch_in).reshape(-1, pred.shape[-2])
    return distances.mean(0) * MM_PER_M


def group_mean(values: Any, labels: Sequence[Any]) -> dict[str, Any]:
    """Average ``values`` (M, ...) by ``labels`` (M,), e.g. per-frame errors by action.

    Returns ``{"groups": {label: mean}, "frame_average": mean over every element,
    "group_average": unweighted mean of the group means}``; papers report the latter over
    actions, training logs the former. Groups are in sorted label order.
    """
    if _is_torch(values):
        values = values.detach().cpu().numpy()
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray([str(label) for label in labels], dtype=object)
    if values.ndim == 0 or len(labels) != values.shape[0]:
        raise ValueError(f"{len(labels)} labels for values of shape {values.shape}")
    if values.shape[0] == 0:
        raise ValueError("group_mean needs at least one value")
    groups = {
        label: float(values[labels == label].mean()) for label in sorted(set(labels.tolist()))
    }
    return {
        "groups": groups,
        "frame_average": float(values.mean()),
        "group_average": float(np.mean(list(groups.values()))),
    }
