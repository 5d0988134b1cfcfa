"""Run a clip model over a whole video: sliding windows of the training clip length.

A model trained on clips of T frames sees T frames at a time. Windows start every ``stride``
frames (half a clip by default), the last one is moved back so it ends at the last frame, and
every frame's pose is the mean of the predictions of all windows that contain it, which also
smooths the seams between windows. A video shorter than one clip is padded by repeating its
last frame (and stderr says so); the padded frames' poses are dropped.
"""

from __future__ import annotations

import sys

import numpy as np

from vidpose.pose.skeleton import NUM_JOINTS


def window_starts(num_frames: int, clip_frames: int, stride: int | None = None) -> np.ndarray:
    """First frame of each window of ``clip_frames`` over ``num_frames >= clip_frames`` frames.

    Starts every ``stride`` frames (default ``clip_frames // 2``, at least 1); the last window
    ends exactly at the last frame, so every frame is covered.
    """
    if clip_frames < 1 or num_frames < clip_frames:
        raise ValueError(f"need num_frames >= clip_frames >= 1, got {num_frames}, {clip_frames}")
    stride = max(1, clip_frames // 2) if stride is None else int(stride)
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    last = num_frames - clip_frames
    starts = np.arange(0, last + 1, stride, dtype=np.int64)
    if starts[-1] != last:
        starts = np.append(starts, last)
    return starts


def pad_to_clip(crops: np.ndarray, clip_frames: int, warn: bool = True) -> np.ndarray:
    """Repeat the last of ``crops`` (F, ...) until there are ``clip_frames``; say so on stderr."""
    missing = clip_frames - len(crops)
    if missing <= 0:
        return crops
    if warn:
        print(
            f"vidpose: the video has {len(crops)} frame(s), fewer than the model's clip of "
            f"{clip_frames}; padding by repeating the last frame",
            file=sys.stderr,
        )
    return np.concatenate([crops, np.repeat(crops[-1:], missing, axis=0)])


def predict_windows(
    model,
    crops: np.ndarray,
    clip_frames: int,
    *,
    squares: np.ndarray | None = None,
    intrinsics: np.ndarray | None = None,
    flip_test: bool = False,
    batch_size: int = 8,
    device: str = "cpu",
    stride: int | None = None,
    image_size: int | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Poses (F, 17, 3), metres, root-relative, for person crops uint8 (F, S, S, 3).

    ``model`` maps normalised frames (B, T, 3, S, S) and a geometry to poses (B, T, 17, 3) (a
    PoseModel); crops are resized to ``image_size`` when given and different. ``squares``
    (F, 3), each crop's square (x0, y0, side) in source-image pixels, and ``intrinsics`` (4,)
    fx, fy, cx, cy of the source camera give each window the geometry the integral head lifts
    with (vidpose.models.crop_geometry); without them the head assumes its default camera.
    ``flip_test`` averages with the prediction on the mirrored window. Each window goes through
    :func:`vidpose.engine.clip_inference.predict_batch`, the forward pass ``evaluate`` uses, so a
    stored clip predicts the same here as there. Windows are batched ``batch_size`` at a time;
    overlapping predictions are averaged.
    """
    import torch

    from vidpose.clips.batch import ClipBatch
    from vidpose.engine.clip_inference import predict_batch
    from vidpose.infra.progress import progress_bar
    from vidpose.models.crop_geometry import make_geometry

    num_frames = len(crops)
    if num_frames == 0:
        raise ValueError("no frames to predict")
    if (squares is None) != (intrinsics is None):
        raise ValueError("give both squares and intrinsics, or neither")
    padded = pad_to_clip(crops, clip_frames)
    padded_squares = None if squares is None else pad_to_clip(squares, clip_frames, warn=False)
    starts = window_starts(len(padded), clip_frames, stride)
    total = np.zeros((len(padded), NUM_JOINTS, 3), dtype=np.float64)
    counts = np.zeros(len(padded), dtype=np.int64)
    offsets = np.arange(clip_frames)
    model.eval()
    with (
        torch.inference_mode(),
        progress_bar(
            total=len(starts), desc="predicting", unit="window", disable=not progress
        ) as bar,
    ):
        for first in range(0, len(starts), batch_size):
            batch_starts = starts[first : first + batch_size]
            index = batch_starts[:, None] + offsets[None, :]  # (B, T)
            clips = torch.from_numpy(np.ascontiguousarray(padded[index])).to(device)
            geometry = None
            if padded_squares is not None:
                cameras = np.tile(np.asarray(intrinsics, np.float32).reshape(1, 4), (len(index), 1))
                geometry = make_geometry(
                    padded_squares[index], cameras, int(crops.shape[2]), device
                )
            batch = ClipBatch(clips, geometry=geometry)
            poses = predict_batch(model, batch, image_size, flip_test)
            poses = poses.float().cpu().numpy()  # (B, T, 17, 3)
            np.add.at(total, index.ravel(), poses.reshape(-1, NUM_JOINTS, 3))
            np.add.at(counts, index.ravel(), 1)
            bar.update(len(batch_starts))
    return (total / counts[:, None, None])[:num_frames].astype(np.float32)
