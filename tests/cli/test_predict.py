import json

import numpy as np
import pytest
import torch

from vidpose.cli import main
from vidpose.pose.camera import video_intrinsics
from vidpose.video.encode import count_decodable_frames, write_video


def test_predict_writes_npz_json_and_an_animation(synth_video, tiny_checkpoint, tmp_path, capsys):
    out, render = tmp_path / "walk.npz", tmp_path / "walk.gif"
    code = main(
        [
            "predict", str(tiny_checkpoint), str(synth_video.path),
            "--out", str(out), "--render", str(render), "--json", "--batch-size", "2",
        ]
    )  # fmt: skip
    assert code == 0
    frames = len(synth_video.frames)
    summary = json.loads(capsys.readouterr().out)
    assert summary["num_frames"] == frames and summary["out"] == str(out)
    assert np.asarray(summary["poses3d"]).shape == (frames, 17, 3)
    assert summary["render"] == str(render) and summary["clip_frames"] == 8
    with np.load(out) as data:
        assert data["poses3d"].shape == (frames, 17, 3) and data["boxes"].shape == (frames, 4)
        np.testing.assert_allclose(data["poses3d"], summary["poses3d"], atol=1e-4)
    assert count_decodable_frames(render) == frames


def test_predict_renders_mp4_with_a_fixed_box_at_the_training_fps(
    walking_video, tiny_checkpoint, tmp_path, capsys
):
    out, render = tmp_path / "walk.npz", tmp_path / "walk.mp4"
    argv = ["predict", str(tiny_checkpoint), str(walking_video.path), "--out", str(out)]
    argv += ["--render", str(render), "--box", "10,10,100,100", "--fps", "train"]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    with np.load(out) as data:
        assert float(data["fps"]) == 50.0 and len(data["poses3d"]) == 2 * len(walking_video.frames)
    assert count_decodable_frames(render) == 2 * len(walking_video.frames)


def test_a_video_shorter_than_a_clip_is_padded_and_said(tiny_checkpoint, tmp_path, capsys):
    frames = np.random.default_rng(0).integers(0, 255, (3, 48, 64, 3), dtype=np.uint8)
    short = write_video(tmp_path / "short.mp4", frames, fps=25)
    out = tmp_path / "short.npz"
    argv = ["predict", str(tiny_checkpoint), str(short), "--out", str(out), "--box", "8,8,30,30"]
    assert main(argv) == 0
    assert "fewer than the model's clip of 8" in capsys.readouterr().err
    with np.load(out) as data:
        assert data["poses3d"].shape == (3, 17, 3)


def test_the_camera_assumed_is_written_and_focal_sets_it(walking_video, tiny_checkpoint, tmp_path):
    argv = ["predict", str(tiny_checkpoint), str(walking_video.path), "--box", "10,10,40,90"]
    height, width = walking_video.frames.shape[1:3]
    assert main([*argv, "--out", str(tmp_path / "default.npz")]) == 0
    with np.load(tmp_path / "default.npz") as data:  # the default field of view
        # The one default camera, the lifter path's too (test_predict_lifter.py).
        np.testing.assert_allclose(data["intrinsics"], video_intrinsics(width, height), rtol=1e-6)
    assert main([*argv, "--out", str(tmp_path / "given.npz"), "--focal", "300"]) == 0
    with np.load(tmp_path / "given.npz") as data:
        np.testing.assert_allclose(
            data["intrinsics"], [300, 300, (width - 1) / 2, (height - 1) / 2]
        )


def test_a_focal_length_that_is_not_positive_is_refused(walking_video, tiny_checkpoint, capsys):
    argv = ["predict", str(tiny_checkpoint), str(walking_video.path), "--focal", "-5"]
    assert main(argv) == 2
    assert "--focal: expected a focal length in pixels > 0" in one_line_error(capsys)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vidpose predict: error:")
    return err[0]


def test_bad_inputs_fail_in_one_line_with_exit_2(walking_video, tiny_checkpoint, tmp_path, capsys):
    ckpt, video, out = str(tiny_checkpoint), str(walking_video.path), str(tmp_path / "p.npz")
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mov"
    garbage.write_bytes(b"\x00not a movie" * 100)
    cases = [
        ([str(foreign), video], "not a vidpose checkpoint"),
        ([ckpt, str(empty)], "empty.mp4"),
        ([ckpt, str(garbage)], "garbage.mov"),
        ([ckpt, str(tmp_path / "missing.mp4")], "does not exist"),
        ([ckpt, video, "--box", "400,400,50,50"], "outside the 160x120 frame"),
        ([ckpt, video, "--box", "1,2,3"], "four numbers"),
        ([ckpt, video, "--render", str(tmp_path / "x.png")], "unknown video type"),
        ([ckpt, video, "--fps", "fast"], "--fps"),
        ([ckpt, video, "--out", str(tmp_path / "p.txt")], ".npz"),
        ([ckpt, video, "--device", "tpu"], "--device"),
        ([ckpt, video, video], "expected [CHECKPOINT] VIDEO, got 3 paths"),
        ([ckpt], f"{ckpt}: a checkpoint, but no VIDEO after it"),
        ([ckpt, video, "--pose-model", ckpt], "--pose-model: for the lifter path"),
        ([ckpt, video, "--no-image-fit"], "--no-image-fit: for the lifter path"),
        ([ckpt, video, "--person", "all"], "--person all: for the lifter path"),
        ([ckpt, video, "--box", "40,10,60,100", "--person", "1"], "--person: only with"),
    ]
    for argv, message in cases:
        extra = [] if "--out" in argv else ["--out", out]
        assert main(["predict", *argv, *extra]) == 2, argv
        assert message in one_line_error(capsys)
    assert list(tmp_path.glob("*.npz")) == [] and list(tmp_path.glob(".*")) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
def test_cuda_without_a_gpu_is_a_user_error(walking_video, tiny_checkpoint, capsys):
    assert main(["predict", str(tiny_checkpoint), str(walking_video.path), "--device", "cuda"]) == 2
    assert "CUDA is not available" in one_line_error(capsys)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_predict_on_cuda_matches_cpu(walking_video, tiny_checkpoint, tmp_path):
    outs = {}
    for device in ("cpu", "cuda"):
        outs[device] = tmp_path / f"{device}.npz"
        argv = ["predict", str(tiny_checkpoint), str(walking_video.path), "--device", device]
        assert main([*argv, "--out", str(outs[device])]) == 0
    with np.load(outs["cpu"]) as cpu, np.load(outs["cuda"]) as cuda:
        np.testing.assert_allclose(cpu["poses3d"], cuda["poses3d"], atol=1e-3)


def test_a_text_file_named_mp4_is_our_line_alone(tiny_checkpoint, tmp_path, capfd):
    """FFmpeg inside OpenCV prints its own "moov atom not found" to file descriptor 2."""
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are notes, not a video\n" * 20)
    assert main(["predict", str(tiny_checkpoint), str(fake), "--out", str(tmp_path / "p.npz")]) == 2
    err = capfd.readouterr().err
    problem = "cannot open as a video (unreadable or unsupported format)"
    assert err == f"vidpose predict: error: {fake}: {problem}\n"
