"""``vidpose info``: description, pose statistics, mean-pose baseline, and no frame loading."""

import json
import tracemalloc

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import write_store
from vidpose.pose import skeleton

T = 4


def stick_pose(bone_m=0.1, lean=0.0):
    """A pose (17, 3) whose every bone is ``bone_m`` long; ``lean`` tilts it about z."""
    directions = {1: (-1, 0, 0), 4: (1, 0, 0), 7: (0, -1, 0)}  # hips sideways, spine up
    directions.update({j: (0, 1, 0) for j in (2, 3, 5, 6)})  # legs down (y points down)
    directions.update({j: (0, -1, 0) for j in (8, 9, 10)})
    directions.update({11: (1, 0, 0), 12: (1, 0, 0), 13: (1, 0, 0)})
    directions.update({14: (-1, 0, 0), 15: (-1, 0, 0), 16: (-1, 0, 0)})
    c, s = np.cos(lean), np.sin(lean)
    turn = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    pose = np.zeros((17, 3))
    for joint in range(1, 17):
        pose[joint] = pose[skeleton.PARENTS[joint]] + bone_m * turn @ np.array(directions[joint])
    return pose


def make_store(path, clip_poses, subjects, actions, frames_hw=(6, 8), root=True):
    """A store with one clip per pose (T identical frames each)."""
    n = len(clip_poses)
    poses3d = np.repeat(np.asarray(clip_poses, np.float32)[:, None], T, axis=1)
    extra = {"root": np.full((n, T, 3), [0.0, 0.0, 4.5], np.float32)} if root else {}
    if root:
        extra["root"][:, :, 2] += np.arange(n, dtype=np.float32)[:, None]
    frames = None
    if frames_hw is not None:
        frames = np.zeros((n, T, *frames_hw, 3), np.uint8)
    clips = [
        {"subject": s, "action": a, "camera": "54138969", "sequence": a, "start_frame": 0}
        for s, a in zip(subjects, actions, strict=True)
    ]
    return write_store(
        path,
        poses3d=poses3d,
        poses2d=np.zeros((n, T, 17, 2), np.float32),
        clips=clips,
        frames=frames,
        source={"kind": "test"},
        fps=50.0,
        frame_stride=2,
        **extra,
    )


@pytest.fixture
def splits(tmp_path):
    a, b = stick_pose(0.1), stick_pose(0.1, lean=0.5)
    make_store(tmp_path / "train", [a, b, a, b], ["S1", "S1", "S5", "S5"], ["Eat", "Walk"] * 2)
    make_store(tmp_path / "test", [a, a, b], ["S9", "S11", "S11"], ["Eat", "Eat", "Walk"])
    return tmp_path


