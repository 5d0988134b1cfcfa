"""Building what a training run trains: its two clip stores, the model (seeded, with the
training targets' statistics, on the device in the resolved layout) and the modules the
training step calls (DDP under torchrun, compiled when ``train.compile`` resolves on)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch

from vidpose.baselines import mean_training_pose
from vidpose.config import RunConfig
from vidpose.engine import distributed, performance
from vidpose.errors import UserError
from vidpose.models import build_model
from vidpose.store import ClipStore, open_store


def open_split(data_dir: Path, split: str) -> ClipStore:
    return open_store(data_dir / split)


def check_same_clip_length(train_store: ClipStore, test_store: ClipStore) -> None:
    """The model is built for one clip length T; both stores must hold clips of it."""
    if test_store.frames_per_clip != train_store.frames_per_clip:
        raise UserError(
            f"{test_store.path}: {test_store.frames_per_clip}-frame clips, but "
            f"{train_store.path} holds {train_store.frames_per_clip}-frame clips"
        )


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - third-party code may use the global RNG
    torch.manual_seed(seed)


def build_training_model(
    config: RunConfig,
    train_store: ClipStore,
    *,
    image_size: int,
    clip_frames: int,
    device: torch.device,
    speed: performance.Speed,
) -> torch.nn.Module:
    """The model of ``config.model``, initialised from ``config.seed`` (the same on every
    process), for (``clip_frames``, 3, ``image_size``, ``image_size``) clips, on ``device``."""
    seed_everything(config.seed)
    model = build_model(config.model)
    model.image_size, model.clip_frames = image_size, clip_frames
    if config.train.normalize_targets:
        poses = train_store.poses3d.reshape(-1, 17, 3).astype(np.float64)  # metres
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
