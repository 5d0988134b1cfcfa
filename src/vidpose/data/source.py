"""Clip sources: where training and evaluation batches come from.

:class:`ClipSource` is the seam: the trainer and :func:`~vidpose.engine.predict.predict_store`
only call ``len()``, ``poses3d`` and ``get_batch``. :class:`ClipDataset` reads a
:class:`~vidpose.store.ClipStore`'s memory map in the calling process (issue 5 measured that to
be faster than DataLoader workers shipping 1 MB clips through shared memory); a GPU-resident
source can implement the same three members.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from vidpose.errors import UserError
from vidpose.store import ClipStore


class ClipSource(Protocol):
    poses3d: np.ndarray  # (N, T, 17, 3) float32, metres

    def __len__(self) -> int: ...

    def get_batch(self, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames uint8 (B, T, H, W, 3) and poses3d float32 (B, T, 17, 3) metres, CPU."""
        ...


class ClipDataset:
    """The clips of a store: item ``i`` is (frames uint8 (T, H, W, 3), poses3d (T, 17, 3) m)."""

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

    def __len__(self) -> int:
        return self.store.num_clips

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.frames[index]), self.poses3d[index]

    def get_batch(self, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        indices = np.asarray(indices, dtype=np.int64)
        # A memory map reads fastest in increasing order; put the batch back in order after.
        sorted_indices, inverse = np.unique(indices, return_inverse=True)
        frames = np.asarray(self.frames[sorted_indices])[inverse]
        poses = self.poses3d[indices]
        return torch.from_numpy(frames), torch.from_numpy(np.ascontiguousarray(poses))
