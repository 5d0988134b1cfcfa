"""Batched inference over a whole clip store, on one process or split across torchrun's."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

import numpy as np
import torch
from tqdm import tqdm

from vidpose.augment import flip_batch, unflip_poses3d
from vidpose.data.order import eval_shard
from vidpose.data.source import ClipDataset, ClipSource
from vidpose.engine import distributed, performance
from vidpose.engine.performance import Speed
from vidpose.models.geometry import flip_geometry, make_geometry
from vidpose.models.preprocess import normalize_frames
from vidpose.store import ClipStore


@torch.no_grad()
def predict_batch(
    model: torch.nn.Module,
    frames: torch.Tensor,
    image_size: int | None,
    flip_test: bool = False,
    geometry: dict | None = None,
    normalize: Callable | None = None,
) -> torch.Tensor:
    """uint8 frames (B, T, H, W, 3) on the model's device → poses (B, T, 17, 3), metres.

    ``geometry`` (crop, intrinsics; see vidpose.models.geometry; its ``input_size`` is set here)
    feeds the integral head's lift; None uses the default camera. ``flip_test`` averages with
    the prediction on the mirrored clip, mapped back by ``unflip_poses3d`` (the mirrored clip's
    geometry is the mirrored crop).
    """
    inputs = (normalize or normalize_frames)(frames, size=image_size)
    if geometry is not None:
        geometry = {**geometry, "input_size": int(inputs.shape[-1])}
    poses = model(inputs, geometry)
    if flip_test:
        mirrored, _ = flip_batch(inputs, channels_first=True)
        mirrored_geometry = None if geometry is None else flip_geometry(geometry)
        poses = 0.5 * (poses + unflip_poses3d(model(mirrored, mirrored_geometry)))
    return poses


def batch_geometry(
    source: ClipSource, indices: np.ndarray, device: torch.device | str | None = None
) -> dict | None:
    """The crop and intrinsics of clips ``indices`` of ``source`` when its store records them
    (``input_size`` is filled in where the input size is known), else None."""
    store = getattr(source, "store", None)
    crop = getattr(store, "crop", None)
    intrinsics = getattr(store, "intrinsics", None)
    if crop is None or intrinsics is None:
        return None
    indices = np.asarray(indices, dtype=np.int64)
    # non_blocking: a pageable copy is staged at once without waiting for the GPU's queue,
    # where a blocking one would stall the host until the previous step had finished.
    crop, intrinsics = (
        torch.from_numpy(np.ascontiguousarray(values[indices], dtype=np.float32)).to(
            device or "cpu", non_blocking=True
        )
        for values in (crop, intrinsics)
    )
    return make_geometry(crop, intrinsics, 0, device)


def uses_geometry(model: torch.nn.Module) -> bool:
    """Whether ``model``'s head reads the crop/camera geometry (the integral head's lift)."""
    config = getattr(model, "config", None)
    return config is None or getattr(config, "head", "direct") != "direct"


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
    normalize: Callable | None = None,
) -> np.ndarray:
    """Poses (N, T, 17, 3) float32, metres, for every clip of ``source`` in order.

    ``model`` is moved to ``device``. Under torchrun (``context`` with several processes)
    each process predicts a disjoint contiguous slice and the slices are gathered in rank
    order, so every process returns the whole array with each clip exactly once.

    ``speed`` (vidpose.engine.performance) runs the forward passes under its autocast;
    ``normalize`` replaces ``normalize_frames`` (the trainer passes its channels_last
    ``FrameNormalizer``). A source with a ``batches`` method (vidpose.engine.batches) is read
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
    geometry_needed = uses_geometry(model)
    precision = nullcontext() if speed is None else performance.autocast(device, speed)
    parts = []
    bar = tqdm(
        total=len(index_lists), desc="predict", leave=False, disable=not progress or rank != 0
    )
    with bar, torch.inference_mode(), precision:
        for indices, (frames, _) in zip(index_lists, batches, strict=True):
            geometry = batch_geometry(source, indices, device) if geometry_needed else None
            frames = frames.to(device, non_blocking=True)
            poses = predict_batch(model, frames, image_size, flip_test, geometry, normalize)
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
    :func:`vidpose.checkpoint.load_model` sets) when the stored size differs. ``flip_test``
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
