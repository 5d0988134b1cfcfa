"""Batches on the compute device: where the clips of a store are read from, and their
normalisation into model input.

Three data paths (``train.data_path``), all giving the same batches in the same order:

- ``resident`` (CUDA, ``gpu_resident`` or ``auto`` when the frames fit
  ``train.gpu_memory_budget_gb``): the store's uint8 frames are copied to the GPU once and every
  batch is an ``index_select`` there; an epoch's indices go up in one copy, so a step costs no
  host-device traffic at all;
- ``stream`` (CUDA when the frames do not fit, or asked for): a background thread reads each
  batch from the memory map into one of two pinned host buffers while the GPU works on the
  previous one; the copy to the GPU is ``non_blocking`` and the buffer is refilled only after
  a CUDA event says that copy is done. Issue 5 measured main-process memory-map reads at
  ~2,400 clips/s of 224² 8-frame clips against ~1,100 for DataLoader worker processes;
- ``direct`` (CPU): the memory map is read in the calling thread, nothing else; on CPU the
  compute is the bottleneck and a thread would only compete with it for the cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from vidpose.data.source import ClipDataset
from vidpose.errors import UserError
from vidpose.models.preprocess import IMAGENET_MEAN, IMAGENET_STD

DATA_PATHS = ("auto", "gpu_resident", "stream")

#: Share of the GPU's memory that ``train.gpu_memory_budget_gb: null`` lets resident frames take.
DEFAULT_BUDGET_SHARE = 0.5


class FrameNormalizer:
    """uint8 frames (B, T, H, W, 3) → float32 model input (B, T, 3, H', W'), on their device.

    Computes exactly what ``vidpose.models.preprocess.normalize_frames`` computes (÷255, then
    ImageNet mean/std, resizing first when ``size`` differs), but keeps the mean and std on the
    device (one host-to-device copy per device, not per batch) and, with ``channels_last``,
    skips the final copy: the (B, T, 3, H, W) view of NHWC memory flattens to a channels_last
    (B·T, 3, H, W) batch, the layout channels_last convolutions want.
    """

    def __init__(self, channels_last: bool = False) -> None:
        self.channels_last = channels_last
        self._stats: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def _mean_std(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if device not in self._stats:
            mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).to(device)
            std = torch.tensor(IMAGENET_STD, dtype=torch.float32).to(device)
            self._stats[device] = (mean, std)
        return self._stats[device]

    def __call__(self, frames: torch.Tensor, size: int | None = None) -> torch.Tensor:
        if frames.dtype != torch.uint8 or frames.ndim != 5 or frames.shape[-1] != 3:
            raise ValueError(
                f"expected uint8 frames (B, T, H, W, 3), got {frames.dtype} {tuple(frames.shape)}"
            )
        mean, std = self._mean_std(frames.device)
        batch, length = frames.shape[:2]
        pixels = frames.float().div_(255.0)  # (B, T, H, W, 3)
        if size is not None and tuple(frames.shape[2:4]) != (size, size):
            images = pixels.flatten(0, 1).permute(0, 3, 1, 2)  # NCHW view of NHWC memory
            images = F.interpolate(
                images, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )
            images = (images - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
            inputs = images.unflatten(0, (batch, length))
        else:
            inputs = ((pixels - mean) / std).permute(0, 1, 4, 2, 3)
        return inputs if self.channels_last else inputs.contiguous()


def resolve_data_path(setting: str, device: torch.device, nbytes: int, budget_bytes: float) -> str:
    """``resident``, ``stream`` or ``direct`` for a store of ``nbytes`` of frames.

    On CPU ``auto`` and ``gpu_resident`` read directly; ``stream`` runs the prefetch thread
    there too (slower on a small CPU, but it checks the threaded path without a GPU).
    """
    if setting not in DATA_PATHS:
        raise UserError(f"train.data_path: {setting!r} is not one of {', '.join(DATA_PATHS)}")
    if device.type != "cuda":
        return "stream" if setting == "stream" else "direct"
    if setting == "stream":
        return "stream"
    fits = nbytes <= budget_bytes
    if setting == "gpu_resident" and not fits:
        raise UserError(
            f"train.data_path: gpu_resident, but the frames take {nbytes / 1e9:.2f} GB and "
            f"train.gpu_memory_budget_gb allows {budget_bytes / 1e9:.2f} GB; raise the budget "
            "or use data_path=auto (streams what does not fit)"
        )
    return "resident" if fits else "stream"


def memory_budget_bytes(device: torch.device, budget_gb: float | None) -> float:
    """Bytes of GPU memory resident frames may take (0 on CPU)."""
    if device.type != "cuda":
        return 0.0
    if budget_gb is not None:
        return budget_gb * 1e9
    return DEFAULT_BUDGET_SHARE * torch.cuda.get_device_properties(device).total_memory


def place_training_data(
    train_data: ClipDataset,
    test_data: ClipDataset,
    device: torch.device,
    setting: str,
    budget_gb: float | None,
) -> tuple[DeviceBatches, DeviceBatches]:
    """The training and test stores' batches on ``device`` by the data path ``setting``
    (``train.data_path``) resolves to for each, within one GPU memory budget."""
    budget = memory_budget_bytes(device, budget_gb)
    paths = []
    for data in (train_data, test_data):  # the training store has first claim
        nbytes = data.frames.nbytes
        path = resolve_data_path(setting, device, nbytes, budget)
        budget -= nbytes if path == "resident" else 0
        paths.append(path)
    return DeviceBatches(train_data, device, paths[0]), DeviceBatches(test_data, device, paths[1])


class DeviceBatches:
    """A clip store's batches on ``device`` by one of the data paths (see module docstring).

    Also a :class:`vidpose.data.source.ClipSource` (``len``, ``poses3d``, ``get_batch``), so
    :func:`vidpose.engine.predict.predict_source` reads through it; its batches are already on
    ``device``.
    """

    def __init__(self, dataset: ClipDataset, device: torch.device, path: str) -> None:
        self.dataset = dataset
        self.device = device
        self.path = path
        self.store = dataset.store  # crop and intrinsics, for the integral head's geometry
        self.poses3d = dataset.poses3d
        self._frames: torch.Tensor | None = None
        self._poses: torch.Tensor | None = None
        if path == "resident":
            self._frames, self._poses = _upload(dataset, device)

    def __len__(self) -> int:
        return len(self.dataset)

    def get_batch(self, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames uint8 (B, T, H, W, 3) and poses (B, T, 17, 3) metres, on the device."""
        return next(iter(self.batches([indices])))

    def batches(
        self, index_lists: Iterable[np.ndarray]
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of ``index_lists`` in order, as (frames uint8, poses) on the device."""
        index_lists = [np.asarray(indices, dtype=np.int64) for indices in index_lists]
        if self.path == "resident":
            return self._resident(index_lists)
        if self.path == "stream":
            return _Prefetcher(self.dataset, self.device, index_lists).iterate()
        return self._direct(index_lists)

    def _direct(self, index_lists: list[np.ndarray]) -> Iterator:
        for indices in index_lists:
            frames, poses = self.dataset.get_batch(indices)
            yield frames.to(self.device), poses.to(self.device)

    def _resident(self, index_lists: list[np.ndarray]) -> Iterator:
        if not index_lists:
            return
        # One upload for all the indices, then slices of it: no per-step host-device copy.
        flat = torch.from_numpy(np.concatenate(index_lists)).to(self.device, non_blocking=True)
        for chunk in flat.split([len(indices) for indices in index_lists]):
            yield self._frames.index_select(0, chunk), self._poses.index_select(0, chunk)


def _upload(dataset: ClipDataset, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole store's frames (uint8) and poses on ``device``, copied in ~256 MB pieces (a
    single copy would first read the whole memory map into host memory)."""
    frames = dataset.frames
    resident = torch.empty(frames.shape, dtype=torch.uint8, device=device)
    per_chunk = max(1, (256 << 20) // max(1, frames[0].nbytes))
    for start in range(0, len(frames), per_chunk):
        piece = torch.from_numpy(np.ascontiguousarray(frames[start : start + per_chunk]))
        resident[start : start + len(piece)].copy_(piece)
    poses = torch.from_numpy(np.ascontiguousarray(dataset.poses3d)).to(device)
    return resident, poses


class _Prefetcher:
    """Reads batches from the memory map in a background thread into two pinned buffers.

    The thread fills buffer k while the consumer's GPU copy of buffer 1-k is in flight; a
    buffer goes back to the thread with the CUDA event recorded after its copy, and the thread
    waits on that event before overwriting it. Without CUDA the buffers are ordinary memory
    and each batch is cloned out of its buffer.
    """

    SLOTS = 2

    def __init__(
        self, dataset: ClipDataset, device: torch.device, index_lists: list[np.ndarray]
    ) -> None:
        self.dataset = dataset
        self.device = device
        self.index_lists = index_lists
        self.cuda = device.type == "cuda"
        largest = max((len(indices) for indices in index_lists), default=0)
        pin = self.cuda and torch.cuda.is_available()
        frame_shape = dataset.frames.shape[1:]
        self.frames = [
            torch.empty((largest, *frame_shape), dtype=torch.uint8, pin_memory=pin)
            for _ in range(self.SLOTS)
        ]
        self.poses = [
            torch.empty((largest, *dataset.poses3d.shape[1:]), pin_memory=pin)
            for _ in range(self.SLOTS)
        ]
        self.free: queue.Queue = queue.Queue()
        self.ready: queue.Queue = queue.Queue()
        for slot in range(self.SLOTS):
            self.free.put((slot, None))
        self.stopping = False

    def _fill(self) -> None:
        try:
            for indices in self.index_lists:
                slot, copied = self.free.get()
                if slot is None or self.stopping:
                    return
                if copied is not None:
                    copied.synchronize()  # the GPU has finished reading this buffer
                frames = self.frames[slot].numpy()
                # Increasing order reads the memory map fastest; each clip lands in its place.
                for position in np.argsort(indices, kind="stable"):
                    frames[position] = self.dataset.frames[indices[position]]
                self.poses[slot][: len(indices)].copy_(
                    torch.from_numpy(self.dataset.poses3d[indices])
                )
                self.ready.put((slot, len(indices)))
            self.ready.put(None)
        except BaseException as error:  # handed to the consumer, which raises it
            self.ready.put(error)

    def iterate(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        thread = threading.Thread(target=self._fill, name="vidpose-prefetch", daemon=True)
        thread.start()
        try:
            while True:
                item = self.ready.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                slot, count = item
                frames, poses = self.frames[slot][:count], self.poses[slot][:count]
                if self.cuda:
                    frames = frames.to(self.device, non_blocking=True)
                    poses = poses.to(self.device, non_blocking=True)
                    copied = torch.cuda.Event()
                    copied.record()
                else:
                    frames, poses, copied = frames.clone(), poses.clone(), None
                self.free.put((slot, copied))
                yield frames, poses
        finally:
            self.stopping = True
            self.free.put((None, None))
            thread.join()
