"""``vidpose detect VIDEO``: the 2D stage end to end on test-made models."""

import json

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.video.detect.model_files import MODELS
from vidpose.video.encode import count_decodable_frames, write_video
from vidpose.video.keypoint_files import read_keypoints

FRAMES = 12


@pytest.fixture(scope="module")
def person_video(tmp_path_factory):
    """A white 60 x 120 rectangle moving right with a 5 x 5 red patch in it, on black."""
    frames = np.zeros((FRAMES, 240, 320, 3), np.uint8)
    patches = []
    for index in range(FRAMES):
        x = 80 + 6 * index
        frames[index, 60:180, x : x + 60] = 255
        frames[index, 98:103, x + 28 : x + 33] = (255, 0, 0)
        patches.append([x + 30, 100])
    path = write_video(tmp_path_factory.mktemp("person") / "person.mp4", frames, fps=20.0)
    return path, np.asarray(patches, float)


def test_detect_writes_keypoints_that_predict_can_read(person_video, onnx_models, tmp_path, capsys):
    video, patches = person_video
    out, render = tmp_path / "kp.npz", tmp_path / "kp.gif"
    argv = ["detect", str(video), "--out", str(out), "--render", str(render), "--json"]
    argv += ["--detector-model", str(onnx_models["detector"])]
    argv += ["--pose-model", str(onnx_models["pose"])]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["layout"] == "coco17" and summary["frames_detected"] == FRAMES
    assert summary["person"] == 0 and len(summary["tracks"]) == 1
    with np.load(out) as data:
        assert data["keypoints"].shape == (FRAMES, 17, 3) and str(data["layout"]) == "coco17"
        assert data["detected"].all() and not data["interpolated"].any()
        # Every joint of the test model decodes to the red patch (video compression blurs it).
        np.testing.assert_allclose(data["keypoints"][:, 0, :2], patches, atol=2.5)
        assert float(data["fps"]) == 20.0 and int(data["width"]) == 320
    again = read_keypoints(out, num_frames=FRAMES)
    assert again.layout == "coco17" and again.fps == 20.0
    assert count_decodable_frames(render) >= FRAMES // 2  # GIFs merge identical frames


def test_detect_with_a_one_stage_model_alone(person_video, onnx_models, tmp_path, capsys):
    out = tmp_path / "kp.npz"
    argv = ["detect", str(person_video[0]), "--out", str(out), "--pose-model"]
    assert main([*argv, str(onnx_models["rtmo"])]) == 0
    assert "coco17 keypoints of person 0" in capsys.readouterr().out


def test_detect_offline_without_models_names_the_files(person_video, tmp_path, capsys):
    out = tmp_path / "kp.npz"
    assert main(["detect", str(person_video[0]), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vidpose detect: error: --detector-model rtmdet-m")
    assert MODELS["rtmdet-m"].url in err[0] and MODELS["rtmpose-m"].url in err[0]
    assert not out.exists()


def test_detect_bad_inputs_are_one_line(person_video, onnx_models, tmp_path, capsys):
    not_onnx = tmp_path / "pose.onnx"
    not_onnx.write_text("hello")
    cases = [
        (["--pose-model", str(not_onnx)], "not an ONNX model"),
        (["--out", str(tmp_path / "kp.txt")], "must end in .npz"),
        (["--device", "tpu"], "--device"),
        (["--pose-model", str(onnx_models["rtmo"]), "--person", "3"], "--person 3: no such"),
    ]
    for extra, message in cases:
        argv = ["detect", str(person_video[0]), *extra]
        if "--out" not in extra:
            argv += ["--out", str(tmp_path / "kp.npz")]
        assert main(argv) == 2, extra
        err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
        assert len(err) == 1 and message in err[0], (extra, err)
    assert not list(tmp_path.glob("*.npz"))
