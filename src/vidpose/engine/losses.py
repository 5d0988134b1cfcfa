"""Training losses by name. Each takes pred and gt (B, T, 17, 3) in metres → a scalar tensor.

Issue 6 adds L1, MPJPE-style and velocity terms here; the config names one with ``train.loss``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from vidpose import metrics


def mse_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """The report's eq. (1): mean of squared coordinate differences, m²."""
    return metrics.mse(pred, gt)


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {"mse": mse_loss}


def build_loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss registered as ``name``; looked up when a run starts."""
    return LOSSES[name]
