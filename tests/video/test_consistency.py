"""One forward pass: a stored clip predicts the same through evaluate's path as through
render's and predict's (the windowed path), for an integral-head checkpoint that tests with
flips, and predict gives each window the geometry of its crops in the video."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vidpose.cli import main
from vidpose.clips.clip_store import open_store, write_store
from vidpose.engine.clip_inference import predict_store, recipe_flip_test
from vidpose.models import ModelConfig, build_model
from vidpose.pose.camera import video_intrinsics
from vidpose.pose.metrics import mpjpe_mm
from vidpose.runs.checkpoint import load_model, make_checkpoint, save_checkpoint
from vidpose.video.clip_windows import predict_windows

CLIP, STORED, INPUT = 8, 40, 32


@pytest.fixture(scope="module")
def store_and_checkpoint(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 3
    root = tmp_path_factory.mktemp("consistency")
    crop = np.stack(
        [rng.uniform(50, 600, (n, CLIP)), rng.uniform(50, 500, (n, CLIP)), np.full((n, CLIP), 350)],
        axis=-1,
    ).astype(np.float32)
    rows = [
        {"subject": "S9", "action": "Walking", "camera": "c", "sequence": "s", "start_frame": i}
        for i in range(n)
    ]
    poses3d = rng.normal(0, 0.2, (n, CLIP, 17, 3)).astype(np.float32)
    poses3d[:, :, 0] = 0
    write_store(
        root / "test",
        poses3d=poses3d,
        poses2d=rng.uniform(0, STORED, (n, CLIP, 17, 2)).astype(np.float32),
        clips=rows,
        frames=rng.integers(0, 256, (n, CLIP, STORED, STORED, 3), dtype=np.uint8),
        crop=crop,
        intrinsics=np.tile(np.float32([[1100, 1150, 500, 480]]), (n, 1)),
    )
    torch.manual_seed(0)
    config = ModelConfig(
        head="integral", feature_dim=8, hidden_size=8, head_channels=8, norm="group"
    )
    model = build_model(config)
    with torch.no_grad():  # depth maps start at zero; make them matter
        model.head.depths.weight.normal_(0, 0.3)
    checkpoint = make_checkpoint(
        model, clip_frames=CLIP, image_size=INPUT, fps=50.0, config={"eval": {"flip_test": True}}
    )
    save_checkpoint(root / "integral.pt", checkpoint)
    return root / "test", root / "integral.pt"


def test_evaluate_and_render_paths_give_the_same_poses(store_and_checkpoint, capsys):
    store_path, checkpoint_path = store_and_checkpoint
    store = open_store(store_path)
    model, checkpoint = load_model(checkpoint_path)
    assert recipe_flip_test(checkpoint)
    evaluated = predict_store(model, store, flip_test=True, progress=False)
    for clip in range(store.num_clips):
        windowed = predict_windows(
            model,
            np.asarray(store.frames[clip]),
            CLIP,
            squares=store.crop[clip],
            intrinsics=store.intrinsics[clip],
            flip_test=True,
            image_size=INPUT,
        )
        np.testing.assert_allclose(windowed, evaluated[clip], atol=1e-5, rtol=0)
    # The crops and the flip matter: without them the poses differ.
    plain = predict_windows(model, np.asarray(store.frames[0]), CLIP, image_size=INPUT)
    assert np.abs(plain - evaluated[0]).max() > 1e-3

    # render --checkpoint prints the clip's error of evaluate's prediction.
    argv = ["render", str(store_path), "--clip", "1", "--checkpoint", str(checkpoint_path)]
    assert main([*argv, "--out", str(store_path.parent / "clip.gif")]) == 0
    expected = float(mpjpe_mm(evaluated[1], store.poses3d[1]))
    assert f"MPJPE {expected:.1f} mm" in capsys.readouterr().out


def test_predict_gives_each_window_its_crops_and_the_video_camera(
    store_and_checkpoint, walking_video, monkeypatch
):
    from vidpose.video import image_model_path

    seen = {}

    def spy(model, crops, clip_frames, **options):
        seen.update(options)
        return np.zeros((len(crops), 17, 3), np.float32)

    monkeypatch.setattr(image_model_path, "predict_windows", spy)
    model, _ = load_model(store_and_checkpoint[1])
    box = "40,10,50,100"
    result = image_model_path.predict_video(
        model,
        walking_video.path,
        clip_frames=CLIP,
        image_size=INPUT,
        box=box,
        flip_test=True,
        focal=500.0,
    )
    height, width = walking_video.frames.shape[1:3]
    np.testing.assert_allclose(seen["intrinsics"], [500, 500, (width - 1) / 2, (height - 1) / 2])
    # The squares cut from the video: the box's longer side x 1.2, centred, whole pixels.
    np.testing.assert_allclose(seen["squares"], np.tile([5, 0, 120], (result.num_frames, 1)))
    assert seen["flip_test"] is True


def test_the_default_camera_of_a_video_has_the_default_field_of_view():
    fx, fy, cx, cy = video_intrinsics(1920, 1080).tolist()
    assert fx == fy == pytest.approx(1.145 * 1920)
    assert (cx, cy) == (959.5, 539.5)
