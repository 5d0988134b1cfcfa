"""``vidpose export-bvh``: predictions and plain arrays to BVH; round trip; bad input."""

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.mocap.bvh import read_bvh
from vidpose.mocap.bvh_export import reproduced_positions
from vidpose.mocap.convert import y_up_to_z_up
from vidpose.mocap.importer import ImportOptions, import_file
from vidpose.mocap.poses_input import bridge_unposed_frames, to_bvh_axes
from vidpose.pose.skeleton import JOINT_NAMES

# A standing body, z up, facing -y with its left at +x, metres.
STANDING_Z_UP = np.array(
    [
        [0, 0, 1.0], [-0.13, 0, 1.0], [-0.13, -0.02, 0.55], [-0.13, 0, 0.1],
        [0.13, 0, 1.0], [0.13, -0.02, 0.55], [0.13, 0, 0.1], [0, 0.01, 1.23],
        [0, 0, 1.48], [0, -0.04, 1.58], [0, 0, 1.7], [0.15, 0, 1.45], [0.42, 0, 1.45],
        [0.67, 0, 1.45], [-0.15, 0, 1.45], [-0.42, 0, 1.45], [-0.67, 0, 1.45],
    ]
)  # fmt: skip


def _noisy(frames=30, seed=0):
    rng = np.random.default_rng(seed)
    return STANDING_Z_UP + rng.normal(0, 0.01, (frames, 17, 3))


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _expected_z_up(bvh_axes):
    """Bone directions of the input at the median lengths, in the importer's z-up frame."""
    return y_up_to_z_up(reproduced_positions(bvh_axes))


def test_prediction_npz_round_trips_within_1mm(tmp_path, capsys):
    # predict's layout: camera frame (y down, z forward), root-relative, its own fps
    world = _noisy()
    camera = np.stack([world[..., 0], -world[..., 2], 4 + world[..., 1]], axis=-1)
    camera -= camera[:, :1]
    np.savez(
        tmp_path / "walk.poses.npz",
        poses3d=camera.astype(np.float32),
        joint_names=np.asarray(JOINT_NAMES),
        fps=np.float64(25.0),
    )
    out = tmp_path / "walk.bvh"
    code, stdout, err = _run(["export-bvh", str(tmp_path / "walk.poses.npz"), str(out)], capsys)
    assert code == 0, err
    assert "30 frames at 25 fps" in stdout and "input -y up" in stdout and "lifted" in stdout
    bvh = read_bvh(out)
    assert bvh.frame_time == pytest.approx(0.04) and len(bvh.motion) == 30
    imported = import_file(out, [], ImportOptions(fps=25.0)).positions
    bvh_axes = to_bvh_axes(camera.astype(np.float32).astype(np.float64), "-y")
    bvh_axes[..., 1] -= reproduced_positions(bvh_axes)[:, [3, 6], 1].min()
    error_mm = np.linalg.norm(imported - _expected_z_up(bvh_axes), axis=-1) * 1000
    assert error_mm.max() < 1.0
    # Y up and facing the camera: the head is above the feet, the feet touch y = 0
    positions = np.stack([imported[..., 0], imported[..., 2], -imported[..., 1]], axis=-1)
    assert positions[:, [3, 6], 1].min() == pytest.approx(0, abs=1e-5)
    assert (positions[:, 10, 1] > 1.0).all()


def test_frames_without_a_pose_in_a_prediction_are_cut_at_the_ends_and_bridged_inside(
    tmp_path, capsys
):
    world = _noisy(12)
    camera = np.stack([world[..., 0], -world[..., 2], 4 + world[..., 1]], axis=-1)
    camera -= camera[:, :1]
    camera[[0, 1, 5, 6, 11]] = np.nan  # not in view: two at the start, two inside, one at the end
    np.savez(tmp_path / "p.npz", poses3d=camera, fps=np.float64(30.0))
    out = tmp_path / "p.bvh"
    code, stdout, err = _run(["export-bvh", str(tmp_path / "p.npz"), str(out)], capsys)
    assert code == 0, err
    assert "kept frames 2-10 of 12, 2 inside them interpolated" in stdout
    assert len(read_bvh(out).motion) == 9
    bridged, first, filled = bridge_unposed_frames(camera)
    assert (first, filled, len(bridged)) == (2, 2, 9)
    np.testing.assert_allclose(bridged[3], camera[4] + (camera[7] - camera[4]) / 3)
    np.testing.assert_allclose(bridged[[0, 1, 2, 5, 6, 7, 8]], camera[[2, 3, 4, 7, 8, 9, 10]])
    np.savez(tmp_path / "none.npz", poses3d=np.full((3, 17, 3), np.nan), fps=np.float64(30.0))
    code, _, err = _run(["export-bvh", str(tmp_path / "none.npz"), str(tmp_path / "n.bvh")], capsys)
    assert code == 2 and "'poses3d' has no frame with a pose" in err


