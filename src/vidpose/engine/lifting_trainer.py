"""The training loop for lifters (``model.lifter``): the same ``Trainer``, fed keypoint windows.

Everything that makes a run a run (the seeded resumable data order, DDP, precision, the
optimizer and schedule, per-step metrics, the NaN stop, checkpoints, curves) is the
``Trainer``'s; this subclass only changes what it reads and predicts:

- DATA/train and DATA/test are sequence stores (vidpose.sequences); ``data.keypoints`` names
  the 2D source. A training sample is (sequence, first output frame), with the lifter's
  receptive field around it (vidpose.lifting.windows); the whole split's arrays sit on the
  training device (a few hundred MB for all of Human3.6M), so a batch is one gather there.
- ``LiftingStepInputs`` augments each batch (vidpose.lifting.augment) and normalises it.
- The per-epoch test pass and the final report predict every frame of every evaluation
  sequence of DATA/test (all cameras, sequence ends padded; vidpose.lifting.predict), shared
  out between processes by sequence.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from vidpose.atomic import write_json_atomic
from vidpose.camera import project_torch
from vidpose.config import output_frames
from vidpose.data.batch import ClipBatch
from vidpose.data.order import eval_shard
from vidpose.engine import distributed, performance
from vidpose.engine.run_setup import build_training_model
from vidpose.engine.train_step import SeededAugmentation
from vidpose.engine.trainer import Trainer, TrainResult, train
from vidpose.keypoints.normalize import normalize_screen
from vidpose.lifting.augment import (
    KeypointAugmentConfig,
    detector_errors,
    flip_keypoints,
    flip_poses3d,
    rotate_camera,
    rotation_matrices,
)
from vidpose.lifting.evaluate import evaluate_store_predictions
from vidpose.lifting.predict import predict_sequences
from vidpose.lifting.windows import KeypointSequences, TrainingWindows, Windows, screen_input
from vidpose.sequences import open_sequences


class LiftingStepInputs(SeededAugmentation):
    """Keypoint windows → augmented, normalised model input and the K target frames."""

    def __init__(
        self,
        augment: KeypointAugmentConfig,
        context: tuple[int, int],
        output_frames: int,
        with_confidence: bool,
        rotate: bool,
        device: torch.device,
        seed: int,
    ) -> None:
        self.augment = augment
        self.before = context[0]
        self.output_frames = output_frames
        self.with_confidence = with_confidence
        self.rotate = rotate and augment.enabled and augment.camera_rotation_deg > 0
        super().__init__(device, seed)

    def prepare(self, windows: Windows) -> ClipBatch:
        """A batch of windows (on the device) → ``ClipBatch(inputs=keypoints (B, W, 17, C)
        screen-normalised and augmented, poses3d=the K output frames (B, K, 17, 3))``."""
        keypoints, poses3d = windows.keypoints, windows.poses3d
        augment = self.augment
        active = not augment.is_identity
        if active:
            draws = torch.rand(
                (len(keypoints), 4), generator=self.generator, device=self.generator.device
            )
        if active and self.rotate:
            angles = (draws[:, 1:] * 2 - 1) * math.radians(augment.camera_rotation_deg)
            poses3d, root = rotate_camera(poses3d, windows.root, rotation_matrices(angles))
            pixels = project_torch(poses3d + root[..., None, :], windows.intrinsics)
            keypoints = torch.cat([pixels, keypoints[..., 2:]], dim=-1)
        # Only the output frames are targets; the whole window's 3D was needed for the turn.
        poses3d = poses3d[:, self.before : self.before + self.output_frames]
        width = windows.image_size[:, 0].reshape(-1, 1, 1)
        height = windows.image_size[:, 1].reshape(-1, 1, 1)
        screen = normalize_screen(keypoints, width, height)
        if active and augment.flip > 0:
            mirrored = (draws[:, 0] < augment.flip).reshape(-1, 1, 1, 1)
            screen = torch.where(mirrored, flip_keypoints(screen), screen)
            poses3d = torch.where(mirrored, flip_poses3d(poses3d), poses3d)
        if active:
            screen = detector_errors(screen, augment, self.generator)
        return ClipBatch(screen_input(screen, self.with_confidence), poses3d)


class WindowBatches:
    """The trainer's ``train_batches``: each step's windows, gathered on the device."""

    def __init__(self, windows: TrainingWindows, context: tuple[int, int]) -> None:
        self.windows = windows
        self.context = context
        self.path = "resident" if windows.data.device.type == "cuda" else "direct"

    def batches(self, index_lists) -> Iterator[Windows]:
        for indices in index_lists:
            yield self.windows.batch(indices, *self.context)


class LiftingTrainer(Trainer):
    """``Trainer`` over sequence stores for ``model.lifter`` configs (see module docstring)."""

    def _open_data(self, data_dir: Path) -> None:
        config, device = self.config, self.context.device
        self.train_store = open_sequences(data_dir / "train")
        self.test_store = open_sequences(data_dir / "test")
        rotate = config.augment.enabled and config.augment.camera_rotation_deg > 0
        if rotate and not self.train_store.from_mocap and self.context.is_main:
            print(
                f"note: augment.camera_rotation_deg is ignored: {self.train_store.path} is not "
                "from motion capture (its 2D is measured, not projected)",
                file=sys.stderr,
            )
        self.rotate = rotate and self.train_store.from_mocap
        source = config.data.keypoints
        self.train_sequences = KeypointSequences(
            self.train_store, source, device, with_root=self.rotate
        )
        self.test_sequences = KeypointSequences(self.test_store, source, device)
        self.evaluation_indices = self.test_store.evaluation_indices(self.test_sequences.source)
        self.output_frames = output_frames(config)
        self.train_data = TrainingWindows(
            self.train_sequences, self.output_frames, config.data.sample_stride
        )
        self.clip_frames = config.model.receptive_field
        self.image_size = 0  # no images: the checkpoint records 0
        self._test_targets = np.concatenate(
            [self.test_store.poses3d[self.test_store.slice(i)] for i in self.evaluation_indices]
        )

    def _set_up_speed(self) -> None:
        train, device = self.config.train, self.context.device
        work = float(self.total_steps * self.batch_size) * 1e4  # tiny beside image models
        self.speed = performance.resolve_speed(
            device, train.precision, False, train.compile, training_work=work
        )
        performance.configure_backends(device)

    def _build_model(self) -> torch.nn.Module:
        model = build_training_model(
            self.config,
            self.train_store,
            image_size=0,
            clip_frames=self.clip_frames,
            device=self.context.device,
            speed=self.speed,
        )
        self.train_batches = WindowBatches(self.train_data, model.context)
        self.test_batches = self.train_batches  # for speed_summary: the same data path
        return model

    def _make_step_inputs(self) -> LiftingStepInputs:
        return LiftingStepInputs(
            self.config.augment,
            self.model.context,
            self.output_frames,
            self.model.input_channels == 3,
            self.rotate,
            self.context.device,
            seed=self.config.seed * 1_000_003 + self.context.rank,
        )

    def test_targets(self) -> np.ndarray:
        return self._test_targets

    def predict_test(self) -> np.ndarray:
        """Poses (F, 17, 3) metres for every frame of the evaluation sequences, in order."""
        shard = eval_shard(len(self.evaluation_indices), self.context.rank, self.context.world_size)
        mine = [self.evaluation_indices[i] for i in shard]
        predictions = predict_sequences(
            self.eval_model,
            self.test_sequences,
            mine,
            batch_size=self.config.eval.batch_size,
            flip_test=self.config.eval.flip_test,
            autocast=performance.autocast(self.context.device, self.speed),
        )
        if self.context.distributed:
            gathered = distributed.gather_objects(predictions, self.context)
            predictions = [poses for part in gathered for poses in part]
        return np.concatenate(predictions) if predictions else np.zeros((0, 17, 3), np.float32)

    def _write_evaluation(self, predictions: np.ndarray) -> None:
        report = evaluate_store_predictions(
            predictions,
            self.test_store,
            self.evaluation_indices,
            self.train_store.poses3d.reshape(-1, 17, 3).mean(0, dtype=np.float64),
            baseline_source=str(self.train_store.path),
        )
        write_json_atomic(self.run_dir / "evaluation.json", report)


def train_lifter(
    config,
    data_dir: str | Path,
    run_dir: str | Path,
    *,
    resume: bool = False,
    device: str | None = None,
    stop_after_steps: int = 0,
) -> TrainResult:
    """``vidpose.engine.trainer.train`` for lifter configs."""
    return train(
        config,
        data_dir,
        run_dir,
        resume=resume,
        device=device,
        stop_after_steps=stop_after_steps,
        trainer_class=LiftingTrainer,
    )
