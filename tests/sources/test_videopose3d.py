"""`vidpose prepare videopose3d`: VideoPose3D's pickled pose files → pose-only clip stores."""

from __future__ import annotations

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.skeleton import H36M_32_TO_17, bone_lengths
from vidpose.sources.h36m_cameras import CAMERA_IDS, PUBLIC_INTRINSICS, world_to_camera
from vidpose.sources.h36m_clips import clip_starts
from vidpose.store import open_store

FRAMES, STRIDE, EVERY = 4, 3, 6
OPTIONS = ["--frames", str(FRAMES), "--stride", str(STRIDE), "--every", str(EVERY)]
SEQUENCES = {"S1": {"Directions 1": 30, "Photo": 25}, "S9": {"WalkDog 1": 20}}


def world_motion(frames: int, seed: int) -> np.ndarray:
    """(frames, 32, 3) world metres, z up: a standing body near the origin, drifting."""
    rng = np.random.default_rng(seed)
    body = rng.normal(0.0, 0.15, (32, 3)) + np.array([0.0, 0.0, 1.0])
    body[:, 2] = np.linspace(0.05, 1.75, 32)[rng.permutation(32)]
    drift = np.stack([np.linspace(0, 0.4, frames), np.zeros(frames), np.zeros(frames)], axis=-1)
    return (body[None] + drift[:, None] + rng.normal(0, 0.01, (frames, 32, 3))).astype(np.float32)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vp3d")
    positions_3d, positions_2d = {}, {}
    for seed, (subject, sequences) in enumerate(SEQUENCES.items()):
        positions_3d[subject], positions_2d[subject] = {}, {}
        for name, frames in sequences.items():
            positions_3d[subject][name] = world_motion(frames, seed)
            # detections are often a few frames longer than the poses
            positions_2d[subject][name] = [
                np.random.default_rng(i).uniform(0, 1000, (frames + 3, 17, 2)).astype(np.float32)
                for i in range(4)
            ]
    np.savez_compressed(folder / "data_3d_h36m.npz", positions_3d=positions_3d)
    np.savez_compressed(folder / "data_2d_h36m_gt.npz", positions_2d=positions_2d, metadata={})
    return folder, positions_3d, positions_2d


def prepare(*argv) -> int:
    return main(["prepare", "videopose3d", *map(str, argv), *OPTIONS])


def test_stores_have_no_frames_and_the_expected_clips(files, tmp_path):
    folder, positions_3d, _ = files
    assert prepare(folder / "data_3d_h36m.npz", tmp_path / "out") == 0
    for split, subjects in (("train", ["S1"]), ("test", ["S9"])):
        store = open_store(tmp_path / "out" / split)
        assert not store.has_frames and store.image_size is None
        assert store.meta["has_frames"] is False and store.meta["source"]["kind"] == "videopose3d"
        expected = sorted(
            (subject, name, camera, int(start))
            for subject in subjects
            for name, poses in positions_3d[subject].items()
            for camera in CAMERA_IDS
            for start in clip_starts(len(poses), FRAMES, STRIDE, EVERY)
        )
        keys = ("subject", "sequence", "camera", "start_frame")
        got = sorted(tuple(row[key] for key in keys) for row in store.clips)
        assert got == expected
    actions = {r["action"] for r in open_store(tmp_path / "out" / "train").clips}
    assert actions == {"Directions", "Photo"}


