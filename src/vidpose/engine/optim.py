"""Optimizer and learning-rate schedule from the ``optim:`` config section."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable

import torch

from vidpose.runs.run_config import OptimConfig


def build_optimizer(
    parameters: Iterable[torch.nn.Parameter], config: OptimConfig, fused: bool = False
) -> torch.optim.Optimizer:
    """``fused``: one multi-tensor kernel per step instead of several per parameter (all
    parameters must be on a CUDA device; see vidpose.engine.performance)."""
    params = [p for p in parameters if p.requires_grad]
    extra = {"fused": True} if fused else {}
    if config.name == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay, **extra)
    if config.name == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay, **extra)
    if config.name == "sgd":
        return torch.optim.SGD(
            params,
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
            **extra,
        )
    raise ValueError(f"unknown optimizer {config.name!r}")  # the config rejects it first


def warmup_length(config: OptimConfig, steps_per_epoch: int) -> int:
    """Warm-up steps: ``warmup_steps``, or ``warmup_epochs`` × steps per epoch (rounded)."""
    if config.warmup_epochs:
        return max(1, round(config.warmup_epochs * steps_per_epoch))
    return config.warmup_steps


def lr_factor(step: int, total_steps: int, config: OptimConfig, steps_per_epoch: int = 1) -> float:
    """Multiplier of ``config.lr`` for 0-based ``step`` of ``total_steps``: linear warm-up,
    then constant, a cosine or linear decay to 0 at the last step, or ``step_gamma`` per milestone
    passed (milestone m, in epochs, takes effect from step round(m × steps_per_epoch))."""
    warmup = warmup_length(config, steps_per_epoch)
    if warmup and step < warmup:
        return (step + 1) / warmup
    if config.schedule in ("cosine", "linear"):
        span = max(1, total_steps - warmup)
        progress = min(1.0, (step - warmup) / span)
        if config.schedule == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if config.schedule == "step":
        passed = sum(step >= round(m * steps_per_epoch) for m in config.step_milestones)
        return config.step_gamma**passed
    return 1.0


def build_scheduler(
    optimizer: torch.optim.Optimizer,
    config: OptimConfig,
    total_steps: int,
    steps_per_epoch: int = 1,
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step schedule (call ``step()`` after every optimizer step)."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total_steps, config, steps_per_epoch)
    )


class WeightAverage:
    """Exponential moving average of a model's weights (``optim.ema_decay``).

    ``module`` is a copy of the model whose parameters and floating-point buffers follow
    ``ema = d·ema + (1 - d)·weights`` after every optimizer step, with the decay ramped up as
    ``d = min(decay, (1 + n) / (10 + n))`` over the first updates n so that the average is not
    dominated by the random initial weights in a short run. Integer buffers (BatchNorm's
    counter) are copied. The copy stays in eval mode and never receives gradients.
    """

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(model).eval()
        self._pairs_for: torch.nn.Module | None = None
        self._pairs_cache: tuple[list, list, list, list] = ([], [], [], [])
        for parameter in self.module.parameters():
            parameter.requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        floats, floats_from, others, others_from = self._pairs(model)
        if floats:
            # One fused kernel for all tensors instead of one launch per tensor on the hot path.
            torch._foreach_lerp_(floats, floats_from, 1.0 - self.current_decay())
        for target, value in zip(others, others_from, strict=True):
            target.copy_(value)
        self.updates += 1

    def _pairs(self, model: torch.nn.Module) -> tuple[list, list, list, list]:
        """(averaged, live) tensor lists, built once per model: state_dict tensors alias the
        modules' storage, so the lists stay valid while the model trains (and after in-place
        ``load_state_dict``)."""
        if self._pairs_for is not model:
            averaged = self.module.state_dict()
            floats, floats_from, others, others_from = [], [], [], []
            for name, value in model.state_dict().items():
                target = averaged[name]
                if target.dtype.is_floating_point and value.dtype == target.dtype:
                    floats.append(target)
                    floats_from.append(value.detach())
                else:
                    others.append(target)
                    others_from.append(value.detach())
            self._pairs_cache = (floats, floats_from, others, others_from)
            self._pairs_for = model
        return self._pairs_cache

    def state_dict(self) -> dict:
        return {
            "updates": self.updates,
            "weights": {k: v.detach().cpu().clone() for k, v in self.module.state_dict().items()},
        }

    def load_state_dict(self, state: dict) -> None:
        self.updates = int(state["updates"])
        self.module.load_state_dict(state["weights"])
