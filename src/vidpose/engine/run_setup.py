"""Building what a training run trains: the model (seeded, with the training targets'
statistics, on the device in the resolved memory format) and the modules the training step
calls (DDP under torchrun, compiled when ``train.compile`` resolves on)."""

from __future__ import annotations

import random

import numpy as np
import torch

from vidpose.engine import distributed, performance
from vidpose.models import build_model
from vidpose.pose.baselines import mean_training_pose
from vidpose.runs.run_config import RunConfig


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - third-party code may use the global RNG
    torch.manual_seed(seed)


def build_training_model(
    config: RunConfig,
    train_poses3d: np.ndarray,
    *,
    device: torch.device,
    speed: performance.Speed,
) -> torch.nn.Module:
    """The model of ``config.model``, initialised from ``config.seed`` (the same on every
    process), with the target statistics of ``train_poses3d`` (..., 17, 3) metres when
    ``train.normalize_targets``, on ``device``."""
    seed_everything(config.seed)
    model = build_model(config.model)
    if config.train.normalize_targets:
        poses = train_poses3d.reshape(-1, 17, 3).astype(np.float64)  # metres
        mean = mean_training_pose(poses)
        model.set_target_stats(torch.from_numpy(mean), torch.from_numpy(poses.std(0)))
    model.to(device)
    performance.prepare_model(model, speed)
    return model


def training_modules(
    model: torch.nn.Module, context: distributed.Context, speed: performance.Speed
) -> tuple[torch.nn.Module, torch.nn.Module]:
    """``(for full batches, for a short last batch)``: ``model`` wrapped in DDP under torchrun,
    the first also compiled when ``speed.compile``. Both share ``model``'s parameters."""
    eager: torch.nn.Module = model
    if context.distributed:
        device_ids = [context.local_rank] if context.device.type == "cuda" else None
        eager = torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
    # A short last batch runs eagerly: one step per epoch, where compiling it would cost a
    # second compilation of the whole model.
    return performance.maybe_compile(eager, speed), eager
