"""The clip store: round trip, memory mapping, validation errors and atomic writes."""

import json

import numpy as np
import pytest

from vidpose.clips.clip_store import CLIP_COLUMNS, StoreWriter, open_store, write_store
from vidpose.infra.errors import UserError

N, T, H, W = 3, 4, 8, 10


def make_arrays(seed=0):
    rng = np.random.default_rng(seed)
    poses3d = rng.normal(scale=0.3, size=(N, T, 17, 3)).astype(np.float32)
    poses3d[:, :, 0] = 0
    return {
        "poses3d": poses3d,
        "poses2d": rng.uniform(0, W, size=(N, T, 17, 2)).astype(np.float32),
        "frames": rng.integers(0, 256, size=(N, T, H, W, 3), dtype=np.uint8),
        "root": rng.normal(size=(N, T, 3)).astype(np.float32),
        "crop": rng.uniform(0, 100, size=(N, T, 3)).astype(np.float32),
        "intrinsics": rng.uniform(500, 1000, size=(N, 4)).astype(np.float32),
    }


def make_clips(n=N):
    return [
        {"subject": f"S{i + 1}", "action": "Walking", "camera": "54138969", "sequence": "Walking 1",
         "start_frame": 10 * i}
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def store_dir(tmp_path):
    path = tmp_path / "train"
    write_store(path, clips=make_clips(), source={"kind": "test"}, fps=25.0, **make_arrays())
    return path


def leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_round_trip(store_dir):
    arrays = make_arrays()
    store = open_store(store_dir)
    for name, expected in arrays.items():
        np.testing.assert_array_equal(getattr(store, name), expected)
    assert store.clips == make_clips()
    assert (store.num_clips, store.frames_per_clip, len(store)) == (N, T, N)
    assert store.image_size == (H, W)
    assert store.subjects == ["S1", "S2", "S3"] and store.actions == ["Walking"]
    assert store.column("start_frame").tolist() == [0, 10, 20]
    assert store.meta["fps"] == 25.0 and store.meta["source"] == {"kind": "test"}
    assert store.meta["format_version"] == 1
    assert (store_dir / "clips.csv").read_text().splitlines()[0] == ",".join(CLIP_COLUMNS)
    assert leftovers(store_dir.parent) == []


def test_frames_are_memory_mapped_until_asked(store_dir):
    store = open_store(store_dir)
    assert isinstance(store.frames, np.memmap) and not store.frames.flags.writeable
    loaded = open_store(store_dir, load_frames=True).frames
    # Really in memory: owning its data, not a view of the map.
    assert not isinstance(loaded, np.memmap) and loaded.flags.owndata
    assert store.load_frames().flags.owndata
    np.testing.assert_array_equal(store.load_frames(), loaded)


def test_pose_only_store(tmp_path):
    arrays = make_arrays()
    del arrays["frames"]
    store = write_store(tmp_path / "poses", clips=make_clips(), **arrays)
    assert not store.has_frames and store.image_size is None
    assert not (tmp_path / "poses" / "frames.npy").exists()
    with pytest.raises(UserError, match="no frames"):
        store.load_frames()


def test_writer_in_chunks(tmp_path):
    arrays = make_arrays()
    with StoreWriter(tmp_path / "s", N, T, (H, W), source={"kind": "test"}) as writer:
        for i in range(N):
            writer.write(i, frames=arrays["frames"][i], poses3d=arrays["poses3d"][i])
            writer.write(slice(i, i + 1), poses2d=arrays["poses2d"][i : i + 1])
        writer.set_clips(make_clips())
    store = open_store(tmp_path / "s")
    np.testing.assert_array_equal(store.frames, arrays["frames"])
    assert store.root is None


def rewrite_json(path, **changes):
    meta = json.loads(path.read_text())
    meta.update(changes)
    path.write_text(json.dumps(meta))


def truncate(path, keep_bytes=-100):
    data = path.read_bytes()
    path.write_bytes(data[:keep_bytes])


CORRUPTIONS = {
    "missing meta": ("meta.json", "missing", lambda d: (d / "meta.json").unlink()),
    "meta not json": ("meta.json", "not valid JSON", lambda d: (d / "meta.json").write_text("{")),
    "meta not a store": (
        "meta.json",
        "not a vidpose-clip-store",
        lambda d: rewrite_json(d / "meta.json", format="other"),
    ),
    "meta too new": (
        "meta.json",
        "format_version",
        lambda d: rewrite_json(d / "meta.json", format_version=99),
    ),
    "meta joints": (
        "meta.json",
        "joint_names",
        lambda d: rewrite_json(d / "meta.json", joint_names=["a"] * 17),
    ),
    "meta no image size": (
        "meta.json",
        "image_size",
        lambda d: rewrite_json(d / "meta.json", image_size=None),
    ),
    "missing poses3d": ("poses3d.npy", "missing", lambda d: (d / "poses3d.npy").unlink()),
    "missing frames": ("frames.npy", "missing", lambda d: (d / "frames.npy").unlink()),
    "missing clips": ("clips.csv", "missing", lambda d: (d / "clips.csv").unlink()),
    "poses3d dtype": (
        "poses3d.npy",
        "dtype float64",
        lambda d: np.save(d / "poses3d.npy", np.zeros((N, T, 17, 3))),
    ),
    "poses3d shape": (
        "poses3d.npy",
        "shape",
        lambda d: np.save(d / "poses3d.npy", np.zeros((N, T, 16, 3), np.float32)),
    ),
    "poses2d count": (
        "poses2d.npy",
        "shape",
        lambda d: np.save(d / "poses2d.npy", np.zeros((N, T + 1, 17, 2), np.float32)),
    ),
    "frames dtype": (
        "frames.npy",
        "dtype float32",
        lambda d: np.save(d / "frames.npy", np.zeros((N, T, H, W, 3), np.float32)),
    ),
    "poses3d nan": (
        "poses3d.npy",
        "NaN",
        lambda d: np.save(d / "poses3d.npy", np.full((N, T, 17, 3), np.nan, np.float32)),
    ),
    "root inf": (
        "root.npy",
        "NaN or inf",
        lambda d: np.save(d / "root.npy", np.full((N, T, 3), np.inf, np.float32)),
    ),
    "truncated poses": ("poses3d.npy", "not a readable", lambda d: truncate(d / "poses3d.npy")),
    "truncated frames": ("frames.npy", "not a readable", lambda d: truncate(d / "frames.npy")),
    "garbage npy": (
        "poses2d.npy",
        "not a readable",
        lambda d: (d / "poses2d.npy").write_text("hello"),
    ),
    "csv columns": (
        "clips.csv",
        "columns",
        lambda d: (d / "clips.csv").write_text("subject,action\nS1,Walking\n"),
    ),
    "csv start_frame": (
        "clips.csv",
        "start_frame",
        lambda d: (d / "clips.csv").write_text(
            "subject,action,camera,sequence,start_frame\n" + "S1,Walk,c,s,x\n" * N
        ),
    ),
    "csv row count": (
        "clips.csv",
        f"2 rows, but poses3d.npy holds {N} clips",
        lambda d: (d / "clips.csv").write_text(
            "subject,action,camera,sequence,start_frame\n" + "S1,Walk,c,s,0\n" * 2
        ),
    ),
}


@pytest.mark.parametrize("case", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_validation_names_the_file_and_problem(store_dir, case):
    file_name, problem, corrupt = CORRUPTIONS[case]
    corrupt(store_dir)
    with pytest.raises(UserError) as info:
        open_store(store_dir)
    message = str(info.value)
    assert str(store_dir / file_name) in message
    assert problem in message
    assert "\n" not in message


def test_missing_store_directory(tmp_path):
    with pytest.raises(UserError, match="not a clip store directory"):
        open_store(tmp_path / "nowhere")


def test_overwrite(store_dir):
    with pytest.raises(UserError, match="already exists"):
        write_store(store_dir, clips=make_clips(), **make_arrays(seed=1))
    np.testing.assert_array_equal(open_store(store_dir).poses3d, make_arrays()["poses3d"])
    write_store(store_dir, clips=make_clips(), overwrite=True, **make_arrays(seed=1))
    np.testing.assert_array_equal(open_store(store_dir).poses3d, make_arrays(seed=1)["poses3d"])
    assert leftovers(store_dir.parent) == []


def test_failure_mid_write_leaves_nothing(tmp_path):
    out = tmp_path / "new"
    arrays = make_arrays()
    with pytest.raises(RuntimeError), StoreWriter(out, N, T, (H, W), source={}) as writer:
        writer.write(slice(0, 1), frames=arrays["frames"][:1])
        raise RuntimeError("disk on fire")
    assert not out.exists() and leftovers(tmp_path) == []


def test_unwritten_entries_fail_the_commit_and_leave_nothing(tmp_path):
    out = tmp_path / "new"
    arrays = make_arrays()
    with pytest.raises(UserError, match="unwritten"), StoreWriter(out, N, T, None, source={}) as w:
        w.write(slice(0, N - 1), poses3d=arrays["poses3d"][:-1], poses2d=arrays["poses2d"][:-1])
        w.set_clips(make_clips())
    assert not out.exists() and leftovers(tmp_path) == []


def test_failed_overwrite_keeps_the_old_store(store_dir):
    with pytest.raises(RuntimeError), StoreWriter(store_dir, N, T, None, source={}, overwrite=True):
        raise RuntimeError("interrupted")
    np.testing.assert_array_equal(open_store(store_dir).poses3d, make_arrays()["poses3d"])
    assert leftovers(store_dir.parent) == []


def test_reserving_space_without_fallocate_checks_the_free_space(tmp_path, monkeypatch):
    import errno
    import os
    import shutil

    from vidpose.clips import clip_store as store_module

    path = tmp_path / "frames.npy"
    with open(path, "wb") as handle:
        handle.truncate(5_000_000)  # sparse, as a new memmap is

    def unsupported(fd, offset, length):
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))

    monkeypatch.setattr(os, "posix_fallocate", unsupported, raising=False)
    store_module.reserve_file_space(path, tmp_path / "out")  # enough space here
    usage = shutil.disk_usage(tmp_path)._replace(free=1_000_000)
    monkeypatch.setattr(store_module.shutil, "disk_usage", lambda p: usage)
    with pytest.raises(UserError) as info:
        store_module.reserve_file_space(path, tmp_path / "out")
    assert str(info.value) == (
        f"{tmp_path / 'out'}: no space left on the device: frames.npy needs 5.0 MB, "
        "1.0 MB free there"
    )


def test_another_kind_of_store_names_its_format(tmp_path):
    (tmp_path / "meta.json").write_text('{"format": "vidpose-sequences", "version": 1}')
    with pytest.raises(UserError) as info:
        open_store(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'meta.json'}: not a vidpose-clip-store meta file (format 'vidpose-sequences')"
    )
