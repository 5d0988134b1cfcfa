"""What a lifter trains on: keypoint windows of two pose-sequence stores (the lifting track's
``TrainingData`` for vidpose.engine.trainer).

- DATA/train and DATA/test are sequence stores (vidpose.sequences); ``data.keypoints`` names
  the 2D source. A training sample is (sequence, first output frame), with the lifter's
  receptive field around it (vidpose.lifting.windows); the whole split's arrays sit on the
  training device (a few hundred MB for all of Human3.6M), so a batch is one gather there.
- ``LiftingStepInputs`` gathers each step's windows, augments them
  (vidpose.lifting.keypoint_augment) and normalises them into a ``KeypointBatch``.
- The per-epoch test pass and the final report predict every frame of every evaluation
  sequence of DATA/test (all cameras, sequence ends padded; vidpose.lifting.sequence_inference),
  shared out between processes by sequence.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from vidpose.engine import distributed, performance
from vidpose.engine.data_order import eval_shard
from vidpose.engine.run_setup import build_training_model
from vidpose.engine.train_step import SeededAugmentation
from vidpose.keypoints.normalize import normalize_screen
from vidpose.lifting.keypoint_augment import (
    KeypointAugmentConfig,
    detector_errors,
    flip_keypoints,
    flip_poses3d,
    rotate_camera,
    rotation_matrices,
)
from vidpose.lifting.sequence_evaluation import evaluate_store_predictions
from vidpose.lifting.sequence_inference import predict_sequences
from vidpose.lifting.windows import (
    KeypointBatch,
    KeypointSequences,
    TrainingWindows,
    screen_input,
)
from vidpose.pose.baselines import mean_training_pose
from vidpose.pose.camera import project_torch
from vidpose.runs.run_config import LifterRunConfig
from vidpose.sequences import open_sequences

#: Training work per sample for ``compile: auto`` (vidpose.engine.performance): tiny beside an
#: image model's frames × pixels.
WORK_PER_SAMPLE = 1e4


class LiftingStepInputs(SeededAugmentation):
    """Sample indices → their keypoint windows, augmented and normalised, and the K target
    frames (a ``KeypointBatch``)."""

    def __init__(
        self,
        windows: TrainingWindows,
        augment: KeypointAugmentConfig,
        context: tuple[int, int],
        with_confidence: bool,
        rotate: bool,
        device: torch.device,
        seed: int,
    ) -> None:
        self.windows = windows
        self.augment = augment
        self.before, self.after = context
        self.output_frames = windows.output_frames
        self.with_confidence = with_confidence
        self.rotate = rotate and augment.enabled and augment.camera_rotation_deg > 0
        super().__init__(device, seed)

    def prepare(self, indices: np.ndarray) -> KeypointBatch:
        """Training samples ``indices`` → ``KeypointBatch(inputs=keypoints (B, W, 17, C)
        screen-normalised and augmented, poses3d=the K output frames (B, K, 17, 3))``."""
        windows = self.windows.batch(indices, self.before, self.after)
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
        return KeypointBatch(screen_input(screen, self.with_confidence), poses3d)


class SampleIndices:
    """The lifter's ``train_batches``: each step's sample indices as they are (the step inputs
    gather the windows from the split's arrays, which sit on the training device)."""

    def __init__(self, device: torch.device) -> None:
        self.path = "resident" if device.type == "cuda" else "direct"

    def batches(self, index_lists: list[np.ndarray]) -> Iterator[np.ndarray]:
        yield from index_lists


class LifterTraining:
    """The lifting track's ``TrainingData`` (see the module docstring)."""

    def __init__(
        self, config: LifterRunConfig, data_dir: Path, context: distributed.Context
    ) -> None:
        self.config, self.context = config, context
        device = context.device
        self.train_store = open_sequences(data_dir / "train")
        self.test_store = open_sequences(data_dir / "test")
        rotate = config.augment.enabled and config.augment.camera_rotation_deg > 0
        if rotate and not self.train_store.from_mocap and context.is_main:
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
        self.train_windows = TrainingWindows(
            self.train_sequences, config.output_frames, config.data.sample_stride
        )
        self.train_size = len(self.train_windows)
        self.fps = self.train_store.fps
        self.train_batches = SampleIndices(device)
        self.test_targets = np.concatenate(
            [self.test_store.poses3d[self.test_store.slice(i)] for i in self.evaluation_indices]
        )

    def set_up_speed(self, total_steps: int) -> performance.Speed:
        train, device = self.config.train, self.context.device
        work = float(total_steps * train.batch_size) * WORK_PER_SAMPLE
        speed = performance.resolve_speed(
            device, train.precision, False, train.compile, training_work=work
        )
        performance.configure_backends(device)
        return speed

    def build_model(self, speed: performance.Speed) -> torch.nn.Module:
        return build_training_model(
            self.config, self.train_store.poses3d, device=self.context.device, speed=speed
        )

    def step_inputs(self, model: torch.nn.Module, seed: int) -> LiftingStepInputs:
        return LiftingStepInputs(
            self.train_windows,
            self.config.augment,
            model.context,
            model.input_channels == 3,
            self.rotate,
            self.context.device,
            seed=seed,
        )

    def predict_test(self, model: torch.nn.Module, speed: performance.Speed) -> np.ndarray:
        """Poses (F, 17, 3) metres for every frame of the evaluation sequences, in order."""
        context, settings = self.context, self.config.eval
        shard = eval_shard(len(self.evaluation_indices), context.rank, context.world_size)
        mine = [self.evaluation_indices[i] for i in shard]
        predictions = predict_sequences(
            model,
            self.test_sequences,
            mine,
            batch_size=settings.batch_size,
            flip_test=settings.flip_test,
            autocast=performance.autocast(context.device, speed),
        )
        if context.distributed:
            gathered = distributed.gather_objects(predictions, context)
            predictions = [poses for part in gathered for poses in part]
        return np.concatenate(predictions) if predictions else np.zeros((0, 17, 3), np.float32)

    def evaluation_report(self, predictions: np.ndarray) -> dict:
        return evaluate_store_predictions(
            predictions,
            self.test_store,
            self.evaluation_indices,
            mean_training_pose(self.train_store.poses3d),
            baseline_source=str(self.train_store.path),
        )

    def checkpoint_fields(self) -> dict[str, int]:
        """A lifter's checkpoint records nothing about its input beyond the model section."""
        return {}

    def data_paths(self) -> tuple[str, str]:
        """The training split's data path; the test pass reads the same device arrays."""
        return self.train_batches.path, self.train_batches.path
