"""Every frame of whole sequences through a lifter: the field's evaluation protocol.

Each sequence's frames are cut into chunks of output frames (the transformer's window, or
``CHUNK_FRAMES`` for the TCN and MLP, whose outputs do not depend on the chunking); each chunk
reads its input frames with the lifter's context around it, the sequence's first and last
frame repeated beyond its ends (VideoPose3D's padding), so every frame is predicted with the
full receptive field and the output has exactly as many frames as the input. Outputs past a
sequence's end (of its last, padded chunk) are dropped.

Test-time flip averages the prediction with the un-mirrored prediction on the mirrored input.
"""

from __future__ import annotations

import numpy as np
import torch

from vidpose.lifting.keypoint_augment import flip_keypoints, flip_poses3d
from vidpose.lifting.windows import KeypointSequences, model_input, window_frames

#: Output frames per chunk for lifters without a fixed window.
CHUNK_FRAMES = 243


@torch.no_grad()
def lift(model: torch.nn.Module, inputs: torch.Tensor, flip_test: bool = False) -> torch.Tensor:
    """Model input (B, W, 17, C) → poses (B, K, 17, 3) metres; ``flip_test`` averages with
    the flipped input's prediction, mapped back."""
    poses = model(inputs)
    if flip_test:
        poses = 0.5 * (poses + flip_poses3d(model(flip_keypoints(inputs))))
    return poses


def chunk_plan(lengths: list[int], chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``lengths``, first output frame) of every ``chunk``-frame chunk that
    covers the sequences of ``lengths``."""
    owners, firsts = [], []
    for position, frames in enumerate(lengths):
        starts = np.arange(0, frames, chunk, dtype=np.int64)
        owners.append(np.full(len(starts), position, dtype=np.int64))
        firsts.append(starts)
    return np.concatenate(owners), np.concatenate(firsts)


@torch.no_grad()
def predict_sequences(
    model: torch.nn.Module,
    data: KeypointSequences,
    sequences: list[int],
    *,
    batch_size: int = 16,
    flip_test: bool = False,
    autocast=None,
) -> list[np.ndarray]:
    """Poses (F_i, 17, 3) float32, metres, root-relative, for every frame of each of the store
    ``sequences`` (indices into ``data.store.sequences``, of those ``data`` loaded), in that
    order."""
    if not set(sequences) <= set(data.indices):
        raise ValueError(f"sequences {sorted(set(sequences) - set(data.indices))} not loaded")
    was_training = model.training
    model.eval()
    before, after = model.context
    chunk = model.window or CHUNK_FRAMES
    with_confidence = model.input_channels == 3
    lengths = [data.store.sequences[i].frames for i in sequences]
    if not sequences:
        return []
    owners, firsts = chunk_plan(lengths, chunk)
    order = torch.as_tensor(sequences, dtype=torch.int64)[torch.from_numpy(owners)]
    offsets = torch.arange(-before, chunk + after, device=data.device)
    parts = []
    for start in range(0, len(owners), batch_size):
        sequence = order[start : start + batch_size].to(data.device)
        first = torch.from_numpy(firsts[start : start + batch_size]).to(data.device)
        rows = window_frames(data.starts[sequence], data.lengths[sequence], first, offsets)
        inputs = model_input(data.keypoints[rows], data.image_sizes[sequence], with_confidence)
        if autocast is None:
            poses = lift(model, inputs, flip_test)
        else:
            with autocast:
                poses = lift(model, inputs, flip_test)
        parts.append(poses.float().cpu())
    model.train(was_training)
    chunks = torch.cat(parts).numpy()  # (chunks, chunk, 17, 3)
    results = []
    for position, frames in enumerate(lengths):
        mine = chunks[owners == position].reshape(-1, 17, 3)
        results.append(np.ascontiguousarray(mine[:frames], dtype=np.float32))
    return results
