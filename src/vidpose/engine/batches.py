"""Batches on the compute device: the data path that places each whole
:class:`~vidpose.clips.batch.ClipBatch` (frames, poses, 2D joints, crops, camera) on the device
once.

Three data paths (``train.data_path``), all giving the same batches in the same order:

- ``resident`` (CUDA, ``gpu_resident`` or ``auto`` when the source's arrays fit
  ``train.gpu_memory_budget_gb``): the source's per-clip arrays (uint8 frames and the rest) are
  copied to the GPU once and every batch is an ``index_select`` there; an epoch's indices go up
  in one copy, so a step costs no host-device traffic at all;
- ``stream`` (CUDA when the arrays do not fit, or asked for): a background thread reads each
  batch from the memory map into one of two pinned host buffers while the GPU works on the
  previous one; the copy to the GPU is ``non_blocking`` and the buffer is refilled only after
  a CUDA event says that copy is done (main-process memory-map reads measured about twice as
  fast as DataLoader worker processes; benchmarks/README.md);
- ``direct`` (CPU, and any source without per-clip ``arrays``): the source's ``get_batch`` in
  the calling thread, nothing else; on CPU the compute is the bottleneck and a thread would
  only compete with it for the cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

import numpy as np
import torch

from vidpose.clips.batch import ClipBatch, batch_from_tensors
from vidpose.clips.clip_source import ClipSource
from vidpose.infra.errors import UserError

DATA_PATHS = ("auto", "gpu_resident", "stream")

#: Share of the GPU's memory that ``train.gpu_memory_budget_gb: null`` lets resident frames take.
DEFAULT_BUDGET_SHARE = 0.5


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


def source_nbytes(source: ClipSource) -> int:
    """Bytes of the source's per-clip arrays (what the resident path would upload); 0 for a
    source without ``arrays``, which is always read directly."""
    return sum(array.nbytes for array in getattr(source, "arrays", {}).values())


def place_training_data(
    train_data: ClipSource,
    test_data: ClipSource,
    device: torch.device,
    setting: str,
    budget_gb: float | None,
) -> tuple[DeviceBatches, DeviceBatches]:
    """The training and test sources' batches on ``device`` by the data path ``setting``
    (``train.data_path``) resolves to for each, within one GPU memory budget."""
    budget = memory_budget_bytes(device, budget_gb)
    paths = []
    for data in (train_data, test_data):  # the training store has first claim
        nbytes = source_nbytes(data)
        path = resolve_data_path(setting, device, nbytes, budget)
        if not hasattr(data, "arrays"):
            path = "direct"
        budget -= nbytes if path == "resident" else 0
        paths.append(path)
    return DeviceBatches(train_data, device, paths[0]), DeviceBatches(test_data, device, paths[1])


class DeviceBatches:
    """A source's batches on ``device`` by one of the data paths (see module docstring).

    Also a :class:`vidpose.clips.clip_source.ClipSource` (``len``, ``poses3d``, ``get_batch``) whose
    batches are already on ``device``, so :func:`vidpose.engine.clip_inference.predict_source` reads
    through it.
    """

    def __init__(self, source: ClipSource, device: torch.device, path: str) -> None:
        if path != "direct" and not hasattr(source, "arrays"):
            raise ValueError(f"the {path} data path needs a source with per-clip arrays")
        self.source = source
        self.device = device
        self.path = path
        self.poses3d = source.poses3d
        self._resident: dict[str, torch.Tensor] = {}
        if path == "resident":
            self._resident = _upload(source.arrays, device)

    def __len__(self) -> int:
        return len(self.source)

    def get_batch(self, indices: np.ndarray) -> ClipBatch:
        """Clips ``indices`` as one batch on the device."""
        return next(iter(self.batches([indices])))

    def batches(self, index_lists: Iterable[np.ndarray]) -> Iterator[ClipBatch]:
        """The batches of ``index_lists`` in order, each a whole ClipBatch on the device."""
        index_lists = [np.asarray(indices, dtype=np.int64) for indices in index_lists]
        if self.path == "resident":
            return self._resident_batches(index_lists)
        if self.path == "stream":
            return _Prefetcher(self.source.arrays, self.device, index_lists).iterate()
        return self._direct(index_lists)

    def _direct(self, index_lists: list[np.ndarray]) -> Iterator[ClipBatch]:
        for indices in index_lists:
            # non_blocking: a pageable copy is staged at once without waiting for the GPU's
            # queue, where a blocking one would stall the host until the previous step ended.
            yield self.source.get_batch(indices).to(self.device, non_blocking=True)

    def _resident_batches(self, index_lists: list[np.ndarray]) -> Iterator[ClipBatch]:
        if not index_lists:
            return
        # One upload for all the indices, then slices of it: no per-step host-device copy.
        flat = torch.from_numpy(np.concatenate(index_lists)).to(self.device, non_blocking=True)
        for chunk, indices in zip(
            flat.split([len(indices) for indices in index_lists]), index_lists, strict=True
        ):
            tensors = {name: array.index_select(0, chunk) for name, array in self._resident.items()}
            yield batch_from_tensors(tensors, indices)


def _upload(arrays: dict[str, np.ndarray], device: torch.device) -> dict[str, torch.Tensor]:
    """Each per-clip array on ``device``, copied in ~256 MB pieces (a single copy would first
    read a whole memory map into host memory)."""
    uploaded = {}
    for name, array in arrays.items():
        resident = torch.empty(array.shape, dtype=_torch_dtype(array), device=device)
        per_chunk = max(1, (256 << 20) // max(1, array[0].nbytes))
        for start in range(0, len(array), per_chunk):
            piece = torch.from_numpy(np.ascontiguousarray(array[start : start + per_chunk]))
            resident[start : start + len(piece)].copy_(piece)
        uploaded[name] = resident
    return uploaded


def _torch_dtype(array: np.ndarray) -> torch.dtype:
    return torch.from_numpy(np.zeros(0, dtype=array.dtype)).dtype


class _Prefetcher:
    """Reads batches of per-clip arrays in a background thread into two pinned buffers.

    The thread fills buffer k while the consumer's GPU copy of buffer 1-k is in flight; a
    buffer goes back to the thread with the CUDA event recorded after its copy, and the thread
    waits on that event before overwriting it. Without CUDA the buffers are ordinary memory
    and each batch is cloned out of its buffer.
    """

    SLOTS = 2

    def __init__(
        self, arrays: dict[str, np.ndarray], device: torch.device, index_lists: list[np.ndarray]
    ) -> None:
        self.arrays = arrays
        self.device = device
        self.index_lists = index_lists
        self.cuda = device.type == "cuda"
        largest = max((len(indices) for indices in index_lists), default=0)
        pin = self.cuda and torch.cuda.is_available()
        self.buffers = [
            {
                name: torch.empty(
                    (largest, *array.shape[1:]), dtype=_torch_dtype(array), pin_memory=pin
                )
                for name, array in arrays.items()
            }
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
                for name, array in self.arrays.items():
                    buffer = self.buffers[slot][name]
                    if isinstance(array, np.memmap):
                        values = buffer.numpy()
                        # Increasing order reads a memory map fastest; each clip lands in place.
                        for position in np.argsort(indices, kind="stable"):
                            values[position] = array[indices[position]]
                    else:
                        buffer[: len(indices)].copy_(torch.from_numpy(array[indices]))
                self.ready.put((slot, indices))
            self.ready.put(None)
        except BaseException as error:  # handed to the consumer, which raises it
            self.ready.put(error)

    def iterate(self) -> Iterator[ClipBatch]:
        thread = threading.Thread(target=self._fill, name="vidpose-prefetch", daemon=True)
        thread.start()
        try:
            while True:
                item = self.ready.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                slot, indices = item
                tensors = {
                    name: buffer[: len(indices)] for name, buffer in self.buffers[slot].items()
                }
                if self.cuda:
                    tensors = {
                        name: tensor.to(self.device, non_blocking=True)
                        for name, tensor in tensors.items()
                    }
                    copied = torch.cuda.Event()
                    copied.record()
                else:
                    tensors = {name: tensor.clone() for name, tensor in tensors.items()}
                    copied = None
                self.free.put((slot, copied))
                yield batch_from_tensors(tensors, indices)
        finally:
            self.stopping = True
            self.free.put((None, None))
            thread.join()
