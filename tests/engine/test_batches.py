import numpy as np
import pytest
import torch

from vidpose.clips.clip_source import ClipDataset
from vidpose.clips.clip_store import write_store
from vidpose.engine.batches import (
    DeviceBatches,
    memory_budget_bytes,
    place_training_data,
    resolve_data_path,
)
from vidpose.infra.errors import UserError

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rng = np.random.default_rng(1)
    n, t = 11, 3
    rows = [
        {"subject": "S1", "action": "Walking", "camera": "c", "sequence": "s", "start_frame": i}
        for i in range(n)
    ]
    store = write_store(
        tmp_path_factory.mktemp("batches") / "s",
        poses3d=rng.normal(size=(n, t, 17, 3)).astype(np.float32),
        poses2d=np.zeros((n, t, 17, 2), np.float32),
        clips=rows,
        frames=rng.integers(0, 256, (n, t, 12, 12, 3), dtype=np.uint8),
        crop=rng.uniform(0, 500, (n, t, 3)).astype(np.float32),
        intrinsics=rng.uniform(400, 1200, (n, 4)).astype(np.float32),
    )
    return ClipDataset(store)


def _assert_batch_is(batch, dataset, indices):
    """``batch`` holds exactly the store's arrays of clips ``indices``, in that order."""
    store = dataset.store
    assert np.array_equal(batch.inputs.cpu().numpy(), dataset.frames[indices])
    assert np.array_equal(batch.poses3d.cpu().numpy(), store.poses3d[indices])
    assert np.array_equal(batch.poses2d.cpu().numpy(), store.poses2d[indices])
    assert np.array_equal(batch.geometry.crop.cpu().numpy(), store.crop[indices])
    assert np.array_equal(batch.geometry.intrinsics.cpu().numpy(), store.intrinsics[indices])
    assert batch.geometry.input_size == 12 and np.array_equal(batch.indices, indices)


@pytest.mark.parametrize("path", ["direct", "stream"])
def test_every_path_gives_the_whole_batches_of_the_store_in_order(dataset, path):
    index_lists = [np.array([5, 1, 9]), np.array([0, 0, 10]), np.array([4]), np.array([2, 3])]
    batches = DeviceBatches(dataset, CPU, path)
    got = list(batches.batches(index_lists))
    assert len(got) == len(index_lists)
    for batch, indices in zip(got, index_lists, strict=True):
        _assert_batch_is(batch, dataset, indices)
    _assert_batch_is(batches.get_batch(np.array([6, 2])), dataset, np.array([6, 2]))
    assert len(batches) == 11 and batches.poses3d is dataset.poses3d


def test_a_source_without_arrays_is_read_batch_by_batch(dataset):
    class BatchSource:
        """A stand-in for a source that reads whole batches only (no per-clip arrays)."""

        poses3d = dataset.poses3d

        def __len__(self):
            return len(dataset)

        def get_batch(self, indices):
            return dataset.get_batch(indices)

    train, test = place_training_data(BatchSource(), dataset, CPU, "stream", None)
    assert (train.path, test.path) == ("direct", "stream")
    (batch,) = train.batches([np.array([3, 1])])
    assert torch.equal(batch.inputs, dataset.get_batch(np.array([3, 1])).inputs)
    with pytest.raises(ValueError, match="per-clip arrays"):
        DeviceBatches(BatchSource(), CPU, "stream")


def test_stream_stops_its_thread_when_the_consumer_stops_early(dataset):
    import threading

    before = threading.active_count()
    iterator = DeviceBatches(dataset, CPU, "stream").batches([np.array([i]) for i in range(11)])
    next(iterator)
    iterator.close()
    assert threading.active_count() == before


def test_stream_reports_a_read_error_to_the_consumer(dataset):
    with pytest.raises(IndexError):
        list(DeviceBatches(dataset, CPU, "stream").batches([np.array([0]), np.array([99])]))


def test_data_path_on_cpu_is_direct_unless_stream_is_asked_for():
    assert resolve_data_path("auto", CPU, 10**12, 0.0) == "direct"
    assert resolve_data_path("gpu_resident", CPU, 10**12, 0.0) == "direct"
    assert resolve_data_path("stream", CPU, 10, 0.0) == "stream"
    assert memory_budget_bytes(CPU, 5.0) == 0.0


def test_data_path_on_cuda_depends_on_the_budget():
    assert resolve_data_path("auto", CUDA, 10**9, 2e9) == "resident"
    assert resolve_data_path("auto", CUDA, 3 * 10**9, 2e9) == "stream"
    assert resolve_data_path("stream", CUDA, 10, 2e9) == "stream"
    with pytest.raises(UserError, match="train.gpu_memory_budget_gb allows 2.00 GB"):
        resolve_data_path("gpu_resident", CUDA, 3 * 10**9, 2e9)
    with pytest.raises(UserError, match="train.data_path: 'gpu' is not one of"):
        resolve_data_path("gpu", CUDA, 10, 2e9)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("path", ["resident", "stream"])
def test_cuda_paths_match_the_memory_map(dataset, path):
    index_lists = [np.array([5, 1, 9]), np.array([0, 0, 10]), np.array([4])] * 3
    for batch, indices in zip(
        DeviceBatches(dataset, CUDA, path).batches(index_lists), index_lists, strict=True
    ):
        assert batch.inputs.device.type == "cuda" and batch.geometry.crop.device.type == "cuda"
        _assert_batch_is(batch, dataset, indices)