def test_plain_npy_with_z_up_is_detected(tmp_path, capsys):
    np.save(tmp_path / "p.npy", _noisy())
    code, stdout, _ = _run(["export-bvh", str(tmp_path / "p.npy"), str(tmp_path / "p.bvh")], capsys)
    assert code == 0 and "input z up: detected" in stdout and "50 fps" in stdout
    code, stdout, _ = _run(
        ["export-bvh", str(tmp_path / "p.npy"), str(tmp_path / "r.bvh"), "--rotations-only"],
        capsys,
    )
    assert code == 0 and "branch joints off by up to" in stdout
    assert all(len(c) in (0, 3) for c in read_bvh(tmp_path / "r.bvh").channels[1:])


@pytest.mark.parametrize(
    ("arrays", "extra", "fragment"),
    [
        ({"a": np.zeros((5, 16, 3))}, [], "no (F, 17, 3) arrays"),
        ({"a": _noisy(), "b": _noisy()}, [], "name the one to export with --key"),
        ({"a": _noisy()}, ["--key", "c"], "--key c: not in"),
        ({"a": np.where(np.arange(3)[:, None, None] == 1, np.nan, _noisy(3))}, [], "frame 1"),
        ({"a": _noisy() * 1000}, [], "poses must be in metres"),
        ({"a": np.zeros((4, 17, 3))}, [], "cannot tell which axis is up"),
        ({"a": _noisy()}, ["--fps", "0"], "--fps 0.0: must be a positive number"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, arrays, extra, fragment):
    np.savez(tmp_path / "in.npz", **arrays)
    out = tmp_path / "out" / "x.bvh"
    code, _, err = _run(["export-bvh", str(tmp_path / "in.npz"), str(out), *extra], capsys)
    assert code == 2 and err.count("\n") == 1 and fragment in err and "Traceback" not in err
    assert not out.parent.exists()


def test_bad_paths(tmp_path, capsys):
    code, _, err = _run(["export-bvh", str(tmp_path / "none.npz"), str(tmp_path / "x.bvh")], capsys)
    assert code == 2 and "no such file" in err
    np.save(tmp_path / "p.npy", _noisy())
    code, _, err = _run(["export-bvh", str(tmp_path / "p.npy"), str(tmp_path / "x.fbx")], capsys)
    assert code == 2 and "must end in .bvh" in err
    (tmp_path / "junk.npz").write_text("not a zip")
    code, _, err = _run(["export-bvh", str(tmp_path / "junk.npz"), str(tmp_path / "x.bvh")], capsys)
    junk = tmp_path / "junk.npz"
    assert err == f"vidpose export-bvh: error: {junk}: not an .npz file (not a NumPy archive)\n"
    assert code == 2


@pytest.mark.parametrize(
    ("fps", "fragment"),
    [
        ("thirty", "'fps' is 'thirty', not a number (frames per second)"),
        (np.array([25.0, 30.0]), "'fps' has shape (2,), expected one number"),
        (0.0, "'fps' is 0, not a positive number"),
        (np.nan, "'fps' is nan, not a positive number"),
    ],
)
def test_an_fps_that_is_not_a_rate_is_named(tmp_path, capsys, fps, fragment):
    np.savez(tmp_path / "p.npz", poses3d=_noisy(), fps=fps)
    out = tmp_path / "x.bvh"
    code, _, err = _run(["export-bvh", str(tmp_path / "p.npz"), str(out)], capsys)
    assert code == 2 and err.startswith(
        f"vidpose export-bvh: error: {tmp_path / 'p.npz'}: {fragment}"
    )
    assert err.count("\n") == 1 and not out.exists()


def test_an_fps_written_as_a_numeric_string_is_read(tmp_path, capsys):
    np.savez(tmp_path / "p.npz", poses3d=_noisy(), fps="25")
    code, stdout, _ = _run(["export-bvh", str(tmp_path / "p.npz"), str(tmp_path / "x.bvh")], capsys)
    assert code == 0 and "at 25 fps" in stdout
