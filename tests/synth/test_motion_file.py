import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.pose import skeleton
from vidpose.synth.body import make_subject
from vidpose.synth.generate import generate_dataset
from vidpose.synth.motion import action_motion

SETTINGS = dict(size=32, frames=4, stride=2, supersample=1)  # a clip spans 7 source frames


def _positions(frames=60, seed=0, subject="S8", action="Waving"):
    rng = np.random.default_rng(seed)
    joints = action_motion(action, make_subject(subject), frames, rng)
    joints[..., :2] += [2.0, -1.0]  # away from the origin: the cameras must follow
    joints[..., 2] += 0.5  # floor not at z = 0 in the file
    return joints


def test_single_sequence_is_split_in_time_and_keeps_its_bones(tmp_path):
    positions = _positions(80)
    path = tmp_path / "walk.npz"
    np.savez(path, positions=positions, subject="Mocap1", action="Dancing")
    train, test = generate_dataset(tmp_path / "out", motion=path, **SETTINGS)
    for store in (train, test):
        assert store.subjects == ["Mocap1"] and store.actions == ["Dancing"]
        lengths = skeleton.bone_lengths(store.poses3d)
        expected = skeleton.bone_lengths(positions[0])
        np.testing.assert_allclose(lengths, np.broadcast_to(expected, lengths.shape), atol=1e-5)
        assert store.poses2d.min() > 0 and store.poses2d.max() < 32
    # 64 train frames and 16 test frames, cut into non-overlapping 7-frame clips, 4 cameras
    assert train.num_clips == 4 * (64 // 7) and test.num_clips == 4 * (16 // 7)
    starts = np.sort(train.column("start_frame")[train.column("camera") == "54138969"])
    assert np.diff(starts).min() >= 7  # clips do not overlap


def test_named_sequences_split_by_subject(tmp_path):
    path = tmp_path / "many.npz"
    np.savez(
        path,
        positions_a=_positions(30, 0),
        subject_a="S1",
        action_a="Greeting",
        positions_b=_positions(40, 1),
        subject_b=np.bytes_(b"S9"),
        positions_c=_positions(30, 2),
        subject_c="S11",
        action_c="Eating",
    )
    train, test = generate_dataset(tmp_path / "out", motion=path, **SETTINGS)
    assert train.subjects == ["S1"] and train.actions == ["Greeting"]
    assert test.subjects == ["S11", "S9"] and test.actions == ["Eating", "b"]
    original = _positions(40, 1)
    b = test.column("sequence") == "b"
    np.testing.assert_allclose(
        skeleton.bone_lengths(test.poses3d[b]).mean(axis=(0, 1)),
        skeleton.bone_lengths(original).mean(axis=0),
        atol=1e-5,
    )


def _write(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (dict(poses=np.zeros((50, 17, 3))), "no 'positions'"),
        (dict(positions=np.zeros((50, 16, 3))), r"shape \(50, 16, 3\)"),
        (dict(positions=np.zeros((50, 17))), r"expected \(F, 17, 3\)"),
        (dict(positions=np.full((50, 17, 3), np.nan)), "NaN or inf"),
        (dict(positions=np.full((50, 17, 3), np.inf)), "NaN or inf"),
        (dict(positions=np.zeros((5, 17, 3))), "5 frames, fewer than the 7"),
        (dict(positions=1000 * np.random.default_rng(0).normal(size=(50, 17, 3))), "metres"),
        (dict(positions=np.zeros((50, 17, 3)), subject=np.array(["a", "b"])), "single string"),
        (dict(positions=np.array([["a"] * 3] * 17 * 50).reshape(50, 17, 3)), "dtype"),
    ],
)
def test_malformed_motion_files_are_refused(tmp_path, arrays, message):
    path = _write(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UserError, match=message):
        generate_dataset(tmp_path / "out", motion=path, **SETTINGS)
    assert not (tmp_path / "out").exists()


def test_unreadable_or_missing_motion_files_are_refused(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(UserError, match=r"junk.npz: not an .npz file \(not a NumPy archive\)"):
        generate_dataset(tmp_path / "out", motion=tmp_path / "junk.npz", **SETTINGS)
    with pytest.raises(UserError, match="does not exist"):
        generate_dataset(tmp_path / "out", motion=tmp_path / "nope.npz", **SETTINGS)
    np.save(tmp_path / "single.npy", np.zeros((50, 17, 3)))
    with pytest.raises(UserError, match="not an .npz"):
        generate_dataset(tmp_path / "out", motion=tmp_path / "single.npy", **SETTINGS)
    assert not (tmp_path / "out").exists()


def test_a_single_short_sequence_cannot_be_split(tmp_path):
    path = _write(tmp_path / "short.npz", positions=_positions(20))
    with pytest.raises(UserError, match="cannot be split"):
        generate_dataset(tmp_path / "out", motion=path, **SETTINGS)


def test_clip_counts_cannot_be_set_with_a_motion_file(tmp_path):
    path = _write(tmp_path / "m.npz", positions=_positions(80))
    with pytest.raises(UserError, match="train_clips cannot be set with a motion file"):
        generate_dataset(tmp_path / "out", motion=path, train_clips=3, **SETTINGS)
    assert not (tmp_path / "out").exists()
