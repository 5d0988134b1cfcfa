"""A lifter under torchrun (two CPU processes, gloo): the test pass covers every frame once."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from vidpose.lifting.sequence_inference import predict_sequences
from vidpose.lifting.windows import KeypointSequences
from vidpose.runs.checkpoint import load_model
from vidpose.runs.run_config import dump_config, load_config
from vidpose.sequences import open_sequences

CONFIG = Path(__file__).parents[2] / "configs" / "lift_tcn27.yaml"


def test_torchrun_two_processes_predict_every_frame_once(pose_dataset, tmp_path):
    config = load_config(
        CONFIG,
        [
            "model.receptive_field=9",
            "model.hidden_size=16",
            "train.epochs=1",
            "train.batch_size=64",
            "train.tensorboard=false",
        ],
    )
    config_path = tmp_path / "lift.yaml"
    config_path.write_text(dump_config(config))
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "vidpose",
        "train",
        "--config",
        str(config_path),
        "--data",
        str(pose_dataset),
        "--out",
        str(run_dir),
        "--device",
        "cpu",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-3000:]

    store = open_sequences(pose_dataset / "test")
    indices = store.evaluation_indices()
    gathered = np.load(run_dir / "predictions_test.npy")
    model, checkpoint = load_model(run_dir / "last.pt")
    assert checkpoint["training"]["world_size"] == 2
    single = predict_sequences(model, KeypointSequences(store, None), indices, flip_test=True)
    np.testing.assert_allclose(gathered, np.concatenate(single), atol=1e-5)
