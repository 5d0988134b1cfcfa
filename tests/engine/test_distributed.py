"""Two CPU processes under torchrun (gloo): training runs and the test pass sees every clip once."""

import os
import subprocess
import sys

import numpy as np
import torch

from vidpose.clips.clip_store import open_store
from vidpose.engine.clip_inference import predict_store
from vidpose.runs.checkpoint import load_model
from vidpose.runs.run_config import dump_config, load_config


def test_torchrun_two_processes_evaluate_every_clip_once(tiny_data, tiny_overrides, tmp_path):
    run_dir = tmp_path / "run"
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(dump_config(load_config(None, [*tiny_overrides, "train.epochs=1"])))
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
        str(tiny_data),
        "--out",
        str(run_dir),
        "--device",
        "cpu",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("done: 1 epoch") == 1  # the summary once, not once per process

    # 10 clips, 3 per process and step → 2 steps of a global batch of 6, padded by wrapping.
    rows = (run_dir / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[2] for r in rows if r.startswith("step,")] == ["1", "2"]
    checkpoint = torch.load(run_dir / "last.pt", weights_only=True)
    assert checkpoint["training"]["world_size"] == 2 and len(checkpoint["training"]["rng"]) == 2

    # The 7 test clips were split 3 + 4 over the two processes and gathered in order: the
    # result equals one process predicting the whole store with the same weights.
    test = open_store(tiny_data / "test")
    gathered = np.load(run_dir / "predictions_test.npy")
    model, _ = load_model(run_dir / "last.pt")
    single = predict_store(model, test, batch_size=5, progress=False)
    assert gathered.shape == single.shape == test.poses3d.shape
    np.testing.assert_allclose(gathered, single, atol=1e-5)
    test_row = [r.split(",") for r in rows if r.startswith("epoch,1,2,test")][0]
    mpjpe_mm = 1000 * np.linalg.norm(single - test.poses3d, axis=-1).mean()
    assert abs(float(test_row[5]) - mpjpe_mm) < 0.01
