"""Tiny random clip stores and a tiny model config for fast CPU runs of the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidpose.clips.clip_store import write_store
from vidpose.runs.run_config import load_config

TINY_OVERRIDES = [
    "model.backbone=tinycnn",
    "model.feature_dim=16",
    "model.hidden_size=16",
    "model.dropout=0.1",  # exercises the RNG through resume
    "data.image_size=32",
    "train.epochs=2",
    "train.batch_size=3",
    "train.tensorboard=false",
    "train.final_report=false",  # evaluation.json and curves are tested once, in test_trainer
    "eval.batch_size=4",
]


def write_tiny_data(
    root: Path, num_train: int = 10, num_test: int = 7, t: int = 4, geometry: bool = False
) -> Path:
    """DATA/train and DATA/test stores of random 24×24 clips (``t`` frames) and poses;
    ``geometry`` adds crops (off the image centre) and intrinsics, for the integral head."""
    rng = np.random.default_rng(0)
    for split, n, subject in (("train", num_train, "S1"), ("test", num_test, "S9")):
        poses = rng.normal(0.0, 0.3, (n, t, 17, 3)).astype(np.float32)
        poses[:, :, 0] = 0.0
        rows = [
            {
                "subject": subject,
                "action": ("Walking", "Eating")[i % 2],
                "camera": "54138969",
                "sequence": "seq",
                "start_frame": i * t,
            }
            for i in range(n)
        ]
        optional = {}
        if geometry:
            crop = np.stack(
                [
                    rng.uniform(50, 700, (n, t)),
                    rng.uniform(50, 600, (n, t)),
                    np.full((n, t), 300.0),
                ],
                axis=-1,
            )
            optional = {
                "crop": crop.astype(np.float32),
                "intrinsics": np.tile(np.float32([[1145, 1145, 500, 500]]), (n, 1)),
            }
        write_store(
            root / split,
            **optional,
            poses3d=poses,
            poses2d=rng.uniform(0, 24, (n, t, 17, 2)).astype(np.float32),
            clips=rows,
            frames=rng.integers(0, 256, (n, t, 24, 24, 3), dtype=np.uint8),
        )
    return root


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    return write_tiny_data(tmp_path_factory.mktemp("tiny_data"))


@pytest.fixture(scope="session")
def tiny_data_with_geometry(tmp_path_factory) -> Path:
    """Like ``tiny_data``, with crops and intrinsics (what the integral head lifts with)."""
    return write_tiny_data(tmp_path_factory.mktemp("tiny_data_geometry"), geometry=True)


@pytest.fixture(scope="session")
def tiny_overrides() -> list[str]:
    return list(TINY_OVERRIDES)


@pytest.fixture
def tiny_config():
    return load_config(None, TINY_OVERRIDES)
