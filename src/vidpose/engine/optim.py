"""Optimizer and learning-rate schedule from the ``optim:`` config section."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from vidpose.config import OptimConfig


def build_optimizer(
    parameters: Iterable[torch.nn.Parameter], config: OptimConfig
) -> torch.optim.Optimizer:
    params = [p for p in parameters if p.requires_grad]
    if config.name == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.name == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.name == "sgd":
        return torch.optim.SGD(
            params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    raise ValueError(f"unknown optimizer {config.name!r}")  # the config rejects it first


def lr_factor(step: int, total_steps: int, config: OptimConfig) -> float:
    """Multiplier of ``config.lr`` for 0-based ``step`` of ``total_steps``: linear warm-up,
    then constant or a cosine decay to 0 at the last step."""
    if config.warmup_steps and step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.schedule == "cosine":
        span = max(1, total_steps - config.warmup_steps)
        progress = min(1.0, (step - config.warmup_steps) / span)
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return 1.0


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: OptimConfig, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step schedule (call ``step()`` after every optimizer step)."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total_steps, config)
    )
