"""Clip sources: where training and evaluation batches come from.

:class:`ClipSource` is the seam: the trainer and
:func:`~vidpose.engine.clip_inference.predict_source` only call ``len()``, ``poses3d`` (the targets
predictions are scored against) and ``get_batch``, which returns a whole
:class:`~vidpose.clips.batch.ClipBatch` on the host. A source that also has ``arrays`` (per-clip
arrays, :class:`ClipDataset`'s) can be kept on the GPU or streamed by vidpose.engine.batches; any
other source is read batch by batch.

:class:`ClipDataset` reads a :class:`~vidpose.clips.clip_store.ClipStore`'s memory map in the
calling process, which measured faster than DataLoader workers shipping 1 MB clips through shared
memory (benchmarks/README.md, data path).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from vidpose.clips.batch import ClipBatch, batch_from_tensors
from vidpose.clips.clip_store import ClipStore
from vidpose.infra.errors import UserError


class ClipSource(Protocol):
    poses3d: np.ndarray  # (N, T, 17, 3) float32, metres: the targets, in clip order

    def __len__(self) -> int: ...

    def get_batch(self, indices: np.ndarray) -> ClipBatch:
        """Clips ``indices`` as one batch on the host (CPU tensors)."""
        ...


class ClipDataset:
    """The clips of a store with frames.

    ``arrays`` maps each :class:`ClipBatch` field to the store's per-clip array (N, ...):
    ``inputs`` the frames (memory map), ``poses3d``, ``poses2d`` and, when the store records
    them, ``crop`` and ``intrinsics``.
    """

    def __init__(self, store: ClipStore, clip_frames: int | None = None) -> None:
        if not store.has_frames:
            raise UserError(f"{store.path}: this store has no frames (pose-only); need video")
        if clip_frames is not None and clip_frames != store.frames_per_clip:
            raise UserError(
                f"data.clip_frames: {clip_frames}, but {store.path} holds "
                f"{store.frames_per_clip}-frame clips (set data.clip_frames="
                f"{store.frames_per_clip} or null)"
            )
        self.store = store
        self.frames = store.frames
        self.poses3d = store.poses3d
        self.arrays: dict[str, np.ndarray] = {
            "inputs": store.frames,
            "poses3d": store.poses3d,
            "poses2d": store.poses2d,
        }
        if store.crop is not None and store.intrinsics is not None:
            self.arrays["crop"] = store.crop
            self.arrays["intrinsics"] = store.intrinsics

    def __len__(self) -> int:
        return self.store.num_clips

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Clip ``index``: (frames uint8 (T, H, W, 3), poses3d (T, 17, 3) metres)."""
        return np.asarray(self.frames[index]), self.poses3d[index]

    def get_batch(self, indices: np.ndarray) -> ClipBatch:
        indices = np.asarray(indices, dtype=np.int64)
        tensors = {}
        for name, array in self.arrays.items():
            if isinstance(array, np.memmap):
                # A memory map reads fastest in increasing order; the batch is put back after.
                unique, inverse = np.unique(indices, return_inverse=True)
                values = np.asarray(array[unique])[inverse]
            else:
                values = np.ascontiguousarray(array[indices])
            tensors[name] = torch.from_numpy(values)
        return batch_from_tensors(tensors, indices)