def test_poses_are_the_world_motion_seen_from_each_camera(files, tmp_path):
    folder, positions_3d, _ = files
    assert prepare(folder / "data_3d_h36m.npz", tmp_path / "out") == 0
    store = open_store(tmp_path / "out" / "train")
    np.testing.assert_array_equal(store.poses3d[:, :, 0], 0.0)
    camera_frame = store.poses3d + store.root[:, :, None]
    assert np.all((camera_frame[..., 2] > 3.0) & (camera_frame[..., 2] < 8.0))
    for n, row in enumerate(store.clips):
        world = positions_3d[row["subject"]][row["sequence"]][:, H36M_32_TO_17]
        frames = row["start_frame"] + STRIDE * np.arange(FRAMES)
        # a rigid change of frame keeps every bone's length
        np.testing.assert_allclose(
            bone_lengths(camera_frame[n]), bone_lengths(world[frames]), atol=1e-5
        )
        index = CAMERA_IDS.index(row["camera"])
        expected = world_to_camera(world[frames], row["subject"], index)
        np.testing.assert_allclose(camera_frame[n], expected, atol=1e-5)
        # without a 2D file, poses2d are the pinhole projection in source-image pixels
        fx, fy, cx, cy = PUBLIC_INTRINSICS[row["camera"]]
        x, y, z = np.moveaxis(camera_frame[n], -1, 0)
        np.testing.assert_allclose(
            store.poses2d[n], np.stack([fx * x / z + cx, fy * y / z + cy], -1), atol=1e-2
        )
        np.testing.assert_allclose(store.intrinsics[n], (fx, fy, cx, cy), rtol=1e-6)


def test_2d_file_is_used_and_cut_to_the_3d_length(files, tmp_path):
    folder, _, positions_2d = files
    out = tmp_path / "out"
    assert prepare(folder / "data_3d_h36m.npz", folder / "data_2d_h36m_gt.npz", out) == 0
    store = open_store(out / "test")
    assert store.meta["source"]["poses2d_from"] == "positions_2d"
    for n, row in enumerate(store.clips):
        given = positions_2d[row["subject"]][row["sequence"]][CAMERA_IDS.index(row["camera"])]
        frames = row["start_frame"] + STRIDE * np.arange(FRAMES)
        np.testing.assert_array_equal(store.poses2d[n], given[frames])


def test_short_2d_arrays_and_uncalibrated_subjects_are_skipped_with_warnings(tmp_path, capsys):
    positions_3d = {"S1": {"Walking": world_motion(20, 1)}, "S2": {"Walking": world_motion(20, 2)}}
    positions_2d = {"S1": {"Walking": [np.zeros((20, 17, 2))] * 3 + [np.zeros((10, 17, 2))]}}
    np.savez(tmp_path / "d3.npz", positions_3d=positions_3d)
    np.savez(tmp_path / "d2.npz", positions_2d=positions_2d)
    argv = ["--train-subjects", "S1", "S2"]
    assert prepare(tmp_path / "d3.npz", tmp_path / "d2.npz", tmp_path / "out", *argv) == 0
    err = capsys.readouterr().err
    assert "skipped S2: no public camera calibration" in err
    assert "skipped S1/Walking camera 60457274: 2D array of shape (10, 17, 2)" in err
    store = open_store(tmp_path / "out" / "train")
    assert sorted({r["camera"] for r in store.clips}) == list(CAMERA_IDS[:3])
    assert len(store.meta["skipped"]) == 2
    assert not (tmp_path / "out" / "test").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "file does not exist"),
        (lambda p: p.write_bytes(b"nonsense"), "not a readable .npz file"),
        (lambda p: np.savez(p, other=np.zeros(3)), "no 'positions_3d' array"),
        (lambda p: np.savez(p, positions_3d=np.zeros(3)), "not a readable .npz file"),
        (lambda p: np.savez(p, positions_3d={"S1": {}}), "nothing could be converted"),
    ],
)
def test_bad_files_are_one_line_errors_with_exit_2(tmp_path, capsys, make, message):
    path = tmp_path / "d3.npz"
    make(path)
    assert prepare(path, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_bad_arguments_are_one_line_errors_with_exit_2(files, tmp_path, capsys):
    d3 = files[0] / "data_3d_h36m.npz"
    for argv, message in (
        ([d3, d3, d3, tmp_path / "out"], "expected DATA_3D.npz [DATA_2D.npz] OUT"),
        ([d3, tmp_path / "out", "--subjects", "S7"], "no subject S7 in positions_3d"),
        ([d3, tmp_path / "out", "--subjects", "bob"], "unknown subject name 'bob'"),
        ([d3, tmp_path / "out", "--cameras", "1"], "unknown camera 1"),
        ([d3, tmp_path], "already exists"),
    ):
        assert prepare(*argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
