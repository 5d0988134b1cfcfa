"""What an image model trains on: the clips of two clip stores (the clip track's
``TrainingData`` for vidpose.engine.trainer).

DATA/train and DATA/test are clip stores with frames (vidpose.clips.clip_store) of one clip length.
Their clips reach the device by the data path of ``train.data_path`` (vidpose.engine.batches);
``StepInputs`` augments and normalises each batch (vidpose.engine.train_step); the per-epoch
test pass predicts every test clip (vidpose.engine.clip_inference.predict_source).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

from vidpose.clips.clip_source import ClipDataset
from vidpose.clips.clip_store import ClipStore, open_store
from vidpose.engine import distributed, performance
from vidpose.engine.batches import place_training_data
from vidpose.engine.clip_inference import predict_source
from vidpose.engine.run_setup import build_training_model
from vidpose.engine.train_step import StepInputs
from vidpose.infra.errors import UserError
from vidpose.models.frame_input import normalize_frames
from vidpose.pose.baselines import mean_training_pose
from vidpose.pose.evaluation import evaluate_predictions
from vidpose.runs.run_config import ClipRunConfig


def effective_fps(store: ClipStore) -> float:
    """Frames per second of the store's clips: the recording's fps over the frame stride."""
    return float(store.meta.get("fps", 50.0)) / max(1, int(store.meta.get("frame_stride", 1)))


def check_same_clip_length(train_store: ClipStore, test_store: ClipStore) -> None:
    """The model is built for one clip length T; both stores must hold clips of it."""
    if test_store.frames_per_clip != train_store.frames_per_clip:
        raise UserError(
            f"{test_store.path}: {test_store.frames_per_clip}-frame clips, but "
            f"{train_store.path} holds {train_store.frames_per_clip}-frame clips"
        )


class ClipTraining:
    """The clip track's ``TrainingData`` (see the module docstring)."""

    def __init__(self, config: ClipRunConfig, data_dir: Path, context: distributed.Context) -> None:
        self.config, self.context = config, context
        self.train_store = open_store(data_dir / "train")
        self.test_store = open_store(data_dir / "test")
        self.train_data = ClipDataset(self.train_store, config.data.clip_frames)
        self.test_data = ClipDataset(self.test_store, config.data.clip_frames)
        check_same_clip_length(self.train_store, self.test_store)
        self.clip_frames = self.train_store.frames_per_clip
        self.image_size = config.data.image_size
        self.train_size = len(self.train_data)
        self.fps = effective_fps(self.train_store)
        self.test_targets = self.test_data.poses3d

    def set_up_speed(self, total_steps: int) -> performance.Speed:
        """Precision, memory format, compile and the data path of each store (vidpose.engine.batches
        and .performance); ``auto`` settings resolve to the plain path on CPU."""
        train, device = self.config.train, self.context.device
        work = (
            float(total_steps * train.batch_size * self.context.world_size)
            * self.clip_frames
            * self.image_size**2
        )
        speed = performance.resolve_speed(
            device, train.precision, train.channels_last, train.compile, training_work=work
        )
        performance.configure_backends(device)
        self.normalizer = functools.partial(normalize_frames, channels_last=speed.channels_last)
        self.train_batches, self.test_batches = place_training_data(
            self.train_data, self.test_data, device, train.data_path, train.gpu_memory_budget_gb
        )
        return speed

    def build_model(self, speed: performance.Speed) -> torch.nn.Module:
        """The model for (``clip_frames``, 3, ``image_size``, ``image_size``) clips."""
        model = build_training_model(
            self.config, self.train_store.poses3d, device=self.context.device, speed=speed
        )
        model.image_size, model.clip_frames = self.image_size, self.clip_frames
        return model

    def step_inputs(self, model: torch.nn.Module, seed: int) -> StepInputs:
        """What turns each stored batch into the model's input and targets (``prepare``)."""
        return StepInputs(
            self.config.augment,
            self.image_size,
            self.context.device,
            seed=seed,
            normalize=self.normalizer,
        )

    def predict_test(self, model: torch.nn.Module, speed: performance.Speed) -> np.ndarray:
        """The model's poses for every test clip (N, T, 17, 3) metres, on every process."""
        settings = self.config.eval
        return predict_source(
            model,
            self.test_batches,
            batch_size=settings.batch_size,
            device=self.context.device,
            flip_test=settings.flip_test,
            image_size=self.image_size,
            context=self.context,
            progress=True,
            speed=speed,
            normalize=self.normalizer,
        )

    def evaluation_report(self, predictions: np.ndarray) -> dict:
        """The evaluation report of the test ``predictions`` (vidpose.pose.evaluation), its
        mean-pose baseline the training store's."""
        return evaluate_predictions(
            predictions,
            self.test_store.poses3d,
            self.test_store.clips,
            mean_training_pose(self.train_store.poses3d),
            baseline_source=str(self.train_store.path),
        )

    def checkpoint_fields(self) -> dict[str, int]:
        """The model's input: clip length and input side."""
        return {"clip_frames": self.clip_frames, "image_size": self.image_size}

    def data_paths(self) -> tuple[str, str]:
        return self.train_batches.path, self.test_batches.path
