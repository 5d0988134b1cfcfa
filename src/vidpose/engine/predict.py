"""Batched inference over a whole clip store, on one process or split across torchrun's."""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from vidpose.augment import flip_batch, unflip_poses3d
from vidpose.data.order import eval_shard
from vidpose.data.source import ClipDataset, ClipSource
from vidpose.engine import distributed
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
) -> torch.Tensor:
    """uint8 frames (B, T, H, W, 3) on the model's device → poses (B, T, 17, 3), metres.

    ``geometry`` (crop, intrinsics; see vidpose.models.geometry; its ``input_size`` is set here)
    feeds the integral head's lift; None uses the default camera. ``flip_test`` averages with
    the prediction on the mirrored clip, mapped back by ``unflip_poses3d`` (the mirrored clip's
    geometry is the mirrored crop).
    """
    inputs = normalize_frames(frames, size=image_size)
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
    return make_geometry(crop[indices], intrinsics[indices], 0, device)


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
) -> np.ndarray:
    """Poses (N, T, 17, 3) float32, metres, for every clip of ``source`` in order.

    ``model`` is moved to ``device``. Under torchrun (``context`` with several processes)
    each process predicts a disjoint contiguous slice and the slices are gathered in rank
    order, so every process returns the whole array with each clip exactly once.
    """
    device = torch.device(device)
    model.to(device)
    if image_size is None:
        image_size = getattr(model, "image_size", None)
    rank, world_size = (0, 1) if context is None else (context.rank, context.world_size)
    shard = eval_shard(len(source), rank, world_size)
    was_training = model.training
    model.eval()
    parts = []
    starts = range(shard.start, shard.stop, batch_size)
    for start in tqdm(starts, desc="predict", leave=False, disable=not progress or rank != 0):
        indices = np.arange(start, min(start + batch_size, shard.stop))
        frames, _ = source.get_batch(indices)
        geometry = batch_geometry(source, indices, device)
        poses = predict_batch(
            model, frames.to(device, non_blocking=True), image_size, flip_test, geometry
        )
        parts.append(poses.float().cpu().numpy())
    model.train(was_training)
    t = source.poses3d.shape[1]
    local = np.concatenate(parts) if parts else np.zeros((0, t, 17, 3), np.float32)
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
