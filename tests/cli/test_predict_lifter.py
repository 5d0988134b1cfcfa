"""``vidpose predict [LIFTER] VIDEO --keypoints FILE``: the lifter path of predict."""

import json

import numpy as np
import pytest
import torch

from vidpose.cli import main
from vidpose.models import LifterConfig, build_model
from vidpose.pose.camera import video_intrinsics
from vidpose.pose.skeleton import bone_lengths
from vidpose.runs.checkpoint import make_checkpoint, save_checkpoint
from vidpose.video.encode import count_decodable_frames, write_video

FRAMES = 24


@pytest.fixture(scope="module")
def lifter_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(LifterConfig(lifter="tcn", receptive_field=9, hidden_size=16))
    path = tmp_path_factory.mktemp("lifter") / "lifter.pt"
    config = {"eval": {"flip_test": True}}
    save_checkpoint(path, make_checkpoint(model, fps=50, config=config))
    return path


@pytest.fixture(scope="module")
def video_and_keypoints(tmp_path_factory):
    """A 320 x 240 video of a grey rectangle walking right, and COCO-17 keypoints for it."""
    folder = tmp_path_factory.mktemp("walker")
    frames = np.zeros((FRAMES, 240, 320, 3), np.uint8)
    keypoints = np.zeros((FRAMES, 17, 3), np.float32)
    column = np.linspace(70, 190, 17)  # nose at the top, ankles at the bottom
    for index in range(FRAMES):
        x = 100 + 3 * index
        frames[index, 60:200, x : x + 50] = 200
        keypoints[index, :, 0] = x + 25 + 10 * np.sin(np.arange(17) + 0.2 * index)
        keypoints[index, :, 1] = column
        keypoints[index, :, 2] = 0.9
    video = write_video(folder / "walker.mp4", frames, fps=25.0)
    npz = folder / "walker.keypoints.npz"
    np.savez(npz, keypoints=keypoints, layout="coco17", fps=25.0, width=320, height=240)
    return video, npz, keypoints


def test_a_lifter_checkpoint_lifts_a_keypoint_file(
    lifter_checkpoint, video_and_keypoints, tmp_path, capsys
):
    video, npz, keypoints = video_and_keypoints
    out, render = tmp_path / "walker.npz", tmp_path / "walker.gif"
    argv = ["predict", str(lifter_checkpoint), str(video), "--keypoints", str(npz)]
    assert main([*argv, "--out", str(out), "--render", str(render), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == str(lifter_checkpoint) and summary["layout"] == "coco17"
    assert summary["keypoints_source"] == "keypoints-file" and summary["num_frames"] == FRAMES
    lifter = {"receptive_field": 9, "flip_test": True, "fps": 50.0, "image_fit": True}
    assert summary["lifter"] == lifter
    with np.load(out) as data:
        assert data["poses3d"].shape == (FRAMES, 17, 3) and np.isfinite(data["poses3d"]).all()
        np.testing.assert_array_equal(data["poses3d"][:, 0], 0)
        np.testing.assert_allclose(data["poses3d"], summary["poses3d"], atol=1e-4)
        lengths = bone_lengths(data["poses3d"])  # one skeleton for the whole video
        np.testing.assert_allclose(lengths, np.broadcast_to(lengths[0], lengths.shape), atol=1e-5)
        # Fitted to the image from the lifted poses, which had the same skeleton.
        assert bool(data["image_fit"]) and data["poses3d_lifted"].shape == (FRAMES, 17, 3)
        np.testing.assert_allclose(bone_lengths(data["poses3d_lifted"]), lengths, atol=1e-5)
        assert np.abs(data["poses3d_lifted"] - data["poses3d"]).max() > 1e-4
        np.testing.assert_allclose(data["keypoints2d"], keypoints, atol=1e-5)
        assert str(data["layout"]) == "coco17" and data["keypoints2d_h36m17"].shape == (
            FRAMES,
            17,
            3,
        )
        assert data["boxes"].shape == (FRAMES, 4) and data["person_known"].all()
        assert data["root"].shape == (FRAMES, 3) and np.isfinite(data["root"]).all()
        # The one default camera, the RGB path's too (test_predict.py).
        np.testing.assert_allclose(data["intrinsics"], video_intrinsics(320, 240))
        np.testing.assert_allclose(data["intrinsics"], [366.4, 366.4, 159.5, 119.5])
        assert float(data["fps"]) == 25.0 and str(data["source_video"]) == str(video)
        assert str(data["model"]) == str(lifter_checkpoint)
    assert count_decodable_frames(render) >= FRAMES // 2  # GIFs merge identical frames


def test_no_image_fit_keeps_the_lifted_poses(lifter_checkpoint, video_and_keypoints, tmp_path):
    video, npz, _ = video_and_keypoints
    argv = ["predict", str(lifter_checkpoint), str(video), "--keypoints", str(npz)]
    fitted, plain = tmp_path / "fitted.npz", tmp_path / "plain.npz"
    assert main([*argv, "--out", str(fitted)]) == 0
    assert main([*argv, "--out", str(plain), "--no-image-fit"]) == 0
    with np.load(fitted) as a, np.load(plain) as b:
        assert not bool(b["image_fit"])
        np.testing.assert_array_equal(b["poses3d"], b["poses3d_lifted"])
        np.testing.assert_array_equal(a["poses3d_lifted"], b["poses3d"])
        # The fit brings the 3D closer to the keypoints it was lifted from.
        assert np.nanmedian(a["reprojection_error"]) < np.nanmedian(b["reprojection_error"])


def test_bad_inputs_to_the_lifter_path_are_one_line(
    lifter_checkpoint, video_and_keypoints, tmp_path, capsys
):
    video, npz, keypoints = video_and_keypoints
    short = tmp_path / "short.npz"
    np.savez(short, keypoints=keypoints[:10], layout="coco17")
    unknown = tmp_path / "unknown.npz"
    np.savez(unknown, keypoints=keypoints, layout="smpl24")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00not a movie" * 100)
    lifter, out = str(lifter_checkpoint), tmp_path / "p.npz"
    cases = [
        ([lifter, str(video), "--keypoints", str(short)], "10 frames, but the video"),
        ([lifter, str(video), "--keypoints", str(unknown)], "smpl24"),
        ([lifter, str(garbage), "--keypoints", str(npz)], "garbage.mp4"),
        ([lifter, str(tmp_path / "none.mp4"), "--keypoints", str(npz)], "does not exist"),
        ([lifter, str(video), "--box", "1,2,3,4"], "--box"),
        ([lifter, str(video), "--fps", "train"], "--fps"),
        ([lifter, str(video), "--keypoints", str(npz), "--focal", "-5"], "--focal"),
        (
            [lifter, str(video), "--keypoints", str(npz), "--pose-model", "rtmo-m"],
            "--keypoints: give the keypoints or the detector models, not both",
        ),
        ([lifter], "no VIDEO"),
        ([lifter, str(video), str(video)], "[CHECKPOINT] VIDEO"),
    ]
    for argv, message in cases:
        assert main(["predict", *argv, "--out", str(out)]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (argv, err)
    assert not out.exists() and list(tmp_path.glob(".*")) == []
