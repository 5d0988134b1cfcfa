"""Windows of 2D keypoints around output frames, from a sequence store, on one device.

A lifter with ``context = (before, after)`` predicts K output frames from ``before + K +
after`` input frames (vidpose.models.lifter). Training sample i is (sequence, first output
frame t): its input window is frames ``t − before … t + K − 1 + after`` of that sequence, and
frames outside the sequence repeat its first or last frame (VideoPose3D's edge padding), so
every frame is predicted with the full receptive field. Evaluation covers every frame of a
sequence the same way, in chunks of output frames (``vidpose.lifting.sequence_inference``).

Model input (``model_input``): the keypoints in VideoPose3D's screen-normalised coordinates
(``vidpose.keypoints.normalize``) with each sequence's image size; joints with confidence 0
are set to (0, 0); the confidence channel is dropped unless the model reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vidpose.infra.errors import UserError
from vidpose.keypoints.normalize import normalize_screen
from vidpose.sequences import SequenceStore


def window_frames(
    starts: torch.Tensor, lengths: torch.Tensor, first: torch.Tensor, offsets: torch.Tensor
) -> torch.Tensor:
    """Rows of the store's frame arrays for windows: sequence ``starts``/``lengths`` (B,),
    window frame ``first`` (B,) within its sequence plus ``offsets`` (W,) → (B, W), frames
    before 0 or past the end replaced by the first or last frame."""
    local = first[:, None] + offsets[None, :]
    local = torch.minimum(local.clamp_min(0), lengths[:, None] - 1)
    return starts[:, None] + local


@dataclass
class Windows:
    """A batch of windows: ``keypoints`` (B, W, 17, 3) pixels + confidence, ``poses3d``
    (B, W, 17, 3) metres (root-relative), ``root`` (B, W, 3) metres or None, and per window
    ``sequence`` (B,) indices, ``image_size`` (B, 2) width, height and ``intrinsics`` (B, 4)."""

    keypoints: torch.Tensor
    poses3d: torch.Tensor
    root: torch.Tensor | None
    sequence: torch.Tensor
    image_size: torch.Tensor
    intrinsics: torch.Tensor


@dataclass
class KeypointBatch:
    """A lifter's prepared training batch: ``inputs`` (B, W, 17, C) screen-normalised keypoints
    (C = 2, or 3 with the confidence; ``model_input``), ``poses3d`` (B, K, 17, 3) metres,
    root-relative: the targets of the K output frames."""

    inputs: torch.Tensor
    poses3d: torch.Tensor

    @property
    def model_args(self) -> tuple[torch.Tensor]:
        """What the batch passes the lifter: ``(inputs,)``."""
        return (self.inputs,)


class KeypointSequences:
    """One split of a sequence store with one named 2D source, as tensors on ``device``.

    ``sequences``: the indices of the store's sequences in use (default: all those the 2D
    source does not lack); only their frames are loaded, back to back, and ``starts`` (per
    store sequence) locates each in those arrays. ``with_root`` also loads the pelvis
    positions (for camera rotation).
    """

    def __init__(
        self,
        store: SequenceStore,
        source: str | None,
        device: torch.device | str = "cpu",
        *,
        sequences: list[int] | None = None,
        with_root: bool = False,
    ) -> None:
        self.store = store
        self.source = store.default_2d if source is None else source
        if self.source not in store.sources_2d:
            raise UserError(
                f"data.keypoints: {self.source!r} is not a 2D source of {store.path} "
                f"(it has: {', '.join(store.sources_2d)})"
            )
        missing = set(store.missing_2d(self.source))
        if sequences is None:
            sequences = [i for i in range(len(store)) if i not in missing]
        self.indices = list(sequences)
        if not self.indices:
            raise UserError(f"{store.path}: no sequence has 2D source {self.source!r}")
        self.device = torch.device(device)
        info = store.sequences

        def as_tensor(values, dtype):  # a copy: the store's arrays are read-only memory maps
            return torch.tensor(np.asarray(values), dtype=dtype, device=self.device)

        lengths = np.array([item.frames for item in info], dtype=np.int64)
        loaded = sorted(set(self.indices))
        starts = np.zeros(len(info), dtype=np.int64)
        starts[loaded] = np.cumsum(lengths[loaded]) - lengths[loaded]
        everything = loaded == list(range(len(info)))

        def load(array: np.ndarray):  # (F, ...) → the rows of the sequences in use, copied
            if everything:
                return as_tensor(array, torch.float32)
            rows = np.concatenate([np.arange(info[i].start, info[i].stop) for i in loaded])
            return as_tensor(array[rows], torch.float32)

        self.starts = as_tensor(starts, torch.int64)
        self.lengths = as_tensor(lengths, torch.int64)
        self.image_sizes = as_tensor(store.image_sizes(), torch.float32)
        self.intrinsics = as_tensor(store.intrinsics, torch.float32)
        self.keypoints = load(store.keypoints(self.source))
        self.poses3d = load(store.poses3d)
        self.root = load(store.root) if with_root else None

    @property
    def num_frames(self) -> int:
        """Frames of the sequences in use."""
        return int(sum(self.store.sequences[i].frames for i in self.indices))

    def windows(self, sequence: torch.Tensor, first: torch.Tensor, length: int) -> Windows:
        """``length``-frame windows starting at frame ``first`` (B,) (may be negative) of
        store sequences ``sequence`` (B,), edge-padded."""
        sequence = sequence.to(self.device)
        offsets = torch.arange(length, device=self.device)
        rows = window_frames(
            self.starts[sequence], self.lengths[sequence], first.to(self.device), offsets
        )
        return Windows(
            keypoints=self.keypoints[rows],
            poses3d=self.poses3d[rows],
            root=None if self.root is None else self.root[rows],
            sequence=sequence,
            image_size=self.image_sizes[sequence],
            intrinsics=self.intrinsics[sequence],
        )


def model_input(
    keypoints: torch.Tensor, image_size: torch.Tensor, with_confidence: bool
) -> torch.Tensor:
    """(B, W, 17, 3) pixels + confidence and (B, 2) image width, height → screen-normalised
    (B, W, 17, 3 or 2); joints with confidence 0 at (0, 0)."""
    width = image_size[:, 0].reshape(-1, 1, 1)
    height = image_size[:, 1].reshape(-1, 1, 1)
    normalized = normalize_screen(keypoints, width, height)
    return screen_input(normalized, with_confidence)


def screen_input(normalized: torch.Tensor, with_confidence: bool) -> torch.Tensor:
    """Screen-normalised (..., 17, 3) with confidence → the model's input: unseen joints
    (confidence 0) at (0, 0, 0), the confidence channel kept only ``with_confidence``."""
    seen = (normalized[..., 2:3] > 0).to(normalized.dtype)
    normalized = normalized * seen
    return normalized if with_confidence else normalized[..., :2]


class TrainingWindows:
    """The training samples of a split: (sequence, first output frame t) for every
    ``stride``-th t with ``t + output_frames`` inside the sequence (one sample at t = 0 for a
    sequence shorter than that). ``len()`` is the sample count; the data order
    (vidpose.engine.data_order) permutes sample indices."""

    def __init__(self, data: KeypointSequences, output_frames: int, stride: int) -> None:
        sequences, firsts = [], []
        for index in data.indices:
            frames = data.store.sequences[index].frames
            t = np.arange(0, max(frames - output_frames, 0) + 1, stride, dtype=np.int64)
            sequences.append(np.full(len(t), index, dtype=np.int64))
            firsts.append(t)
        self.data = data
        self.output_frames = output_frames
        self.sequence = torch.from_numpy(np.concatenate(sequences)).to(data.device)
        self.first = torch.from_numpy(np.concatenate(firsts)).to(data.device)

    def __len__(self) -> int:
        return len(self.first)

    def batch(self, indices: np.ndarray, before: int, after: int) -> Windows:
        """The windows of samples ``indices``: frames t − before … t + K − 1 + after."""
        indices = torch.as_tensor(np.asarray(indices, dtype=np.int64)).to(self.data.device)
        length = before + self.output_frames + after
        return self.data.windows(self.sequence[indices], self.first[indices] - before, length)
