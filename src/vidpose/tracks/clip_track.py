"""The clip track: clip stores of RGB frames (vidpose.clips.clip_store) and image models
(``PoseModel``, ``ClipRunConfig``); the interface is vidpose.tracks'."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidpose.clips import clip_store as clip_store
from vidpose.clips.clip_store import ClipStore, open_store
from vidpose.infra.errors import UserError
from vidpose.models.settings import CLIPS
from vidpose.tracks import store_info
from vidpose.tracks.clip_training import ClipTraining, effective_fps
from vidpose.tracks.track import EvaluateOptions, Track


@dataclass
class RenderedClip:
    """What ``vidpose render`` draws of one clip or sequence: ``frames`` (T, H, W, 3) uint8,
    ``poses3d`` (T, 17, 3) and ``poses2d`` (T, 17, 2) pixels of the frames (the ground truth;
    None when the frames show the 2D already), ``prediction`` (T, 17, 3) metres or None,
    ``fps`` and a ``label``."""

    frames: np.ndarray
    poses3d: np.ndarray
    poses2d: np.ndarray | None
    prediction: np.ndarray | None
    fps: float
    label: str


class ClipTrack(Track):
    kind = CLIPS
    store_format = clip_store.FORMAT_NAME
    store_noun = "clip store"
    row_noun = "clip"
    store_hint = "make one with vidpose synth or vidpose prepare h36m / npy"
    open_store = staticmethod(clip_store.open_store)
    training_class = ClipTraining

    def evaluate(
        self,
        model: torch.nn.Module,
        checkpoint: dict[str, Any],
        checkpoint_path: Path,
        store_path: Path,
        options: EvaluateOptions,
    ) -> dict[str, Any]:
        """The report of vidpose.pose.evaluation on every clip of the clip store ``store_path``."""
        from vidpose.engine.clip_inference import predict_store
        from vidpose.pose.evaluation import evaluate_predictions

        if options.keypoints is not None:
            raise UserError("--keypoints: only for lifters; this checkpoint is an image model")
        store = open_store(store_path)
        if not store.has_frames:
            raise UserError(
                f"{store_path}: a pose-only store (no frames.npy); evaluate needs frames"
            )
        clip_frames = int(checkpoint["clip_frames"])
        if store.frames_per_clip != clip_frames:
            raise UserError(
                f"{store_path}: clips of {store.frames_per_clip} frames, but {checkpoint_path} "
                f"was trained on {clip_frames}-frame clips"
            )
        mean_pose, mean_pose_source = self.training_mean_pose(store_path, checkpoint)
        predictions = predict_store(
            model,
            store,
            batch_size=options.batch_size,
            device=options.device,
            flip_test=options.flip_test,
        )
        return evaluate_predictions(
            predictions, store.poses3d, store.clips, mean_pose, baseline_source=mean_pose_source
        )

    def describe(self, store_path: Path, train_path: Path | None = None) -> dict[str, Any]:
        """Everything ``vidpose info`` reports of a clip store, as a JSON-ready dict (the frames
        stay a memory map: only their shape is read)."""
        store = open_store(store_path)
        meta = store.meta
        named = {"poses3d": store.poses3d, "poses2d": store.poses2d, "frames": store.frames}
        named.update(root=store.root, crop=store.crop, intrinsics=store.intrinsics)
        fps, stride = float(meta.get("fps", 0.0)), int(meta.get("frame_stride", 1))
        return {
            "kind": self.store_noun,
            "path": str(store_path),
            "format_version": meta.get("format_version"),
            "source": meta.get("source"),
            "num_clips": store.num_clips,
            "frames_per_clip": store.frames_per_clip,
            "arrays": store_info.arrays(named),
            "has_frames": store.has_frames,
            "image_size": None if store.image_size is None else list(store.image_size),
            "fps": fps,
            "frame_stride": stride,
            "clip_fps": fps / stride if stride else None,
            "subjects": store_info.counts(store.column("subject")),
            "actions": store_info.counts(store.column("action")),
            "cameras": store_info.counts(store.column("camera")),
            **store_info.pose_statistics(store.poses3d, store.root),
            "mean_pose_baseline": store_info.mean_pose_baseline(
                store, store_path, train_path, open_store
            ),
        }

    def format_info(self, info: dict[str, Any]) -> str:
        """A readable multi-line description of :meth:`describe`'s result."""
        n, t = info["num_clips"], info["frames_per_clip"]
        source = info["source"].get("kind", "?") if isinstance(info["source"], dict) else "?"
        lines = [
            f"clip store     {info['path']}  (format v{info['format_version']}, source: {source})",
            f"clips          {n} clips x {t} frames = {n * t} frames",
            *store_info.format_arrays(info),
        ]
        if info["has_frames"]:
            h, w = info["image_size"]
            lines.append(f"frames         present, {w}x{h} pixels (W x H), memory-mapped")
        else:
            lines.append("frames         none (pose-only store)")
        lines.append(
            f"timing         {info['fps']:g} fps, stride {info['frame_stride']}"
            f" -> {info['clip_fps']:g} fps within a clip"
        )
        return "\n".join(lines + store_info.format_common(info))

    def contact_sheet(
        self, store: ClipStore, rows: int, tile: int | None
    ) -> tuple[np.ndarray, int]:
        """``vidpose show``: (the sheet of up to ``rows`` clips × their frames, every other row
        with its 2D; the rows drawn)."""
        from vidpose.clips.contact_sheet import contact_sheet

        return contact_sheet(store, clips=rows, tile=tile), min(rows, store.num_clips)

    def render_clip(
        self,
        store: ClipStore,
        index: int,
        model: torch.nn.Module | None,
        checkpoint: dict[str, Any] | None,
        device: torch.device | str,
    ) -> RenderedClip:
        """Clip ``index`` of ``store`` with, given a model, its prediction (the stored crop and
        camera feed the integral head's lift). A pose-only store's 2D is drawn on grey."""
        if not 0 <= index < store.num_clips:
            raise UserError(f"--clip {index}: {store.path} holds clips 0..{store.num_clips - 1}")
        gt, poses2d = store.poses3d[index], store.poses2d[index]
        if store.has_frames:
            frames = np.asarray(store.frames[index])
        else:
            side = int(np.ceil(max(poses2d.max(), 1.0)))
            frames = np.full((store.frames_per_clip, side, side, 3), 64, np.uint8)
        prediction = None
        if model is not None:
            prediction = self._predict_clip(store, index, frames, model, checkpoint, device)
        row = store.clips[index]
        label = f"clip {index} ({row['subject']} {row['action']} camera {row['camera']})"
        return RenderedClip(frames, gt, poses2d, prediction, effective_fps(store), label)

    def _predict_clip(self, store, index, frames, model, checkpoint, device) -> np.ndarray:
        from vidpose.engine.clip_inference import recipe_flip_test
        from vidpose.video.clip_windows import predict_windows

        if not store.has_frames:
            raise UserError(f"{store.path}: a pose-only store has no frames to predict from")
        has_geometry = store.crop is not None and store.intrinsics is not None
        return predict_windows(
            model,
            frames,
            int(checkpoint["clip_frames"]),
            squares=store.crop[index] if has_geometry else None,
            intrinsics=store.intrinsics[index] if has_geometry else None,
            flip_test=recipe_flip_test(checkpoint),
            device=device,
            image_size=int(checkpoint["image_size"]),
        )


#: The clip track.
CLIP_TRACK = ClipTrack()
