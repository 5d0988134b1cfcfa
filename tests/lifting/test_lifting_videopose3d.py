"""A lifter on a store built by `vidpose prepare videopose3d` from small fake VideoPose3D files:
trained, then evaluated by the protocol (sub-sequences merged, S11 Directions left out, a 2D
source lacking a sequence)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vidpose.cli import main
from vidpose.runs.run_config import dump_config, load_config

CONFIG = Path(__file__).parents[2] / "configs" / "lift_tcn27.yaml"
TAKES = {
    "S1": {"Directions 1": 40, "Walking 1": 30, "Walking": 30},
    "S9": {"Directions": 30, "WalkDog 1": 30},
    "S11": {"Directions": 20, "Directions 1": 25, "Walking 1": 30},
}


def world_motion(frames: int, rng) -> np.ndarray:
    """(F, 32, 3) world metres, z up: a body standing near the capture area's centre."""
    body = rng.normal(0.0, 0.15, (32, 3))
    body[:, 2] = np.linspace(0.05, 1.75, 32)[rng.permutation(32)]
    t = np.linspace(0, 1, frames)[:, None]
    sway = np.concatenate([0.3 * t, 0.1 * np.sin(6 * t), 0 * t], axis=1)
    return (body[None] + sway[:, None]).astype(np.float32)


def test_train_and_evaluate_on_a_videopose3d_store(tmp_path, capsys):
    rng = np.random.default_rng(0)
    positions, sh = {}, {}
    for subject, takes in TAKES.items():
        positions[subject] = {name: world_motion(f, rng) for name, f in takes.items()}
        sh[subject] = {
            name: [rng.uniform(0, 1000, (f, 16, 2)).astype(np.float32) for _ in range(4)]
            for name, f in takes.items()
            if (subject, name) != ("S11", "Walking 1")
        }
    np.savez_compressed(tmp_path / "data_3d_h36m.npz", positions_3d=positions)
    np.savez_compressed(
        tmp_path / "data_2d_h36m_sh.npz", positions_2d=sh, metadata={"num_joints": 16}
    )
    data = tmp_path / "h36m"
    # 3D only: the 2D source is the pinhole projection ("projected"); SH detections added after.
    assert main(["prepare", "videopose3d", str(tmp_path / "data_3d_h36m.npz"), str(data)]) == 0
    assert main(["prepare", "add-2d", str(data), f"sh={tmp_path / 'data_2d_h36m_sh.npz'}"]) == 0
    capsys.readouterr()

    config = load_config(
        CONFIG,
        ["model.receptive_field=9", "model.hidden_size=16", "train.epochs=1",
         "train.batch_size=128", "train.tensorboard=false"],
    )  # fmt: skip
    (tmp_path / "lift.yaml").write_text(dump_config(config))
    run = tmp_path / "run"
    code = main(["train", "--config", str(tmp_path / "lift.yaml"), "--data", str(data),
                 "--out", str(run), "--device", "cpu"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()

    frames = {"S9": 30 + 30, "S11": 25 + 30}  # S11 "Directions" is left out, "Directions 1" kept
    report = json.loads((run / "evaluation.json").read_text())
    assert report["num_frames"] == 4 * sum(frames.values())
    assert report["per_subject"]["S11"]["num_frames"] == 4 * frames["S11"]
    assert set(report["per_action"]) == {"Directions", "WalkDog", "Walking"}
    assert report["per_action"]["Directions"]["num_frames"] == 4 * (30 + 25)

    code = main(["evaluate", str(run), "--data", str(data / "test"), "--keypoints", "sh",
                 "--json", "-"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    on_sh = json.loads(out)  # the SH file lacks S11 Walking 1 as well
    assert on_sh["num_frames"] == 4 * (30 + 30 + 25)
    assert on_sh["context"]["keypoints"] == "sh"
