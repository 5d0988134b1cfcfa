"""The lifting track: pose-sequence stores of 2D keypoints and 3D poses (vidpose.sequences) and
lifters (``LiftingModel``, ``LifterRunConfig``); the interface is vidpose.tracks'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidpose import sequences
from vidpose.clips.crops import CROP_MARGIN
from vidpose.infra.errors import UserError
from vidpose.models.settings import LIFTER
from vidpose.sequences import SequenceStore, open_sequences
from vidpose.tracks import store_info
from vidpose.tracks.clip_track import RenderedClip
from vidpose.tracks.lifter_training import LifterTraining
from vidpose.tracks.track import EvaluateOptions, Track

#: Side of the grey square a sequence's 2D keypoints are drawn on (render), pixels.
CANVAS = 256
#: Frames per row of a sequence store's contact sheet (spread along each sequence).
SHEET_FRAMES = 8


def keypoint_canvas(keypoints: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """2D keypoints (T, 17, 3) pixels + confidence → (grey frames (T, side, side, 3) uint8, the
    keypoints (T, 17, 3) in their pixels): one square around every seen joint of the T frames
    (``CROP_MARGIN`` × the longer side), so the person keeps their place on the canvas."""
    points = np.asarray(keypoints, np.float64)
    seen = points[..., 2] > 0
    if not seen.any():
        low, extent = np.zeros(2), 1.0
    else:
        low, high = points[seen][:, :2].min(0), points[seen][:, :2].max(0)
        extent = max(float((high - low).max()) * CROP_MARGIN, 1.0)
        low = (low + high) / 2 - extent / 2
    placed = points.copy()
    placed[..., :2] = (points[..., :2] - low) * (side / extent)
    frames = np.full((len(points), side, side, 3), 64, np.uint8)
    return frames, placed


class LifterTrack(Track):
    kind = LIFTER
    store_format = sequences.FORMAT_NAME
    store_noun = "pose-sequence store"
    row_noun = "sequence"
    store_hint = "make one with vidpose prepare videopose3d or vidpose synth --poses-only"
    open_store = staticmethod(open_sequences)
    training_class = LifterTraining

    def evaluate(
        self,
        model: torch.nn.Module,
        checkpoint: dict[str, Any],
        checkpoint_path: Path,
        store_path: Path,
        options: EvaluateOptions,
    ) -> dict[str, Any]:
        """The field's protocol on the sequence store ``store_path``: every frame of every
        evaluation sequence with 2D source ``keypoints`` (default: the run's
        ``data.keypoints``, else the store's default); vidpose.lifting.sequence_evaluation."""
        from vidpose.lifting.sequence_evaluation import evaluate_lifter

        store = open_sequences(store_path)
        source = self._source(store, checkpoint, options.keypoints)
        mean_pose, mean_pose_source = self.training_mean_pose(store_path, checkpoint)
        return evaluate_lifter(
            model,
            store,
            source,
            device=options.device,
            batch_size=options.batch_size,
            flip_test=options.flip_test,
            train_mean_pose=mean_pose,
            baseline_source=mean_pose_source,
        )

    def _source(
        self, store: SequenceStore, checkpoint: dict[str, Any] | None, keypoints: str | None
    ) -> str | None:
        """The 2D source to lift: ``keypoints`` (``--keypoints``), else the run's
        ``data.keypoints``, else None (the store's default); refused unless the store has it."""
        config = (checkpoint or {}).get("config") or {}
        source = keypoints or (config.get("data") or {}).get("keypoints")
        if source is not None and source not in store.sources_2d:
            given = "--keypoints" if keypoints else "the run's data.keypoints"
            raise UserError(
                f"{store.path}: no 2D source {source!r} ({given}); this store has "
                f"{', '.join(store.sources_2d)} (choose one with --keypoints NAME)"
            )
        return source

    def describe(self, store_path: Path, train_path: Path | None = None) -> dict[str, Any]:
        """Everything ``vidpose info`` reports of a sequence store, as a JSON-ready dict."""
        store = open_sequences(store_path)
        meta, infos = store.meta, store.sequences
        named = {"poses3d": store.poses3d, "root": store.root, "intrinsics": store.intrinsics}
        for name in store.sources_2d:
            named[f"keypoints2d_{name}"] = store.keypoints_raw(name)
        frames = np.array([info.frames for info in infos])
        return {
            "kind": self.store_noun,
            "path": str(store_path),
            "format_version": meta.get("version"),
            "source": meta.get("source"),
            "num_sequences": len(store),
            "num_frames": store.num_frames,
            "frames_per_sequence": {"min": int(frames.min()), "max": int(frames.max())},
            "arrays": store_info.arrays(named),
            "fps": store.fps,
            "from_mocap": store.from_mocap,
            "sources_2d": {
                name: {
                    "layout": store.layout(name),
                    "missing_sequences": len(store.missing_2d(name)),
                }
                for name in store.sources_2d
            },
            "default_2d": store.default_2d,
            "evaluation_sequences": len(store.evaluation_indices()),
            "image_sizes": store_info.counts(f"{i.width}x{i.height}" for i in infos),
            "subjects": store_info.counts(info.subject for info in infos),
            "actions": store_info.counts(info.action for info in infos),
            "cameras": store_info.counts(info.camera for info in infos),
            **store_info.pose_statistics(store.poses3d, store.root),
            "mean_pose_baseline": store_info.mean_pose_baseline(
                store, store_path, train_path, open_sequences
            ),
        }

    def format_info(self, info: dict[str, Any]) -> str:
        """A readable multi-line description of :meth:`describe`'s result."""
        source = info["source"].get("kind", "?") if isinstance(info["source"], dict) else "?"
        lengths = info["frames_per_sequence"]
        sources = ", ".join(
            f"{name} ({item['layout']}"
            + (", default" if name == info["default_2d"] else "")
            + (f", missing in {item['missing_sequences']}" if item["missing_sequences"] else "")
            + ")"
            for name, item in info["sources_2d"].items()
        )
        images = ", ".join(f"{size} ({n})" for size, n in info["image_sizes"].items())
        lines = [
            f"sequence store {info['path']}  (format v{info['format_version']}, source: {source})",
            f"sequences      {info['num_sequences']} sequences, {info['num_frames']} frames "
            f"({lengths['min']}..{lengths['max']} per sequence), "
            f"{info['evaluation_sequences']} in the standard evaluation",
            *store_info.format_arrays(info),
            f"2D sources     {sources}",
            f"images         {images}",
            f"timing         {info['fps']:g} fps"
            + ("; motion capture (2D projected from 3D)" if info["from_mocap"] else ""),
        ]
        return "\n".join(lines + store_info.format_common(info))

    def contact_sheet(
        self, store: SequenceStore, rows: int, tile: int | None
    ) -> tuple[np.ndarray, int]:
        """``vidpose show``: (the sheet of up to ``rows`` sequences, spread over the actions,
        × ``SHEET_FRAMES`` frames spread along each, the default 2D source drawn on grey; the
        rows drawn)."""
        from vidpose.clips.contact_sheet import assemble_sheet, draw_skeleton, pick_rows

        tile = tile or 96
        missing = set(store.missing_2d())
        usable = [i for i in range(len(store)) if i not in missing]
        if not usable:  # (pick_rows needs at least one)
            raise UserError(f"{store.path}: its default 2D source lacks every sequence")
        actions = np.array([store.sequences[i].action for i in usable], dtype=object)
        keypoints = store.keypoints()
        tiles, labels = [], []
        for index in (usable[i] for i in pick_rows(actions, rows)):
            info = store.sequences[index]
            picked = np.linspace(0, info.frames - 1, SHEET_FRAMES).round().astype(np.int64)
            frames, placed = keypoint_canvas(keypoints[info.start + picked], tile)
            for frame, points in zip(frames, placed, strict=True):
                draw_skeleton(frame, points[:, :2], visible=points[:, 2] > 0)
            tiles.append(frames)
            labels.append(
                [
                    f"{info.subject} {info.action}",
                    f"cam {info.camera}",
                    f"{info.frames} frames",
                    f"sequence {index}  {store.default_2d}",
                ]
            )
        return assemble_sheet(tiles, labels), len(tiles)

    def render_clip(
        self,
        store: SequenceStore,
        index: int,
        model: torch.nn.Module | None,
        checkpoint: dict[str, Any] | None,
        device: torch.device | str,
    ) -> RenderedClip:
        """Sequence ``index`` of ``store``: the 2D source the lifter reads (the run's
        ``data.keypoints``, else the store's default) on grey, the true 3D and, given a
        lifter, its prediction (every frame, the sequence ends padded as in evaluation)."""
        from vidpose.clips.contact_sheet import draw_skeleton

        if not 0 <= index < len(store):
            raise UserError(f"--clip {index}: {store.path} holds sequences 0..{len(store) - 1}")
        info = store.sequences[index]
        source = self._source(store, checkpoint, None)
        if index in store.missing_2d(source):
            raise UserError(f"--clip {index}: the 2D source of {store.path} lacks this sequence")
        frames, placed = keypoint_canvas(store.keypoints(source)[store.slice(index)], CANVAS)
        for frame, points in zip(frames, placed, strict=True):
            draw_skeleton(frame, points[:, :2], visible=points[:, 2] > 0)
        prediction = None
        if model is not None:
            prediction = self._predict_sequence(store, index, source, model, checkpoint, device)
        label = f"sequence {index} ({info.subject} {info.sequence} camera {info.camera})"
        gt = np.asarray(store.poses3d[store.slice(index)])
        return RenderedClip(frames, gt, None, prediction, store.fps, label)

    def _predict_sequence(self, store, index, source, model, checkpoint, device) -> np.ndarray:
        from vidpose.engine.clip_inference import recipe_flip_test
        from vidpose.lifting.sequence_inference import predict_sequences
        from vidpose.lifting.windows import KeypointSequences

        model.to(device)
        data = KeypointSequences(store, source, device, sequences=[index])
        flip_test = recipe_flip_test(checkpoint)
        return predict_sequences(model, data, [index], flip_test=flip_test)[0]


#: The lifting track.
LIFTER_TRACK = LifterTrack()
