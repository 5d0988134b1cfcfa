"""What every track is: the names it goes by and the training run it starts (vidpose.tracks
has the whole interface; vidpose.tracks.clip_track and vidpose.tracks.lifter_track the two
tracks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vidpose.engine.trainer import Trainer, TrainingData, TrainResult, train
from vidpose.infra.json_files import read_json
from vidpose.pose.baselines import mean_training_pose
from vidpose.runs.checkpoint import KIND_NOUNS
from vidpose.runs.run_config import RunConfig


@dataclass(frozen=True)
class EvaluateOptions:
    """How ``vidpose evaluate`` predicts: on ``device``, ``batch_size`` clips or windows at a
    time, with or without the test-time flip, and (lifters) from 2D source ``keypoints``
    (None: the run's, else the store's default)."""

    device: Any
    batch_size: int
    flip_test: bool
    keypoints: str | None = None


class Track:
    """The part of a track that is the same for both (see vidpose.tracks)."""

    kind: ClassVar[str]  # a checkpoint's and run config's "kind"
    store_format: ClassVar[str]  # the "format" its stores' meta.json names
    store_noun: ClassVar[str]  # "clip store"
    row_noun: ClassVar[str]  # what one of its stores holds: "clip"
    store_hint: ClassVar[str]  # how to make a store of this kind
    #: The validated store of this track's kind at a path (a staticmethod).
    open_store: Callable[[str | Path], Any]
    #: Its ``TrainingData``, built ``(config, data_dir, context)`` on the stores
    #: ``data_dir``/{train,test}.
    training_class: ClassVar[Callable[[RunConfig, Path, Any], TrainingData]]

    def trainer(
        self, config: RunConfig, data_dir: str | Path, run_dir: str | Path, **options: Any
    ) -> Trainer:
        """The engine's trainer of ``config`` on this track's stores ``data_dir``/{train,test}
        (``options``: those of ``Trainer``)."""
        return Trainer(config, data_dir, run_dir, self.training_class, **options)

    def train(
        self, config: RunConfig, data_dir: str | Path, run_dir: str | Path, **options: Any
    ) -> TrainResult:
        """``vidpose.engine.trainer.train`` on this track's stores (``options``: resume,
        device, stop_after_steps)."""
        return train(config, data_dir, run_dir, self.training_class, **options)

    @property
    def model_noun(self) -> str:
        """What a model of this track is called in messages: "an image model", "a lifter"
        (vidpose.runs.checkpoint.KIND_NOUNS)."""
        return KIND_NOUNS[self.kind][0]

    def training_mean_pose(
        self, store_path: Path, checkpoint: dict[str, Any]
    ) -> tuple[np.ndarray | None, str | None]:
        """The evaluation baseline's mean pose (17, 3) metres and where it came from, or
        (None, None): the mean of the sibling ``train`` store of ``store_path`` when there is
        one of this track's kind (the definition), else the checkpoint's ``target_mean`` (the
        same mean when the run normalised its targets; all zeros, unknown, otherwise)."""
        sibling = store_path.resolve().parent / "train"
        if (sibling / "meta.json").is_file() and store_format(sibling) == self.store_format:
            train = self.open_store(sibling)
            return mean_training_pose(train.poses3d), f"train store {sibling}"
        target_mean = checkpoint.get("model", {}).get("target_mean")
        if target_mean is not None:
            mean = np.asarray(target_mean.detach().cpu().numpy(), dtype=np.float64)
            if mean.shape == (17, 3) and np.abs(mean).max() > 0:
                return mean, "the checkpoint's target_mean (no sibling train store)"
        return None, None

    def __repr__(self) -> str:
        return f"<track {self.kind}>"


def store_format(path: Path) -> Any:
    """The ``format`` that ``path``/meta.json names (None when it names none); a missing or
    unreadable meta.json is a one-line ``UserError``."""
    meta = read_json(path / "meta.json", missing="missing (not a vidpose store)")
    return meta.get("format") if isinstance(meta, dict) else None