def info_json(capsys, *args):
    assert main(["info", *map(str, args), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def expected_baseline_mm():
    """Train mean = (a + b) / 2; test frames are a, a, b: each is |a - b| / 2 from the mean."""
    a, b = stick_pose(0.1), stick_pose(0.1, lean=0.5)
    return 1000 * np.linalg.norm(a - b, axis=-1).mean() / 2


def test_json_description(splits, capsys):
    info = info_json(capsys, splits / "test")
    assert (info["num_clips"], info["frames_per_clip"]) == (3, T)
    assert info["subjects"] == {"S11": 2, "S9": 1}
    assert info["actions"] == {"Eat": 2, "Walk": 1}
    assert info["cameras"] == {"54138969": 3}
    assert info["image_size"] == [6, 8] and info["has_frames"]
    assert info["arrays"]["frames"] == {"shape": [3, T, 6, 8, 3], "dtype": "uint8"}
    assert (info["fps"], info["frame_stride"], info["clip_fps"]) == (50.0, 2, 25.0)
    assert len(info["bone_lengths_mm"]) == 16
    assert info["bone_lengths_mm"]["thorax-left_shoulder"] == pytest.approx(100.0, rel=1e-6)
    for length in info["bone_lengths_mm"].values():
        assert length == pytest.approx(100.0, rel=1e-6)
    # The upright pose spans 600 mm in x (wrist to wrist) and in y (ankles to head); z is flat.
    a, b = stick_pose(0.1), stick_pose(0.1, lean=0.5)
    extent = info["extent_mm"]
    assert extent["z"] == {"min": 0.0, "max": 0.0, "mean_frame_extent": 0.0}
    for axis, i, upright in (("x", 0, 600.0), ("y", 1, 600.0)):
        assert np.ptp(a[:, i]) * 1000 == pytest.approx(upright)
        leaned = np.ptp(b[:, i]) * 1000
        assert extent[axis]["mean_frame_extent"] == pytest.approx((2 * upright + leaned) / 3)
        assert extent[axis]["max"] == pytest.approx(1000 * max(a[:, i].max(), b[:, i].max()))
        assert extent[axis]["min"] == pytest.approx(1000 * min(a[:, i].min(), b[:, i].min()))
    assert info["root_depth_m"] == {"min": 4.5, "max": 6.5}


def test_mean_pose_baseline_from_either_sibling(splits, capsys):
    from_test = info_json(capsys, splits / "test")["mean_pose_baseline"]
    from_train = info_json(capsys, splits / "train")["mean_pose_baseline"]
    assert from_test == from_train
    assert from_test["mpjpe_mm"] == pytest.approx(expected_baseline_mm(), rel=1e-5)
    assert from_test["train"].endswith("train") and from_test["test"].endswith("test")


def test_baseline_with_explicit_training_store(splits, capsys):
    (splits / "test").rename(splits / "heldout")
    info = info_json(capsys, splits / "heldout")
    assert info["mean_pose_baseline"] is None
    info = info_json(capsys, splits / "heldout", "--train", splits / "train")
    assert info["mean_pose_baseline"]["mpjpe_mm"] == pytest.approx(expected_baseline_mm(), rel=1e-5)


def test_table(splits, capsys):
    assert main(["info", str(splits / "test")]) == 0
    out = capsys.readouterr().out
    assert "3 clips x 4 frames = 12 frames" in out
    assert "S11 (2), S9 (1)" in out and "Eat (2), Walk (1)" in out
    assert "8x6 pixels" in out and "25 fps within a clip" in out
    assert "thorax-left_shoulder" in out and "100.0" in out
    assert "root depth     4.50 .. 6.50 m" in out
    assert f"mean-pose baseline: {expected_baseline_mm():.1f} mm" in out


def test_pose_only_store_without_root(tmp_path, capsys):
    make_store(tmp_path / "alone", [stick_pose()], ["S1"], ["Eat"], frames_hw=None, root=False)
    info = info_json(capsys, tmp_path / "alone")
    assert not info["has_frames"] and info["image_size"] is None
    assert info["root_depth_m"] is None and info["mean_pose_baseline"] is None
    assert main(["info", str(tmp_path / "alone")]) == 0
    out = capsys.readouterr().out
    assert "none (pose-only store)" in out and "--train" in out


def test_broken_sibling_is_reported_not_fatal(splits, capsys):
    (splits / "train" / "clips.csv").unlink()
    baseline = info_json(capsys, splits / "test")["mean_pose_baseline"]
    assert "clips.csv" in baseline["skipped"]


@pytest.mark.parametrize("broken", ["store", "train"])
def test_bad_store_is_one_line_exit_2(splits, capsys, broken):
    (splits / "train" / "poses3d.npy").write_bytes(b"not numpy")
    args = [str(splits / "train")] if broken == "store" else [str(splits / "test"), "--train"]
    if broken == "train":
        args.append(str(splits / "train"))
    assert main(["info", *args]) == 2
    err = capsys.readouterr().err.strip().split("\n")
    assert len(err) == 1 and err[0].startswith("vidpose info: error: ")
    assert "poses3d.npy" in err[0]


def test_missing_paths(tmp_path, splits, capsys):
    assert main(["info", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert main(["info", str(splits / "test"), "--train", str(tmp_path / "gone")]) == 2
    assert "--train" in capsys.readouterr().err


def test_frames_are_not_read_into_memory(tmp_path, capsys):
    n = 12  # 12 clips x 4 frames x 240 x 320 x 3 = 11 MB of frames
    make_store(tmp_path / "big", [stick_pose()] * n, ["S1"] * n, ["Eat"] * n, frames_hw=(240, 320))
    tracemalloc.start()
    try:
        assert main(["info", str(tmp_path / "big"), "--json"]) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    capsys.readouterr()
    assert peak < 2_000_000  # far below the 11 MB of frames


def test_an_existing_file_is_not_said_to_be_missing(tmp_path, capsys):
    path = tmp_path / "poses3d.npy"
    np.save(path, np.zeros((1, 17, 3)))
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"vidpose info: error: {path}: not a store directory (it is a file)\n"


def make_sequences(path, poses, subjects, actions):
    """A sequence store with one sequence per entry of ``poses`` (3 frames of that pose each,
    1 m from a 1000x1000 camera), 2D source ``gt`` (H36M-17) and ``coco`` (COCO-17)."""
    from vidpose.sequences import write_sequences

    n, frames = len(poses), 3
    poses3d = np.repeat(np.asarray(poses, np.float32), frames, axis=0)
    root = np.tile(np.float32([0.0, 0.0, 4.0]), (n * frames, 1))
    rows = [
        dict(subject=s, action=a, camera="c1", sequence=a, frames=frames, width=1000, height=1000)
        for s, a in zip(subjects, actions, strict=True)
    ]
    keypoints = np.full((n * frames, 17, 2), 500.0, np.float32)
    coco = np.full((n * frames, 17, 2), 500.0, np.float32)
    return write_sequences(
        path,
        rows,
        poses3d,
        root,
        np.tile(np.float32([1000, 1000, 500, 500]), (n, 1)),
        {"gt": (keypoints, "h36m17"), "coco": (coco, "coco17")},
        source="test",
        missing_2d={"coco": [0]},
    )


@pytest.fixture
def sequence_splits(tmp_path):
    tmp_path = tmp_path / "sequences"
    a, b = stick_pose(0.1), stick_pose(0.1, lean=0.5)
    make_sequences(tmp_path / "train", [a, b, a, b], ["S1", "S1", "S5", "S5"], ["Eat", "Walk"] * 2)
    make_sequences(tmp_path / "test", [a, a, b], ["S9", "S11", "S11"], ["Eat", "Eat", "Walk"])
    return tmp_path


def test_a_sequence_store_is_described_too(sequence_splits, capsys):
    info = info_json(capsys, sequence_splits / "test")
    assert info["kind"] == "pose-sequence store"
    assert (info["num_sequences"], info["num_frames"]) == (3, 9)
    assert info["frames_per_sequence"] == {"min": 3, "max": 3}
    assert info["subjects"] == {"S11": 2, "S9": 1} and info["actions"] == {"Eat": 2, "Walk": 1}
    assert info["sources_2d"] == {
        "gt": {"layout": "h36m17", "missing_sequences": 0},
        "coco": {"layout": "coco17", "missing_sequences": 1},
    }
    assert info["default_2d"] == "gt" and info["image_sizes"] == {"1000x1000": 3}
    assert info["arrays"]["keypoints2d_coco"] == {"shape": [9, 17, 3], "dtype": "float32"}
    assert info["root_depth_m"] == {"min": 4.0, "max": 4.0}
    for length in info["bone_lengths_mm"].values():
        assert length == pytest.approx(100.0, rel=1e-6)
    baseline = info["mean_pose_baseline"]
    assert baseline["mpjpe_mm"] == pytest.approx(expected_baseline_mm(), rel=1e-5)
    assert main(["info", str(sequence_splits / "test")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"sequence store {sequence_splits / 'test'}  (format v1, source: ?)")
    assert "3 sequences, 9 frames (3..3 per sequence), 3 in the standard evaluation" in out
    assert "gt (h36m17, default), coco (coco17, missing in 1)" in out
    assert f"mean-pose baseline: {expected_baseline_mm():.1f} mm" in out


def test_a_training_store_of_the_other_kind_is_refused(sequence_splits, splits, capsys):
    args = ["info", str(sequence_splits / "test"), "--train", str(splits / "train")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        f"vidpose info: error: --train {splits / 'train'}: a clip store, but "
        f"{sequence_splits / 'test'} is a pose-sequence store\n"
    )
