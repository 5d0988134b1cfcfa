"""The store and checkpoint commands on the lifting track: show and render take sequence
stores (and lifters), and refuse a model of the other track in one line."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vidpose.cli import main
from vidpose.clips.contact_sheet import LABEL_WIDTH, LEFT_RGB, RIGHT_RGB
from vidpose.models import LifterConfig, build_model
from vidpose.runs.checkpoint import make_checkpoint, save_checkpoint
from vidpose.sequences import open_sequences
from vidpose.tracks import store_track, track_of
from vidpose.tracks.lifter_track import SHEET_FRAMES, keypoint_canvas
from vidpose.video.encode import count_decodable_frames


@pytest.fixture(scope="module")
def lifter(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(LifterConfig(lifter="tcn", receptive_field=9, hidden_size=8))
    path = tmp_path_factory.mktemp("lifter") / "lifter.pt"
    save_checkpoint(path, make_checkpoint(model, fps=50.0, config={}))
    return path


def test_the_track_of_a_store_or_a_checkpoint(pose_dataset, lifter, tiny_checkpoint, tmp_path):
    assert store_track(pose_dataset / "test").kind == "lifter"
    assert track_of(lifter).kind == "lifter" and track_of(tiny_checkpoint).kind == "clips"
    (tmp_path / "meta.json").write_text('{"format": "vidpose-clip-store"}')
    assert track_of(tmp_path).kind == "clips"


def test_show_draws_sequences_of_keypoints(pose_dataset, tmp_path, capsys):
    out = tmp_path / "sheet.png"
    assert main(["show", str(pose_dataset / "test"), "--out", str(out), "--clips", "3"]) == 0
    assert "3 sequences" in capsys.readouterr().out
    sheet = cv2.imread(str(out))[..., ::-1]
    assert sheet.shape == (3 * 96, LABEL_WIDTH + SHEET_FRAMES * 96, 3)

    def count(rgb):
        return int((np.abs(sheet[:, LABEL_WIDTH:].astype(int) - rgb).sum(-1) < 30).sum())

    assert count(LEFT_RGB) > 50 and count(RIGHT_RGB) > 50


def test_the_canvas_frames_every_seen_joint():
    keypoints = np.zeros((2, 17, 3))
    keypoints[..., 2] = 1.0
    keypoints[0, :, :2] = [100.0, 200.0]
    keypoints[1, :, :2] = [300.0, 200.0]  # 200 px right: the square is 240 px wide
    keypoints[1, 5] = [900.0, 900.0, 0.0]  # not seen: left out of the square
    frames, placed = keypoint_canvas(keypoints, 120)
    assert frames.shape == (2, 120, 120, 3)
    np.testing.assert_allclose(placed[0, 0, :2], [10.0, 60.0])  # (100 - 80) / 2, (200 - 80) / 2
    np.testing.assert_allclose(placed[1, 0, :2], [110.0, 60.0])


def test_render_a_sequence_with_its_lifters_prediction(pose_dataset, lifter, tmp_path, capsys):
    store = pose_dataset / "test"
    out = tmp_path / "sequence.gif"
    argv = ["render", str(store), "--clip", "1", "--checkpoint", str(lifter), "--frames", "6"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    info = open_sequences(store).sequences[1]
    assert f"sequence 1 ({info.subject} {info.sequence} camera {info.camera}): MPJPE" in printed
    assert count_decodable_frames(out) == 6


def test_render_refuses_a_model_of_the_other_track(
    pose_dataset, lifter, tiny_checkpoint, tmp_path, capsys
):
    store = pose_dataset / "test"
    argv = ["render", str(store), "--clip", "0", "--checkpoint", str(tiny_checkpoint)]
    assert main([*argv, "--out", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"vidpose render: error: {store}: a pose-sequence store, but ")
    assert f"{tiny_checkpoint} is an image model, which reads clip stores" in err
    assert err.count("\n") == 1 and not (tmp_path / "x.gif").exists()
    assert main(["render", str(store), "--clip", "99", "--out", str(tmp_path / "x.gif")]) == 2
    assert "--clip 99: " in capsys.readouterr().err


def test_a_lifter_on_a_clip_store_is_refused(lifter, tmp_path, capsys):
    from vidpose.synth.generate import generate_dataset

    generate_dataset(tmp_path / "clips", size=32, frames=2, train_clips=2, test_clips=2)
    store = tmp_path / "clips" / "test"
    argv = ["render", str(store), "--clip", "0", "--checkpoint", str(lifter)]
    assert main([*argv, "--out", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"vidpose render: error: {store}: a clip store, but {lifter} is a lifter, which reads "
        "pose-sequence stores (make one with vidpose prepare videopose3d or vidpose synth "
        "--poses-only)\n"
    )


def test_show_refuses_a_store_whose_default_2d_lacks_every_sequence(stick_figure, tmp_path, capsys):
    store = tmp_path / "lacking" / "test"
    stick_figure.write_store(store, ("S9",), ("Walking",), 20, seed=2, missing_2d={"gt": [0, 1]})
    assert main(["show", str(store), "--out", str(tmp_path / "sheet.png")]) == 2
    err = capsys.readouterr().err
    assert err == f"vidpose show: error: {store}: its default 2D source lacks every sequence\n"
    assert not (tmp_path / "sheet.png").exists()


def test_render_refuses_a_sequence_its_2d_source_lacks(stick_figure, tmp_path, capsys):
    store = tmp_path / "lacking" / "test"
    stick_figure.write_store(store, ("S9",), ("Walking",), 20, seed=2, missing_2d={"gt": [1]})
    out = tmp_path / "x.gif"
    assert main(["render", str(store), "--clip", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"vidpose render: error: --clip 1: the 2D source of {store} lacks this sequence\n"
    )
    assert not out.exists()
