"""Trivial predictors that tell whether a model learned anything beyond the average pose."""

from __future__ import annotations

import numpy as np

from vidpose.pose.metrics import mpjpe_mm


def mean_training_pose(train_poses3d: np.ndarray) -> np.ndarray:
    """The average pose (17, 3) over every frame of ``train_poses3d`` (..., 17, 3), metres."""
    train = np.asarray(train_poses3d)  # summed in float64 without a float64 copy of it all
    return train.reshape(-1, *train.shape[-2:]).mean(axis=0, dtype=np.float64)


def mean_pose_mpjpe_mm(train_poses3d: np.ndarray, test_poses3d: np.ndarray) -> float:
    """MPJPE (mm) of predicting the training set's mean pose for every test frame.

    ``train_poses3d`` and ``test_poses3d`` are (..., 17, 3) in metres, usually root-relative
    (N, T, 17, 3) clip-store poses. A model that does not beat this has learned nothing
    about the input.
    """
    test = np.asarray(test_poses3d, dtype=np.float64)
    mean_pose = mean_training_pose(train_poses3d)
    return mpjpe_mm(np.broadcast_to(mean_pose, test.shape), test)
