"""Normalisation layers that work at the report's batch of 2 clips (``model.norm``).

- ``batch``: ``nn.BatchNorm2d`` (the default). Its batch statistics come from the B·T frames of
  a step, which at B = 2 are two clips of near-identical frames: noisy and strongly coupled.
- ``group``: ``nn.GroupNorm`` with the most groups (at most 32) that divide the channels into
  groups of at least 4 (so a group never normalises a single value on a 1×1 map). Statistics
  are per sample, so a sample's output never depends on its batch.
- ``frozen_batch``: BatchNorm with its running statistics and affine frozen (buffers, not
  parameters): a fixed per-channel affine map, the usual choice for a *pretrained* backbone
  fine-tuned at small batches. On a backbone trained from scratch it is the identity map at
  initialisation (mean 0, var 1, weight 1, bias 0), i.e. no normalisation at all.

Built-in CNNs create these directly; timm backbones are built with BatchNorm and converted by
:func:`convert_batch_norms` after any pretrained weights are loaded (``group`` gets a fresh affine
— BN's learned scale does not suit GroupNorm's statistics — ``frozen_batch`` keeps the loaded
statistics and affine).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vidpose.models.settings import NORMS


def group_count(channels: int, max_groups: int = 32, min_group_size: int = 4) -> int:
    """GroupNorm groups for ``channels``: the largest divisor of ``channels`` that is at most
    ``max_groups`` and leaves at least ``min_group_size`` channels per group (else 1)."""
    return next(
        (
            groups
            for groups in range(min(max_groups, channels // min_group_size), 1, -1)
            if channels % groups == 0
        ),
        1,
    )


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d in eval mode whatever the module's mode, with nothing trainable.

    Its state_dict keys are BatchNorm2d's (``num_batches_tracked`` included, unused), so weights
    saved from a BatchNorm model load into it and back.
    """

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features, self.eps = num_features, eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    @classmethod
    def from_batch_norm(cls, bn: nn.BatchNorm2d) -> FrozenBatchNorm2d:
        frozen = cls(bn.num_features, bn.eps)
        with torch.no_grad():
            if bn.affine:
                frozen.weight.copy_(bn.weight)
                frozen.bias.copy_(bn.bias)
            if bn.running_mean is not None:
                frozen.running_mean.copy_(bn.running_mean)
                frozen.running_var.copy_(bn.running_var)
        return frozen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
        )

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"


def make_norm(norm: str, channels: int) -> nn.Module:
    """A fresh normalisation layer of kind ``norm`` (one of :data:`NORMS`) for ``channels``."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "group":
        return nn.GroupNorm(group_count(channels), channels)
    if norm == "frozen_batch":
        return FrozenBatchNorm2d(channels)
    raise ValueError(f"unknown norm {norm!r}; expected one of {', '.join(NORMS)}")


def _converted(module: nn.BatchNorm2d, norm: str) -> nn.Module:
    from timm.layers.norm_act import BatchNormAct2d, FrozenBatchNormAct2d, GroupNormAct

    channels = module.num_features
    if isinstance(module, BatchNormAct2d):
        # timm fuses BN with its activation (and drop); keep those around the new norm.
        if norm == "group":
            new = GroupNormAct(channels, group_count(channels), eps=module.eps, apply_act=False)
        else:
            new = FrozenBatchNormAct2d(channels, eps=module.eps, apply_act=False)
            with torch.no_grad():
                for name in ("weight", "bias", "running_mean", "running_var"):
                    source = getattr(module, name)
                    if source is not None:
                        getattr(new, name).copy_(source)
        new.drop, new.act = module.drop, module.act
        return new
    if norm == "group":
        return nn.GroupNorm(group_count(channels), channels, eps=module.eps)
    return FrozenBatchNorm2d.from_batch_norm(module)


def convert_batch_norms(module: nn.Module, norm: str) -> nn.Module:
    """Replace every ``BatchNorm2d`` in ``module`` (in place; also returned) by ``norm``.

    ``batch`` leaves the module as it is. The new layers live on the old ones' device.
    """
    if norm == "batch":
        return module
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; expected one of {', '.join(NORMS)}")
    for name, child in list(module.named_children()):
        if isinstance(child, nn.BatchNorm2d):
            device = child.weight.device if child.weight is not None else None
            setattr(module, name, _converted(child, norm).to(device))
        else:
            convert_batch_norms(child, norm)
    return module
