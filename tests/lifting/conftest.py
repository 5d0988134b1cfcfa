"""Tiny synthetic sequence stores for the lifting tests: a stick figure turning and swinging
its limbs in front of a pinhole camera, projected exactly (ground-truth 2D)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidpose.sequences import write_sequences

#: A standing pose, metres, camera axes (x right, y down, z forward), pelvis at 0.
STANDING = np.array(
    [
        [0.00, 0.00, 0.0],
        [-0.13, 0.00, 0.0],
        [-0.13, 0.45, 0.0],
        [-0.13, 0.88, 0.0],
        [0.13, 0.00, 0.0],
        [0.13, 0.45, 0.0],
        [0.13, 0.88, 0.0],
        [0.00, -0.23, 0.0],
        [0.00, -0.48, 0.0],
        [0.00, -0.58, 0.0],
        [0.00, -0.70, 0.0],
        [0.16, -0.46, 0.0],
        [0.16, -0.18, 0.0],
        [0.16, 0.06, 0.0],
        [-0.16, -0.46, 0.0],
        [-0.16, -0.18, 0.0],
        [-0.16, 0.06, 0.0],
    ]
)
INTRINSICS = np.array([1145.0, 1145.0, 500.0, 500.0])


def motion(frames: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Root-relative poses (F, 17, 3) and roots (F, 3) of one random take."""
    t = np.arange(frames) / 50.0
    turn = rng.uniform(-np.pi, np.pi) + rng.uniform(-1.5, 1.5) * t
    swing = 0.25 * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * t + rng.uniform(0, 6))
    poses = np.repeat(STANDING[None], frames, axis=0).copy()
    for joints, sign in (((12, 13), 1.0), ((15, 16), -1.0), ((2, 3), -1.0), ((5, 6), 1.0)):
        for depth, joint in enumerate(joints, start=1):
            poses[:, joint, 2] += sign * swing * depth
    cos, sin = np.cos(turn)[:, None], np.sin(turn)[:, None]
    x, z = poses[..., 0].copy(), poses[..., 2].copy()
    poses[..., 0], poses[..., 2] = cos * x + sin * z, -sin * x + cos * z
    poses -= poses[:, :1]
    root = np.stack(
        [rng.uniform(-0.8, 0.8) + 0.1 * t, np.full(frames, 0.3), rng.uniform(4.5, 5.5) + 0 * t], 1
    )
    return poses, root


def project(points: np.ndarray) -> np.ndarray:
    fx, fy, cx, cy = INTRINSICS
    return np.stack(
        [fx * points[..., 0] / points[..., 2] + cx, fy * points[..., 1] / points[..., 2] + cy], -1
    )


def write_store(path: Path, subjects, actions, frames: int, seed: int, **extra) -> None:
    rng = np.random.default_rng(seed)
    rows, poses, roots, keypoints = [], [], [], []
    for subject in subjects:
        for action in actions:
            for camera in ("54138969", "55011271"):
                length = int(frames + rng.integers(0, 15))
                pose, root = motion(length, rng)
                rows.append(
                    dict(
                        subject=subject,
                        action=action,
                        camera=camera,
                        sequence=action,
                        frames=length,
                        width=1000,
                        height=1000,
                    )
                )
                poses.append(pose)
                roots.append(root)
                keypoints.append(project(pose + root[:, None]))
    write_sequences(
        path,
        rows,
        np.concatenate(poses),
        np.concatenate(roots),
        np.tile(INTRINSICS, (len(rows), 1)),
        {"gt": (np.concatenate(keypoints), "h36m17")},
        source="synth-poses",
        from_mocap=True,
        **extra,
    )


def write_pose_dataset(root: Path, frames: int = 40) -> Path:
    """root/train (S1, S5) and root/test (S9, S11; S11 Directions marked to leave out)."""
    write_store(root / "train", ("S1", "S5"), ("Directions", "Walking"), frames, seed=0)
    write_store(
        root / "test",
        ("S9", "S11"),
        ("Directions", "Walking"),
        frames,
        seed=1,
        extra_meta={
            "exclude_from_evaluation": [
                {"subject": "S11", "action": "Directions", "reason": "corrupt video"}
            ]
        },
    )
    return root


@pytest.fixture(scope="session")
def pose_dataset(tmp_path_factory) -> Path:
    return write_pose_dataset(tmp_path_factory.mktemp("poses"))


@pytest.fixture(scope="session")
def stick_figure():
    """This module's helpers for tests that build their own stores: STANDING, project,
    write_store."""
    from types import SimpleNamespace

    return SimpleNamespace(standing=STANDING, project=project, write_store=write_store)
