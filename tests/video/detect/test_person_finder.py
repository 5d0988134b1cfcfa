"""``vidpose predict CKPT VIDEO`` finding the person with the detector or a keypoint file."""

import json
import shutil

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.video.detect.model_files import DEFAULT_DETECTOR, MODELS, cached_path
from vidpose.video.encode import write_video

FRAMES, FPS = 16, 25.0


def _rectangle_frames(count=FRAMES, present=True):
    """Black 320 x 240 frames, a white 40 x 100 rectangle moving right 4 px a frame."""
    frames = np.zeros((count, 240, 320, 3), np.uint8)
    boxes = np.zeros((count, 4))
    for index in range(count):
        x = 60 + 4 * index
        if present:
            frames[index, 80:180, x : x + 40] = 255
        boxes[index] = [x, 80, 40, 100]
    return frames, boxes


@pytest.fixture(scope="module")
def rectangle_video(tmp_path_factory):
    frames, boxes = _rectangle_frames()
    path = tmp_path_factory.mktemp("rect") / "rect.mp4"
    write_video(path, frames, fps=FPS)
    return path, boxes


def _predict(capsys, *argv):
    code = main(["predict", *map(str, argv), "--json"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


def test_the_detector_finds_and_tracks_the_person(
    rectangle_video, tiny_checkpoint, onnx_models, tmp_path, capsys
):
    video, boxes = rectangle_video
    out = tmp_path / "rect.npz"
    code, summary, err = _predict(
        capsys, tiny_checkpoint, video, "--out", out, "--detector-model", onnx_models["detector"]
    )
    assert code == 0 and "background subtraction" not in err
    assert summary["box_source"] == "detector" and summary["person"] == 0
    assert len(summary["tracks"]) == 1 and summary["tracks"][0]["frames_seen"] == FRAMES
    with np.load(out) as data:
        found = data["person_boxes"]
    # Linear motion survives the temporal smoothing away from the ends.
    np.testing.assert_allclose(found[4:-4], boxes[4:-4], atol=2.5)


def test_the_cached_default_detector_is_used_without_options(
    rectangle_video, tiny_checkpoint, onnx_models, tmp_path, capsys
):
    target = cached_path(MODELS[DEFAULT_DETECTOR])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(onnx_models["detector"], target)
    try:
        code, summary, _ = _predict(capsys, tiny_checkpoint, rectangle_video[0], "--out",
                                    tmp_path / "a.npz")  # fmt: skip
    finally:
        target.unlink()
    assert code == 0 and summary["box_source"] == "detector"


def test_without_the_detector_model_background_subtraction_is_used_and_said(
    rectangle_video, tiny_checkpoint, tmp_path, capsys
):
    code, summary, err = _predict(
        capsys, tiny_checkpoint, rectangle_video[0], "--out", tmp_path / "a.npz"
    )
    assert code == 0 and summary["box_source"] in ("hog", "motion")
    note = [line for line in err.splitlines() if "note: finding the person" in line]
    assert len(note) == 1 and MODELS[DEFAULT_DETECTOR].url in note[0]
    code, _, err = _predict(
        capsys, tiny_checkpoint, rectangle_video[0], "--out", tmp_path / "b.npz", "--person", "1"
    )
    assert code == 2 and "--person 1: needs the detector" in err


def test_a_video_with_nobody_in_it_is_one_line_and_writes_nothing(
    tiny_checkpoint, onnx_models, tmp_path, capsys
):
    frames, _ = _rectangle_frames(present=False)
    video = write_video(tmp_path / "empty.mp4", frames, fps=FPS)
    out = tmp_path / "empty.npz"
    code, _, err = _predict(
        capsys, tiny_checkpoint, video, "--out", out, "--detector-model", onnx_models["detector"]
    )
    errors = [line for line in err.splitlines() if "error" in line]
    assert code == 2 and errors == [f"vidpose predict: error: {video}: nobody found in any frame "
                                    "(the detector saw no person)"]  # fmt: skip
    assert not out.exists()


def test_a_detector_file_that_is_not_onnx_is_one_line(rectangle_video, tiny_checkpoint, tmp_path,
                                                      capsys):  # fmt: skip
    fake = tmp_path / "det.onnx"
    fake.write_bytes(b"PK\x03\x04zip")
    code, _, err = _predict(capsys, tiny_checkpoint, rectangle_video[0], "--out",
                            tmp_path / "a.npz", "--detector-model", fake)  # fmt: skip
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"vidpose predict: error: --detector-model {fake}: a zip archive")


def test_a_keypoint_file_gives_the_person_boxes(rectangle_video, tiny_checkpoint, tmp_path, capsys):
    video, boxes = rectangle_video
    keypoints = np.zeros((FRAMES, 17, 3))
    for index, (x, y, w, h) in enumerate(boxes):
        keypoints[index, :, 0] = np.linspace(x, x + w, 17)
        keypoints[index, :, 1] = np.linspace(y, y + h, 17)
        keypoints[index, :, 2] = 0.9
    path = tmp_path / "kp.npz"
    np.savez(path, keypoints=keypoints, layout="coco17", width=320, height=240)
    out = tmp_path / "a.npz"
    code, summary, _ = _predict(capsys, tiny_checkpoint, video, "--out", out, "--keypoints", path)
    assert code == 0 and summary["box_source"] == "keypoints-file"
    with np.load(out) as data:
        np.testing.assert_allclose(data["person_boxes"][4:-4], boxes[4:-4], atol=1e-3)
    np.savez(path, keypoints=keypoints[:-1], layout="coco17")
    other = tmp_path / "b.npz"
    code, _, err = _predict(capsys, tiny_checkpoint, video, "--out", other, "--keypoints", path)
    assert code == 2 and f"{FRAMES - 1} frames, but the video has {FRAMES}" in err
    np.savez(path, keypoints=keypoints, layout="coco17", width=640)
    code, _, err = _predict(
        capsys, tiny_checkpoint, video, "--out", tmp_path / "b.npz", "--keypoints", path
    )
    assert code == 2 and "made for a width of 640 px" in err
