"""Batched inference of an image model over a whole clip store, on one process or split across
torchrun's (the clip track; a lifter's is vidpose.lifting.sequence_inference)."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import torch

from vidpose.clips.batch import ClipBatch
from vidpose.clips.clip_augment import flip_batch, unflip_poses3d
from vidpose.clips.clip_source import ClipDataset, ClipSource
from vidpose.clips.clip_store import ClipStore
from vidpose.engine import distributed, performance
from vidpose.engine.data_order import eval_shard
from vidpose.engine.inputs import Normalizer, to_model_input
from vidpose.engine.performance import Speed
from vidpose.infra.progress import progress_bar
from vidpose.models.crop_geometry import flip_geometry


def recipe_flip_test(checkpoint: dict) -> bool:
    """Whether the checkpoint's run config tests with flip averaging (``eval.flip_test``):
    what its own test pass did, so every command predicts as the run was scored."""
    config = checkpoint.get("config")
    section = config.get("eval") if isinstance(config, dict) else None
    return bool(section.get("flip_test", False)) if isinstance(section, dict) else False


@torch.no_grad()
def predict_batch(
    model: torch.nn.Module,
    batch: ClipBatch,
    image_size: int | None = None,
    flip_test: bool = False,
    normalize: Normalizer | None = None,
) -> torch.Tensor:
    """The one test-time forward pass: a batch as read (uint8 frames (B, T, H, W, 3) on the
    model's device) → poses (B, T, 17, 3), metres, root-relative.

    Frames are normalised and resized to ``image_size`` (None: kept); the batch's geometry
    (crops and camera) feeds the integral head's lift, None means the default camera.
    ``flip_test`` averages with the prediction on the mirrored clip, mapped back by
    ``unflip_poses3d`` (the mirrored clip's geometry is the mirrored crop).
    """
    batch = to_model_input(batch, image_size, normalize)
    poses = model(batch.inputs, batch.geometry)
    if flip_test:
        mirrored, _ = flip_batch(batch.inputs, channels_first=True)
        geometry = None if batch.geometry is None else flip_geometry(batch.geometry)
        poses = 0.5 * (poses + unflip_poses3d(model(mirrored, geometry)))
    return poses


@torch.no_grad()
def predict_source(
    model: torch.nn.Module,
    source: ClipSource,
    *,
    batch_size: int = 16,
    device: str | torch.device = "cpu",
    flip_test: bool = False,
    image_size: int | None = None,
    context: distributed.Context | None = None,
    progress: bool = False,
    speed: Speed | None = None,
    normalize: Normalizer | None = None,
) -> np.ndarray:
    """Poses (N, T, 17, 3) float32, metres, for every clip of ``source`` in order.

    ``model`` is moved to ``device``. Under torchrun (``context`` with several processes)
    each process predicts a disjoint contiguous slice and the slices are gathered in rank
    order, so every process returns the whole array with each clip exactly once.

    ``speed`` (vidpose.engine.performance) runs the forward passes under its autocast;
    ``normalize`` replaces ``normalize_frames`` (the trainer passes its channels_last
    variant). A source with a ``batches`` method (vidpose.engine.batches) is read
    through it, so a GPU-resident or streamed store stays on its fast path. Predictions stay
    on the device until the end: one copy to the host, not one per batch.
    """
    device = torch.device(device)
    model.to(device)
    if image_size is None:
        image_size = getattr(model, "image_size", None)
    rank, world_size = (0, 1) if context is None else (context.rank, context.world_size)
    shard = eval_shard(len(source), rank, world_size)
    was_training = model.training
    model.eval()
    index_lists = [
        np.arange(start, min(start + batch_size, shard.stop))
        for start in range(shard.start, shard.stop, batch_size)
    ]
    if hasattr(source, "batches"):
        batches = source.batches(index_lists)
    else:
        batches = (source.get_batch(indices) for indices in index_lists)
    precision = nullcontext() if speed is None else performance.autocast(device, speed)
    parts = []
    bar = progress_bar(
        total=len(index_lists), desc="predict", leave=False, disable=not progress or rank != 0
    )
    with bar, torch.inference_mode(), precision:
        for batch in batches:
            batch = batch.to(device, non_blocking=True)
            poses = predict_batch(model, batch, image_size, flip_test, normalize)
            parts.append(poses.float())
            bar.update(1)
    model.train(was_training)
    t = source.poses3d.shape[1]
    local = torch.cat(parts).cpu().numpy() if parts else np.zeros((0, t, 17, 3), np.float32)
    if context is None or not context.distributed:
        return local
    return np.concatenate(distributed.gather_objects(local, context))


def predict_store(
    model: torch.nn.Module,
    store: ClipStore,
    batch_size: int = 16,
    device: str | torch.device = "cpu",
    flip_test: bool = False,
    *,
    image_size: int | None = None,
    context: distributed.Context | None = None,
    progress: bool = True,
) -> np.ndarray:
    """Poses (N, T, 17, 3) float32, metres, root-relative, for every clip of ``store``.

    Frames are resized to ``image_size`` (default: the ``image_size`` attribute that
    :func:`vidpose.runs.checkpoint.load_model` sets) when the stored size differs. ``flip_test``
    averages with the prediction on mirrored frames. The store's crop and intrinsics, when it
    has them, feed the integral head's metric lift.
    """
    return predict_source(
        model,
        ClipDataset(store),
        batch_size=batch_size,
        device=device,
        flip_test=flip_test,
        image_size=image_size,
        context=context,
        progress=progress,
    )
