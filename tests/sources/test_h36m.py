"""`vidpose prepare h36m` on a tiny fake release in the real layout (see fake_h36m.py)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fake_h36m import HEAD, INTRINSICS, FakeRelease, build_fake_release, write_metadata_xml

from vidpose.cli import main
from vidpose.clips.clip_store import open_store
from vidpose.clips.crops import cut_and_resize
from vidpose.pose.camera import project
from vidpose.pose.skeleton import H36M_32_TO_17
from vidpose.sources import h36m
from vidpose.sources.h36m_cameras import (
    CAMERA_IDS,
    PUBLIC_EXTRINSICS,
    PUBLIC_INTRINSICS,
    parse_metadata_xml,
    world_to_camera,
)
from vidpose.sources.h36m_clips import (
    DEFAULT_EVERY,
    clip_starts,
    every_for,
    to_crop_pixels,
)
from vidpose.sources.h36m_layout import canonical_sequence

SIZE, FRAMES, STRIDE, EVERY = 64, 4, 2, 5
OPTIONS = ["--size", str(SIZE), "--frames", str(FRAMES), "--stride", str(STRIDE)]
OPTIONS += ["--every", str(EVERY), "--workers", "1"]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["prepare", "h36m", *argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> FakeRelease:
    return build_fake_release(tmp_path_factory.mktemp("h36m") / "raw")


@pytest.fixture(scope="module")
def prepared(release, tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared") / "out"
    code, stdout, stderr = run_cli(str(release.root), str(out), *OPTIONS)
    assert code == 0, stderr
    return out, stdout, stderr


def clip_sequence(release: FakeRelease, row: dict):
    return release.find(row["subject"], row["sequence"], row["camera"])


def head_centroid(image: np.ndarray) -> np.ndarray:
    """(x, y) of the bright disc in a stored frame, pixels."""
    weight = np.clip(image.astype(np.float64).mean(axis=-1) - 120.0, 0.0, None)
    ys, xs = np.indices(weight.shape)
    return np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()


def test_canonical_names_follow_videopose3d_conventions():
    assert canonical_sequence("TakingPhoto 1") == ("Photo", "Photo 1")
    assert canonical_sequence("WalkingDog") == ("WalkDog", "WalkDog")
    assert canonical_sequence("Directions 1") == ("Directions", "Directions 1")
    assert canonical_sequence("WalkTogether 2") == ("WalkTogether", "WalkTogether 2")
    assert canonical_sequence("_ALL 1") is None
    assert canonical_sequence("Dancing") is None


def test_metadata_xml_intrinsics_are_read_from_w0(tmp_path):
    write_metadata_xml(tmp_path / "metadata.xml")
    assert parse_metadata_xml(tmp_path / "metadata.xml") == INTRINSICS


def test_public_calibration_puts_the_subject_in_front_of_every_camera():
    # A person standing at the world origin (z up, mm → m) must be ≈5 m in front of each
    # camera and project inside its 1000-pixel image: checks the quaternion convention.
    body = np.array([[0.0, 0.0, 0.1], [0.0, 0.0, 0.9], [0.0, 0.0, 1.7]])
    for subject in PUBLIC_EXTRINSICS:
        for index, camera in enumerate(CAMERA_IDS):
            points = world_to_camera(body, subject, index)
            assert np.all((points[:, 2] > 3.5) & (points[:, 2] < 7.0)), (subject, camera)
            pixels = project(points, PUBLIC_INTRINSICS[camera])
            assert np.all((pixels > 0) & (pixels < 1000)), (subject, camera)
            assert pixels[2, 1] < pixels[0, 1]  # head above feet: image y points down
            centre = np.asarray(PUBLIC_EXTRINSICS[subject][index][1]) / 1000.0
            np.testing.assert_allclose(world_to_camera(centre, subject, index), 0, atol=1e-9)


def test_default_sampling_gives_about_the_reports_clip_counts():
    # Human3.6M: ≈1.56 M train camera-frames in 600 sequences, ≈0.54 M test in 239.
    rng = np.random.default_rng(0)
    for split, frames, sequences, report in (
        ("train", 1.56e6, 600, 5964),
        ("test", 0.54e6, 239, 1368),
    ):
        lengths = rng.uniform(0.4, 1.6, sequences)
        lengths = np.round(lengths * frames / lengths.sum()).astype(int)
        every = every_for(split, 8, 4, None, full_rate=False)
        assert every == DEFAULT_EVERY[split]
        clips = sum(len(clip_starts(length, 8, 4, every)) for length in lengths)
        assert abs(clips - report) / report < 0.03, (split, clips)
    assert every_for("train", 8, 2, None, full_rate=True) == 16  # clips back to back
    assert every_for("test", 8, 2, 7, full_rate=True) == 7  # an explicit --every wins
    assert clip_starts(10, 4, 3, 1).tolist() == [0]  # span (4 - 1) * 3 + 1 = 10
    assert clip_starts(9, 4, 3, 1).size == 0


def test_a_json_calibration_file_gives_the_intrinsics(release, tmp_path):
    keys = ("fx", "fy", "cx", "cy")
    fake = {cam: dict(zip(keys, values, strict=True)) for cam, values in INTRINSICS.items()}
    (tmp_path / "cams.json").write_text(json.dumps(fake))
    raw = tmp_path / "raw"
    shutil.copytree(release.root / "S11", raw / "S11")  # no metadata.xml in this copy
    argv = [str(raw), str(tmp_path / "out"), *OPTIONS, "--subjects", "S11"]
    code, _, err = run_cli(*argv, "--calibration", str(tmp_path / "cams.json"))
    assert code == 0, err
    store = open_store(tmp_path / "out" / "test")
    assert store.meta["source"]["intrinsics_from"] == "cameras file cams.json"
    np.testing.assert_allclose(store.intrinsics[0], INTRINSICS[store.clips[0]["camera"]])


def test_crop_and_resize_pads_with_black_where_the_square_leaves_the_image():
    image = np.full((20, 30, 3), 200, np.uint8)
    patch = cut_and_resize(image, (-10, -10, 20), 10)  # top-left quarter is outside
    assert patch.shape == (10, 10, 3)
    assert patch[:4, :4].max() == 0 and patch[6:, 6:].min() == 200
    np.testing.assert_allclose(to_crop_pixels(np.array([0.0, 0.0]), (-10, -10, 20), 10), [5, 5])


def test_stores_validate_and_hold_the_expected_clips(release, prepared):
    out = prepared[0]
    for split in ("train", "test"):
        store = open_store(out / split)
        expected = [
            (item.subject, item.sequence, item.camera, int(start))
            for item in release.sequences
            if item.split == split
            for start in clip_starts(len(item.poses_mm), FRAMES, STRIDE, EVERY)
        ]
        got = [(r["subject"], r["sequence"], r["camera"], r["start_frame"]) for r in store.clips]
        assert sorted(got) == sorted(expected)
        assert store.frames.shape == (len(expected), FRAMES, SIZE, SIZE, 3)
        assert store.meta["fps"] == 50.0 and store.meta["frame_stride"] == STRIDE
        assert store.meta["source"]["kind"] == "h36m"
        assert store.meta["source"]["intrinsics_from"] == "metadata.xml"
        for row in store.clips:
            assert row["action"] == clip_sequence(release, row).action
    assert {r["action"] for r in open_store(out / "train").clips} >= {"Photo", "WalkDog"}


def test_poses_are_17_joints_in_metres_root_relative_with_the_pelvis_in_root(release, prepared):
    store = open_store(prepared[0] / "train")
    np.testing.assert_array_equal(store.poses3d[:, :, 0], 0.0)
    for n, row in enumerate(store.clips):
        item = clip_sequence(release, row)
        frames = row["start_frame"] + STRIDE * np.arange(FRAMES)
        expected_m = item.poses_mm[frames][:, H36M_32_TO_17] / 1000.0
        np.testing.assert_allclose(store.poses3d[n] + store.root[n][:, None], expected_m, atol=1e-5)
        np.testing.assert_allclose(store.intrinsics[n], INTRINSICS[row["camera"]], rtol=1e-6)


def test_joints_land_where_the_frames_show_them(release, prepared):
    for split in ("train", "test"):
        store = open_store(prepared[0] / split)
        for n, row in enumerate(store.clips):
            item = clip_sequence(release, row)
            fx, fy, cx, cy = store.intrinsics[n]
            for t in range(FRAMES):
                seen = head_centroid(store.frames[n, t])
                np.testing.assert_allclose(store.poses2d[n, t, HEAD], seen, atol=0.75)
                if item.has_d2:
                    continue  # D2_Positions carry the lens distortion a pinhole model lacks
                x, y, z = store.poses3d[n, t, HEAD] + store.root[n, t]
                x0, y0, side = store.crop[n, t]
                reprojected = (np.array([fx * x / z + cx, fy * y / z + cy]) - (x0, y0)) * (
                    SIZE / side
                )
                np.testing.assert_allclose(reprojected, seen, atol=0.75)


def test_2d_joints_come_from_d2_positions_when_present(release, prepared):
    store = open_store(prepared[0] / "train")
    counts = {"D2_Positions": 0, "projection": 0}
    for n, row in enumerate(store.clips):
        item = clip_sequence(release, row)
        frames = row["start_frame"] + STRIDE * np.arange(FRAMES)
        source = item.points2d() if item.has_d2 else item.projection()
        square = tuple(int(v) for v in store.crop[n, 0])
        np.testing.assert_allclose(
            store.poses2d[n], to_crop_pixels(source[frames], square, SIZE), atol=1e-3
        )
        if row["start_frame"] == 0:
            counts["D2_Positions" if item.has_d2 else "projection"] += 1
    assert store.meta["source"]["poses2d_from"] == counts


def test_crop_is_one_square_per_clip_covering_its_joints(prepared):
    store = open_store(prepared[0] / "train")
    assert np.all(store.crop == store.crop[:, :1])
    assert store.poses2d.min() >= 0 and store.poses2d.max() <= SIZE
    span = store.poses2d.max(axis=(1, 2)) - store.poses2d.min(axis=(1, 2))  # (N, 2)
    np.testing.assert_allclose(span.max(axis=1), SIZE / 1.2, rtol=0.03)


def test_bad_files_are_skipped_and_reported(release, prepared):
    out, _, stderr = prepared
    meta = json.loads((out / "train" / "meta.json").read_text())
    reported = {Path(item["path"]) for item in meta["skipped"]}
    for path in release.skipped:
        assert path in reported
        assert f"skipped {path}" in stderr
    reasons = " ".join(item["reason"] for item in meta["skipped"])
    for phrase in ("known corrupt", "shorter than the poses", "unreadable CDF", "cannot open"):
        assert phrase in reasons
    assert not (out.parent / "out.partial").exists()


def test_an_interrupted_run_leaves_no_store_and_the_rerun_resumes(release, tmp_path, monkeypatch):
    out = tmp_path / "out"
    args = (str(release.root), str(out), *OPTIONS, "--subjects", "S11", "S1")
    two_workers = (*args, "--workers", "2")

    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(h36m, "_assemble", crash)
        assert run_cli(*two_workers)[0] == 130
    assert not out.exists()
    finished = sorted((tmp_path / "out.partial" / "sequences").glob("*/*.npz"))
    assert len(finished) == 6

    converted = []
    original = h36m.convert_sequence
    monkeypatch.setattr(h36m, "convert_sequence", lambda *a: converted.append(a[0]) or original(*a))
    code, stdout, _ = run_cli(*args)
    assert code == 0 and "6 sequences reused from an interrupted run" in stdout and converted == []
    assert len(open_store(out / "test")) == 12
    assert not (tmp_path / "out.partial").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{missing}", "{out}"], "Human3.6M folder does not exist"),
        (["{raw}", "{out}", "--size", "5"], "--size"),
        (["{raw}", "{out}", "--subjects", "X1"], "unknown subject name 'X1'"),
        (["{raw}", "{out}", "--subjects", "S2"], "neither --train-subjects nor --test-subjects"),
        (["{raw}", "{out}", "--subjects", "S7"], "subject folder missing"),
        (["{raw}", "{out}", "--cameras", "123"], "unknown camera 123"),
        (["{raw}", "{existing}"], "already exists"),
        (["{raw}", "{out}", "--calibration", "{missing}"], "cameras file does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(release, tmp_path, capsys, argv, message):
    (tmp_path / "existing").mkdir()
    names = {"raw": release.root, "out": tmp_path / "o", "missing": tmp_path / "nope"}
    names["existing"] = tmp_path / "existing"
    with pytest.raises(SystemExit) if "--size" in argv else contextlib.nullcontext() as raised:
        code = main(["prepare", "h36m", *(a.format(**names) for a in argv)])
    code = raised.value.code if raised else code
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_release_without_usable_sequences_fails_with_exit_2(release, tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(release.root / "S5", raw / "S5")
    for video in (raw / "S5" / "Videos").glob("Directions*"):
        video.write_bytes(b"garbage")
    code = main(["prepare", "h36m", str(raw), str(tmp_path / "o"), *OPTIONS, "--subjects", "S5"])
    err = capsys.readouterr().err
    assert code == 2 and "nothing could be converted" in err.splitlines()[-1]
    assert not (tmp_path / "o").exists()


def test_missing_pose_folder_and_missing_cdflib_are_one_line_errors(
    release, tmp_path, capsys, monkeypatch
):
    (tmp_path / "raw" / "S1").mkdir(parents=True)
    code = main(["prepare", "h36m", str(tmp_path / "raw"), str(tmp_path / "o"), "--subjects", "S1"])
    assert code == 2 and "D3_Positions_mono: folder missing" in capsys.readouterr().err
    code = main(["prepare", "h36m", str(tmp_path / "raw"), str(tmp_path / "o")])  # all subjects
    err = capsys.readouterr().err
    assert code == 2 and "no sequence can be converted" in err.splitlines()[-1]

    monkeypatch.setitem(__import__("sys").modules, "cdflib", None)
    code = main(["prepare", "h36m", str(release.root), str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "pip install vidpose[h36m]" in err and len(err.splitlines()) == 1
