"""Which clips each process reads, and when: deterministic, resumable, DDP-aware.

Training: every epoch is a permutation seeded by ``(seed, epoch)`` alone, so the order does not
depend on any global random state and a run resumed at ``(epoch, step)`` reads exactly the clips
the uninterrupted run would have. Step ``s`` takes the global batch ``order[s·B·W : (s+1)·B·W]``
(``B`` clips per process, ``W`` processes) and process ``r`` its ``r``-th slice of ``B``. With one
process the last batch may be short; with several, the order is padded by wrapping around so all
processes take the same number of steps (DDP needs that).

Evaluation: process ``r`` takes a contiguous slice of the clips; slices are disjoint and cover
every clip exactly once, so gathering them in rank order gives the whole store in order.
"""

from __future__ import annotations

import math

import numpy as np


def epoch_order(num_clips: int, seed: int, epoch: int) -> np.ndarray:
    """A permutation of ``range(num_clips)`` determined by ``seed`` and ``epoch`` (int64)."""
    return np.random.default_rng([seed, epoch]).permutation(num_clips)


def train_steps_per_epoch(num_clips: int, batch_size: int, world_size: int = 1) -> int:
    return math.ceil(num_clips / (batch_size * world_size))


def train_step_indices(
    order: np.ndarray, step: int, batch_size: int, rank: int = 0, world_size: int = 1
) -> np.ndarray:
    """Clip indices process ``rank`` trains on at ``step`` (0-based) of the epoch ``order``."""
    steps = train_steps_per_epoch(len(order), batch_size, world_size)
    if not 0 <= step < steps:
        raise IndexError(f"step {step} outside an epoch of {steps} steps")
    global_batch = batch_size * world_size
    if world_size > 1:
        order = np.resize(order, steps * global_batch)  # wraps around: equal steps per process
    start = step * global_batch + rank * batch_size
    return order[start : start + batch_size]


def eval_shard(num_clips: int, rank: int = 0, world_size: int = 1) -> range:
    """The contiguous, disjoint slice of clips process ``rank`` evaluates (may be empty)."""
    return range(rank * num_clips // world_size, (rank + 1) * num_clips // world_size)
