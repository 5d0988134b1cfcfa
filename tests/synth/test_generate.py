import json

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.pose import skeleton
from vidpose.synth import generate
from vidpose.synth.generate import generate_dataset
from vidpose.synth.motion import RENDERED_ACTIONS
from vidpose.synth.plan import PRESETS, procedural_units
from vidpose.synth.studio_cameras import CAMERA_IDS, project_to_stored

SMALL = dict(size=32, frames=4, train_clips=6, test_clips=3, seconds=1.0, supersample=1)


def test_tiny_preset_writes_both_splits_like_human36m(tiny_dataset):
    train, test = tiny_dataset
    preset = PRESETS["tiny"]
    for store, subjects, count in (
        (train, skeleton.TRAIN_SUBJECTS, preset.train_clips),
        (test, skeleton.TEST_SUBJECTS, preset.test_clips),
    ):
        assert store.num_clips == count and store.frames_per_clip == preset.frames
        assert store.frames.shape[2:] == (preset.size, preset.size, 3)
        assert set(store.subjects) <= set(subjects)
        assert set(store.actions) <= set(RENDERED_ACTIONS) and len(store.actions) >= 5
        assert set(store.column("camera")) <= set(CAMERA_IDS)
        assert store.meta["fps"] == 50.0 and store.meta["frame_stride"] == preset.stride
        assert store.meta["source"]["kind"] == "synth"
        np.testing.assert_allclose(store.poses3d[:, :, 0], 0, atol=1e-6)  # root-relative
        assert store.root[..., 2].min() > 3 and store.root[..., 2].max() < 9  # metres away
        assert store.frames[0].std() > 10  # frames are pictures, not blanks
    assert len(train.subjects) == 5


def test_poses3d_and_root_project_onto_poses2d(tiny_dataset):
    for store in tiny_dataset:
        size = store.image_size[0]
        projected = project_to_stored(store.poses3d, store.root, store.intrinsics, store.crop, size)
        np.testing.assert_allclose(projected, store.poses2d, atol=0.01)
        assert store.poses2d.min() > 0 and store.poses2d.max() < size  # joints inside the crop
        assert (
            "u = (fx * X / Z + cx - x0) * S / side" in store.meta["crop_convention"]["projection"]
        )


def test_meta_records_the_generation_settings(tiny_dataset):
    train, _ = tiny_dataset
    meta = json.loads((train.path / "meta.json").read_text())
    assert meta["source"]["settings"]["size"] == PRESETS["tiny"].size
    assert meta["crop_convention"]["source_image_size"] == [1000, 1000]


def test_mean_pose_baseline_is_human36m_hard(tiny_dataset):
    train, test = tiny_dataset
    mean_pose = train.poses3d.reshape(-1, 17, 3).mean(axis=0)
    error_mm = 1000 * np.linalg.norm(test.poses3d - mean_pose, axis=-1).mean()
    assert error_mm > 100


def test_every_action_appears_for_every_subject_in_the_big_presets():
    units = procedural_units(PRESETS["h36m"], seed=0)
    for split, subjects in (("train", skeleton.TRAIN_SUBJECTS), ("test", skeleton.TEST_SUBJECTS)):
        pairs = {(u.subject, u.action) for u in units[split]}
        assert pairs == {(s, a) for s in subjects for a in RENDERED_ACTIONS}
    assert sum(u.num_clips for u in units["train"]) == 5964
    assert sum(u.num_clips for u in units["test"]) == 1368


def test_same_arguments_give_identical_bytes_whatever_the_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "MIN_CLIPS_PER_WORKER", 1)  # really use two processes
    generate_dataset(tmp_path / "one", workers=1, **SMALL)
    generate_dataset(tmp_path / "two", workers=2, **SMALL)
    for split in ("train", "test"):
        names = sorted(p.name for p in (tmp_path / "one" / split).iterdir())
        assert names == sorted(p.name for p in (tmp_path / "two" / split).iterdir())
        for name in names:
            a = (tmp_path / "one" / split / name).read_bytes()
            assert a == (tmp_path / "two" / split / name).read_bytes(), f"{split}/{name}"


def test_another_seed_gives_other_clips(tmp_path):
    a, _ = generate_dataset(tmp_path / "a", seed=0, **SMALL)
    b, _ = generate_dataset(tmp_path / "b", seed=1, **SMALL)
    assert not np.array_equal(a.poses3d, b.poses3d)
    assert not np.array_equal(a.load_frames(), b.load_frames())


def test_existing_output_is_refused_then_replaced_with_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "train").mkdir()
    with pytest.raises(UserError, match="already exists"):
        generate_dataset(out, **SMALL)
    assert list(out.iterdir()) == [out / "train"]
    train, _ = generate_dataset(out, overwrite=True, **SMALL)
    assert train.num_clips == SMALL["train_clips"]


def test_overwrite_refuses_a_directory_that_is_not_a_synth_output(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(UserError, match="not a synth output"):
        generate_dataset(tmp_path / "mine", overwrite=True, **SMALL)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict(size=0), "size = 0"),
        (dict(train_clips=0), "train_clips = 0"),
        (dict(test_clips=-3), "test_clips = -3"),
        (dict(frames=100, stride=10, seconds=2.0), "longer than a 2 s take"),
        (dict(preset="huge"), "preset 'huge' unknown"),
        (dict(colour="blue"), "unknown setting"),
        (dict(seed=-1), "seed"),
        (dict(workers=0), "workers"),
    ],
)
def test_impossible_settings_are_refused_and_nothing_is_written(tmp_path, settings, message):
    with pytest.raises(UserError, match=message):
        generate_dataset(tmp_path / "out", **settings)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_half_way_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    real = generate.render_unit

    def failing(unit):
        calls.append(unit)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(unit)

    monkeypatch.setattr(generate, "render_unit", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_dataset(tmp_path / "new" / "dirs" / "out", **SMALL)
    assert list(tmp_path.iterdir()) == []  # not even the parent folders it made


@pytest.mark.parametrize("count", [1, 3, 6, 20])
def test_clip_starts_stay_inside_the_take_and_overlap_only_when_they_must(count):
    starts = np.array(generate.clip_starts(100, 15, count, np.random.default_rng(0)))
    assert len(starts) == count and starts.min() >= 0 and starts.max() <= 85
    gaps = np.diff(starts)
    assert (gaps >= 15).all() if count * 15 <= 100 else (gaps >= 0).all()


def test_not_enough_disk_space_is_refused_before_rendering(tmp_path, monkeypatch):
    usage = generate.shutil.disk_usage(tmp_path)._replace(free=10_000)
    monkeypatch.setattr(generate.shutil, "disk_usage", lambda path: usage)
    with pytest.raises(UserError, match=r"the frames need 0\.\d MB, only 0\.0 MB free"):
        generate_dataset(tmp_path / "out", **SMALL)
    assert list(tmp_path.iterdir()) == []
