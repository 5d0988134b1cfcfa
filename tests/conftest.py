"""Fixtures shared across test folders: a short video of a walking figure, a tiny checkpoint,
and where the shared data is (:func:`shared_dir`)."""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

# Test modules and helpers import this module's plain functions as ``tests_conftest``: every
# conftest.py outside a package is imported as "conftest", so that name holds whichever pytest
# loaded last. This one is loaded before any other conftest or test module.
sys.modules.setdefault("tests_conftest", sys.modules[__name__])


def shared_dir() -> Path | None:
    """The shared data folder (mocap/, video/): ``../shared`` beside the repository, else
    ``$VIDPOSE_SHARED`` (a git worktree has no ../shared); None when neither is a folder. Tests
    that need the shared data skip when it is absent."""
    candidates = [REPO.parent / "shared"]
    if os.environ.get("VIDPOSE_SHARED"):
        candidates.append(Path(os.environ["VIDPOSE_SHARED"]))
    return next((path for path in candidates if path.is_dir()), None)


@pytest.fixture(scope="session")
def shared_folder() -> Path | None:
    """:func:`shared_dir` for fixtures and tests: the shared data folder, or None."""
    return shared_dir()


@dataclass
class FigureVideo:
    """A video file of a person walking over a static background, and where the person is."""

    path: Path
    frames: np.ndarray  # (F, H, W, 3) uint8 RGB, as drawn (before compression)
    person_boxes: np.ndarray  # (F, 4) x, y, w, h: the drawn figure's exact bounding box
    fps: float


def _draw_figure(canvas: np.ndarray, cx: int, swing: int, colours: tuple) -> None:
    """Head, body, arms and legs around centre column ``cx``; limbs swing by ``swing`` px."""
    import cv2

    skin, shirt, trousers = colours
    cv2.circle(canvas, (cx, 24), 7, skin, -1)
    cv2.ellipse(canvas, (cx, 50), (8, 18), 0, 0, 360, shirt, -1)
    cv2.line(canvas, (cx - 8, 38), (cx - 12 - swing, 62), shirt, 4)
    cv2.line(canvas, (cx + 8, 38), (cx + 12 + swing, 62), shirt, 4)
    cv2.line(canvas, (cx - 4, 66), (cx - 6 + swing, 96), trousers, 5)
    cv2.line(canvas, (cx + 4, 66), (cx + 6 - swing, 96), trousers, 5)


def draw_walking_figure(
    num_frames: int = 36, size: tuple[int, int] = (160, 120), seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Frames (F, H, W, 3) of a simple person-like figure walking right, and its boxes (F, 4)."""
    import cv2

    width, height = size
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(
        rng.integers(50, 130, (height, width, 3), dtype=np.uint8), (0, 0), 3
    )
    frames, boxes = [], []
    for index in range(num_frames):
        frame, mask = background.copy(), np.zeros((height, width), np.uint8)
        cx = int(30 + index * (width - 60) / max(1, num_frames - 1))
        swing = int(7 * np.sin(index * 0.6))
        _draw_figure(frame, cx, swing, ((230, 190, 160), (200, 40, 40), (30, 30, 200)))
        _draw_figure(mask, cx, swing, (255, 255, 255))
        frames.append(frame)
        boxes.append(cv2.boundingRect(mask))
    return np.stack(frames), np.asarray(boxes, dtype=np.float64)


@pytest.fixture(scope="session")
def walking_video(tmp_path_factory) -> FigureVideo:
    """36 frames, 160x120, 25 fps, as an MP4 file."""
    from vidpose.video.encode import write_video

    frames, boxes = draw_walking_figure()
    path = tmp_path_factory.mktemp("video") / "walk.mp4"
    written = write_video(path, frames, fps=25.0)
    assert written == path
    return FigureVideo(path=path, frames=frames, person_boxes=boxes, fps=25.0)


def render_synth_walk(
    num_frames: int = 40, size: int = 128, seed: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic person (vidpose.synth) walking past a static camera, 25 fps.

    Returns frames (F, size, size, 3) uint8 and the projected joints (F, 17, 2) in pixels.
    The view is fixed (one crop for the whole take), unlike the stores' person-centred clips.
    """
    from vidpose.synth import body, motion, person_drawing, scene
    from vidpose.synth import studio_cameras as cameras

    rng = np.random.default_rng(seed)
    subject = body.make_subject("S9")
    world = motion.action_motion("Walking", subject, 2 * num_frames, rng)[::2]  # 50 -> 25 fps
    camera = cameras.place_cameras(rng, world[:, 0, :2].mean(axis=0))[0]
    view = scene.make_scene(rng, camera, 128)
    joints_cam = camera.to_camera(world)
    pixels = camera.project(joints_cam)
    low, high = pixels.reshape(-1, 2).min(axis=0), pixels.reshape(-1, 2).max(axis=0)
    side = float((high - low).max()) * 1.5
    crop = np.array([*((low + high) / 2 - side / 2), side])
    crops = np.tile(crop, (num_frames, 1))
    frames = person_drawing.render_clip(
        view, subject, joints_cam, world[:, 0, :2], crops, size, rng
    )
    return frames, cameras.to_stored(pixels, crop, size)


@pytest.fixture(scope="session")
def synth_video(tmp_path_factory) -> FigureVideo:
    """40 frames, 128x128, 25 fps, of a synthetic walker, as an MP4 file. ``person_boxes`` are
    the bounding boxes of the projected joints (the drawn body reaches a little beyond)."""
    from vidpose.video.encode import write_video

    frames, joints = render_synth_walk()
    low, high = joints.min(axis=1), joints.max(axis=1)
    path = tmp_path_factory.mktemp("synth_video") / "synth_walk.mp4"
    write_video(path, frames, fps=25.0)
    return FigureVideo(path, frames, np.concatenate([low, high - low], axis=1), 25.0)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """An untrained tinycnn + LSTM checkpoint: clips of 8 frames, 32x32 input, 50 fps."""
    import torch

    from vidpose.models import ModelConfig, build_model
    from vidpose.runs.checkpoint import make_checkpoint, save_checkpoint

    torch.manual_seed(0)
    model = build_model(ModelConfig(backbone="tinycnn", hidden_size=16, feature_dim=16))
    path = tmp_path_factory.mktemp("checkpoint") / "tiny.pt"
    checkpoint = make_checkpoint(model, clip_frames=8, image_size=32, fps=50.0, config={})
    save_checkpoint(path, checkpoint)
    return path


@pytest.fixture
def read_only(monkeypatch):
    """``read_only(folder)``: creating a file anywhere under ``folder`` fails with EROFS, as on
    a read-only file system. vidpose's output check and its atomic writers create files with
    tempfile.mkstemp; the tests may run as root, whom a chmod would not stop."""
    real = tempfile.mkstemp

    def apply(folder: Path) -> None:
        folder = Path(folder).resolve()

        def mkstemp(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own name
            if dir is not None and Path(dir).resolve().is_relative_to(folder):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dir))
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)

    return apply


@pytest.fixture(autouse=True)
def _private_model_cache(tmp_path_factory, monkeypatch):
    """Tests never read or fill the user's model cache, and never download (no network)."""
    monkeypatch.setenv("VIDPOSE_CACHE", str(tmp_path_factory.getbasetemp() / "model-cache"))
    monkeypatch.setenv("VIDPOSE_OFFLINE", "1")
