"""The pose-sequence store: a written store reopens identically; bad stores are one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.keypoints.layouts import to_h36m17
from vidpose.sequences import (
    SequenceInfo,
    add_2d_source,
    open_sequences,
    write_sequences,
)

LENGTHS = (5, 3, 4)


def arrays(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    frames = sum(LENGTHS)
    poses3d = rng.normal(0, 0.3, (frames, 17, 3)).astype(np.float32)
    poses3d[:, 0] = 0
    sequences = [
        {"subject": "S1", "action": "Walking", "camera": "54138969", "sequence": "Walking 1",
         "frames": LENGTHS[0], "width": 1000, "height": 1002},
        {"subject": "S1", "action": "Walking", "camera": "55011271", "sequence": "Walking 1",
         "frames": LENGTHS[1], "width": 1000, "height": 1000},
        {"subject": "S11", "action": "Directions", "camera": "54138969", "sequence": "Directions",
         "frames": LENGTHS[2], "width": 1000, "height": 1002},
    ]  # fmt: skip
    return {
        "sequences": sequences,
        "poses3d": poses3d,
        "root": rng.normal((0, 0, 5), 0.1, (frames, 3)).astype(np.float32),
        "intrinsics": np.tile(np.float32([1145, 1144, 512, 515]), (3, 1)),
        "keypoints": {
            "gt": (rng.uniform(0, 1000, (frames, 17, 2)).astype(np.float32), "h36m17"),
            "det": (rng.uniform(0, 1, (frames, 17, 3)).astype(np.float32), "coco"),
        },
    }


def write(path, **changes):
    values = {**arrays(), **changes}
    return write_sequences(
        path,
        values.pop("sequences"),
        values.pop("poses3d"),
        values.pop("root"),
        values.pop("intrinsics"),
        values.pop("keypoints"),
        source="test",
        fps=50.0,
        from_mocap=True,
        missing_2d={"det": [2]},
        extra_meta={"exclude_from_evaluation": [
            {"subject": "S11", "sequence": "Directions", "reason": "known corrupt video"}]},
        **values,
    )  # fmt: skip


def test_a_written_store_reopens_identically(tmp_path):
    given = arrays()
    written = write(tmp_path / "train")
    store = open_sequences(tmp_path / "train")
    assert store.sequences == written.sequences
    assert [info.start for info in store.sequences] == [0, 5, 8]
    assert store.sequences[1] == SequenceInfo(
        "S1", "Walking", "55011271", "Walking 1", 5, 3, 1000, 1000
    )
    np.testing.assert_array_equal(store.poses3d, given["poses3d"])
    assert store.poses3d.dtype == np.float32 and store.keypoints_raw("gt").dtype == np.float32
    np.testing.assert_array_equal(store.root, given["root"])
    np.testing.assert_array_equal(store.intrinsics, given["intrinsics"])
    assert isinstance(store.poses3d, np.memmap)
    assert store.fps == 50.0 and store.from_mocap is True and store.meta["source"] == "test"
    assert store.sources_2d == ["gt", "det"] and store.default_2d == "gt"
    assert store.layout("det") == "coco17" and store.layout() == "h36m17"
    gt = store.keypoints()
    np.testing.assert_array_equal(gt[..., :2], given["keypoints"]["gt"][0])
    np.testing.assert_array_equal(gt[..., 2], 1.0)  # no confidence column → 1
    det = given["keypoints"]["det"][0]
    np.testing.assert_array_equal(store.keypoints_raw("det"), det)
    np.testing.assert_array_equal(store.keypoints("det"), to_h36m17(det, "coco17"))
    assert store.meta["sources_2d"]["gt"]["has_confidence"] is False
    assert store.meta["sources_2d"]["det"]["has_confidence"] is True
    assert store.slice(1) == slice(5, 8) and len(store) == 3 and store.num_frames == 12
    np.testing.assert_array_equal(store.sequence_of_frame(), [0] * 5 + [1] * 3 + [2] * 4)
    np.testing.assert_array_equal(store.image_sizes()[0], (1000, 1002))
    assert store.subjects == ["S1", "S11"] and store.actions == ["Directions", "Walking"]


def test_evaluation_leaves_out_excluded_takes_and_sequences_a_source_lacks(tmp_path):
    store = write(tmp_path / "test")
    assert store.missing_2d("det") == [2] and store.missing_2d("gt") == []
    assert store.evaluation_indices("gt") == [0, 1]  # S11 Directions kept but excluded
    assert store.evaluation_indices("det") == [0, 1]
    store.meta["exclude_from_evaluation"] = [{"subject": "S1", "camera": "55011271"}]
    assert store.evaluation_indices("gt") == [0, 2]
    store.meta["exclude_from_evaluation"] = [{"subject": "S1", "action": "Walking"}]
    assert store.evaluation_indices("gt") == [2] and store.evaluation_indices("det") == []


def test_add_2d_source_to_an_existing_store(tmp_path):
    write(tmp_path / "train")
    mpii = np.random.default_rng(3).uniform(0, 1000, (12, 16, 3)).astype(np.float32)
    store = add_2d_source(tmp_path / "train", "sh", mpii, "mpii", missing=[1])
    assert store.sources_2d == ["gt", "det", "sh"] and store.layout("sh") == "mpii16"
    np.testing.assert_array_equal(store.keypoints_raw("sh"), mpii)
    assert store.keypoints("sh").shape == (12, 17, 3) and store.missing_2d("sh") == [1]
    with pytest.raises(UserError, match="already has a 2D source 'sh'"):
        add_2d_source(tmp_path / "train", "sh", mpii, "mpii16")
    store = add_2d_source(tmp_path / "train", "sh", mpii[..., :2], "mpii16", replace=True,
                          make_default=True)  # fmt: skip
    assert store.default_2d == "sh" and store.meta["sources_2d"]["sh"]["has_confidence"] is False
    with pytest.raises(UserError, match=r"shape \(11, 16, 3\), expected \(12, 16, 3\)"):
        add_2d_source(tmp_path / "train", "sh2", mpii[:11], "mpii16")
    with pytest.raises(UserError, match="unknown keypoint layout 'smpl'"):
        add_2d_source(tmp_path / "train", "sh2", mpii, "smpl")
    assert not (tmp_path / "train" / "keypoints2d_sh2.npy").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"poses3d": "nan"}, "poses3d: NaN or inf in row 3"),
        ({"poses3d": "root"}, "poses3d: the pelvis (joint 0) is not 0"),
        ({"root": np.zeros((11, 3), np.float32)}, "root: shape (11, 3), expected (12, 3)"),
        ({"intrinsics": np.zeros((3, 4), np.float32)}, "focal lengths must be positive"),
        ({"keypoints": {"gt": (np.zeros((12, 16, 2), np.float32), "coco17")}},
         "2D source 'gt' (coco17): shape (12, 16, 3), expected (12, 17, 3)"),
        ({"keypoints": {"Bad Name": (np.zeros((12, 17, 2), np.float32), "coco17")}},
         "2D source name 'Bad Name'"),
        ({"keypoints": {"gt": (np.full((12, 17, 2), np.nan, np.float32), "coco17")}},
         "NaN or inf in row 0"),
        ({"keypoints": {}}, "needs at least one 2D source"),
        ({"root": np.zeros((12, 2))}, "root: shape (12, 2), expected (12, 3)"),
    ],
)  # fmt: skip
def test_bad_arrays_are_refused_before_anything_is_written(tmp_path, change, message):
    values = dict(change)
    if isinstance(values.get("poses3d"), str) and values["poses3d"] == "nan":
        values["poses3d"] = arrays()["poses3d"].copy()
        values["poses3d"][3, 5, 1] = np.nan
    elif isinstance(values.get("poses3d"), str):
        values["poses3d"] = arrays()["poses3d"].copy()
        values["poses3d"][4, 0, 2] = 1e-3
    with pytest.raises(UserError) as info:
        write(tmp_path / "train", **values)
    assert message in str(info.value) and str(tmp_path / "train") in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_sequences_must_be_back_to_back(tmp_path):
    sequences = arrays()["sequences"]
    sequences[1] = {**sequences[1], "start": 4}
    with pytest.raises(UserError, match=r"sequence 1 \(S1/Walking 1/55011271\): start 4"):
        write(tmp_path / "train", sequences=sequences)


def _corrupt(store, name):
    """Damage the store at ``store`` one way; returns the file the error must name."""
    if name == "meta-json":
        (store / "meta.json").write_text("{")
        return "meta.json", "not valid JSON"
    if name == "meta-format":
        meta = json.loads((store / "meta.json").read_text())
        meta["version"] = 9
        (store / "meta.json").write_text(json.dumps(meta))
        return "meta.json", "version 9 unsupported"
    if name == "meta-default":
        meta = json.loads((store / "meta.json").read_text())
        meta["default_2d"] = "cpn"
        (store / "meta.json").write_text(json.dumps(meta))
        return "meta.json", "default_2d 'cpn' is not a 2D source"
    if name == "meta-layout":
        meta = json.loads((store / "meta.json").read_text())
        meta["sources_2d"]["det"]["layout"] = "smpl"
        (store / "meta.json").write_text(json.dumps(meta))
        return "meta.json", "2D source 'det' needs a layout"
    if name == "csv-columns":
        text = (store / "sequences.csv").read_text().replace("start,", "first,")
        (store / "sequences.csv").write_text(text)
        return "sequences.csv", "columns"
    if name == "csv-int":
        lines = (store / "sequences.csv").read_text().splitlines()
        lines[2] = lines[2].replace(",5,3,", ",5,three,")
        (store / "sequences.csv").write_text("\n".join(lines) + "\n")
        return "sequences.csv", "line 3: start, frames, width, height must be integers"
    if name == "csv-short":
        lines = (store / "sequences.csv").read_text().splitlines()
        lines[1] = lines[1].rsplit(",", 1)[0]
        (store / "sequences.csv").write_text("\n".join(lines) + "\n")
        return "sequences.csv", "line 2: expected 8 columns"
    if name == "csv-long":
        lines = (store / "sequences.csv").read_text().splitlines()
        lines[1] += ",7"
        (store / "sequences.csv").write_text("\n".join(lines) + "\n")
        return "sequences.csv", "line 2: expected 8 columns"
    if name == "csv-frames":
        lines = (store / "sequences.csv").read_text().splitlines()
        lines[3] = lines[3].replace(",8,4,", ",8,5,")
        (store / "sequences.csv").write_text("\n".join(lines) + "\n")
        return "poses3d.npy", "12 frames, but sequences.csv adds up to 13"
    if name == "poses-missing":
        (store / "poses3d.npy").unlink()
        return "poses3d.npy", "missing"
    if name == "poses-garbage":
        (store / "poses3d.npy").write_bytes(b"not numpy")
        return "poses3d.npy", "not a readable .npy file"
    if name == "poses-nan":
        poses = np.load(store / "poses3d.npy")
        poses[7, 3, 0] = np.inf
        np.save(store / "poses3d.npy", poses)
        return "poses3d.npy", "NaN or inf in row 7"
    if name == "root-dtype":
        np.save(store / "root.npy", np.load(store / "root.npy").astype(np.float64))
        return "root.npy", "dtype float64, expected float32"
    if name == "intrinsics-shape":
        np.save(store / "intrinsics.npy", np.ones((2, 4), np.float32))
        return "intrinsics.npy", "shape (2, 4), expected (3, 4)"
    if name == "keypoints-missing":
        (store / "keypoints2d_det.npy").unlink()
        return "keypoints2d_det.npy", "missing"
    if name == "keypoints-confidence":
        keypoints = np.load(store / "keypoints2d_det.npy")
        keypoints[0, 0, 2] = -1
        np.save(store / "keypoints2d_det.npy", keypoints)
        return "keypoints2d_det.npy", "negative confidence"
    raise AssertionError(name)


@pytest.mark.parametrize(
    "damage",
    ["meta-json", "meta-format", "meta-default", "meta-layout", "csv-columns", "csv-int",
     "csv-short", "csv-long",
     "csv-frames", "poses-missing", "poses-garbage", "poses-nan", "root-dtype",
     "intrinsics-shape", "keypoints-missing", "keypoints-confidence"],
)  # fmt: skip
def test_every_validation_error_is_one_line_naming_the_file(tmp_path, damage):
    write(tmp_path / "train")
    file_name, message = _corrupt(tmp_path / "train", damage)
    with pytest.raises(UserError) as info:
        open_sequences(tmp_path / "train")
    text = str(info.value)
    assert len(text.splitlines()) == 1
    assert text.startswith(str(tmp_path / "train" / file_name)), text
    assert message in text, text


def test_not_a_store(tmp_path):
    with pytest.raises(UserError, match="not a sequence store directory"):
        open_sequences(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"meta.json: missing \(not a sequence store\)"):
        open_sequences(tmp_path / "empty")


def test_existing_output_needs_overwrite(tmp_path):
    write(tmp_path / "train")
    with pytest.raises(UserError, match="already exists"):
        write(tmp_path / "train")
    store = write(tmp_path / "train", overwrite=True)
    assert len(store) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]


def test_a_partial_store_left_by_a_dead_writer_is_removed(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".train.partial-{dead.pid}"
    stale.mkdir()
    (stale / "poses3d.npy").write_bytes(b"half written")
    write(tmp_path / "train")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]
    assert str(stale) in capsys.readouterr().err
