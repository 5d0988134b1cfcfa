"""Fixtures shared across test folders: a short video of a walking figure, a tiny checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest


@dataclass
class FigureVideo:
    """A video file of a figure walking right over a static textured background."""

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
    from vidpose.video import write_video

    frames, boxes = draw_walking_figure()
    path = tmp_path_factory.mktemp("video") / "walk.mp4"
    written = write_video(path, frames, fps=25.0)
    assert written == path
    return FigureVideo(path=path, frames=frames, person_boxes=boxes, fps=25.0)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """An untrained tinycnn + LSTM checkpoint: clips of 8 frames, 32x32 input, 50 fps."""
    import torch

    from vidpose.checkpoint import make_checkpoint, save_checkpoint
    from vidpose.models import ModelConfig, build_model

    torch.manual_seed(0)
    model = build_model(ModelConfig(backbone="tinycnn", hidden_size=16, feature_dim=16))
    path = tmp_path_factory.mktemp("checkpoint") / "tiny.pt"
    checkpoint = make_checkpoint(model, clip_frames=8, image_size=32, fps=50.0, config={})
    save_checkpoint(path, checkpoint)
    return path
