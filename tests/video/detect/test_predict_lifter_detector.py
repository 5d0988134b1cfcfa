"""``vidpose predict LIFTER VIDEO``: the whole path with the test-made detector and pose models."""

import json

import numpy as np
import torch

from vidpose.cli import main
from vidpose.models import LifterConfig, build_model
from vidpose.runs.checkpoint import make_checkpoint, save_checkpoint
from vidpose.video.encode import write_video

FRAMES = 10


def test_detector_keypoints_are_lifted(onnx_models, tmp_path, capsys):
    frames = np.zeros((FRAMES, 240, 320, 3), np.uint8)
    for index in range(FRAMES):  # the stand-ins find the white box and the red patch in it
        x = 80 + 6 * index
        frames[index, 60:180, x : x + 60] = 255
        frames[index, 98:103, x + 28 : x + 33] = (255, 0, 0)
    video = write_video(tmp_path / "person.mp4", frames, fps=20.0)
    torch.manual_seed(0)
    model = build_model(LifterConfig(lifter="tcn", receptive_field=3, hidden_size=8))
    lifter = tmp_path / "lifter.pt"
    save_checkpoint(lifter, make_checkpoint(model, fps=50, config={}))
    out = tmp_path / "person.npz"
    argv = ["predict", str(lifter), str(video), "--out", str(out), "--json"]
    argv += ["--detector-model", str(onnx_models["detector"])]
    argv += ["--pose-model", str(onnx_models["pose"])]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["keypoints_source"] == "detector" and summary["layout"] == "coco17"
    assert summary["frames_with_person"] == FRAMES and summary["person"] == 0
    with np.load(out) as data:
        assert data["poses3d"].shape == (FRAMES, 17, 3) and data["detected"].all()
        assert data["keypoints2d"].shape == (FRAMES, 17, 3)
        boxes = data["boxes"]  # x, y, w, h of the white box (the stand-in's box is exact)
        np.testing.assert_allclose(boxes[:, 2:], np.tile([60, 120], (FRAMES, 1)), atol=3)
    assert "person.mp4" in str(summary["source_video"])


def test_an_image_model_refuses_a_pose_model(onnx_models, tiny_checkpoint, tmp_path, capsys):
    video = write_video(tmp_path / "v.mp4", np.zeros((4, 64, 64, 3), np.uint8), fps=10.0)
    argv = ["predict", str(tiny_checkpoint), str(video), "--pose-model", str(onnx_models["pose"])]
    assert main([*argv, "--out", str(tmp_path / "p.npz")]) == 2
    assert "--pose-model" in capsys.readouterr().err
