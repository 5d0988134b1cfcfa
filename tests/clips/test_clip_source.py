import numpy as np
import pytest

from vidpose.clips.clip_source import ClipDataset
from vidpose.clips.clip_store import write_store
from vidpose.infra.errors import UserError


def _store(path, n=6, t=3, frames=True):
    rng = np.random.default_rng(0)
    poses = rng.normal(size=(n, t, 17, 3)).astype(np.float32)
    clip_rows = [
        {"subject": "S1", "action": "Walking", "camera": "c", "sequence": "s", "start_frame": i}
        for i in range(n)
    ]
    return write_store(
        path,
        poses3d=poses,
        poses2d=np.zeros((n, t, 17, 2), np.float32),
        clips=clip_rows,
        frames=rng.integers(0, 255, (n, t, 8, 10, 3), dtype=np.uint8) if frames else None,
    )


def test_items_and_batches_keep_the_requested_order(tmp_path):
    store = _store(tmp_path / "s")
    data = ClipDataset(store, clip_frames=3)
    frames, poses = data[4]
    assert frames.shape == (3, 8, 10, 3) and frames.dtype == np.uint8
    assert np.array_equal(poses, store.poses3d[4])
    indices = np.array([5, 1, 3, 1])
    batch = data.get_batch(indices)
    assert batch.inputs.shape == (4, 3, 8, 10, 3)
    assert np.array_equal(batch.inputs.numpy(), np.asarray(store.frames)[indices])
    assert np.array_equal(batch.poses3d.numpy(), store.poses3d[indices])
    assert np.array_equal(batch.poses2d.numpy(), store.poses2d[indices])
    assert batch.geometry is None  # the store records no crops
    assert np.array_equal(batch.indices, indices)


def test_wrong_clip_length_and_pose_only_stores_are_user_errors(tmp_path):
    store = _store(tmp_path / "s")
    with pytest.raises(UserError, match="data.clip_frames: 8, but .* holds 3-frame clips"):
        ClipDataset(store, clip_frames=8)
    with pytest.raises(UserError, match="no frames"):
        ClipDataset(_store(tmp_path / "p", frames=False))
