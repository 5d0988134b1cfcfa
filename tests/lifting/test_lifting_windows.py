"""Windows around output frames, edge padding, and the lifter's input normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vidpose.infra.errors import UserError
from vidpose.lifting.windows import (
    KeypointSequences,
    TrainingWindows,
    model_input,
    window_frames,
)
from vidpose.sequences import open_sequences


def test_window_frames_repeat_the_edge_frames():
    starts, lengths = torch.tensor([100, 200]), torch.tensor([5, 3])
    rows = window_frames(starts, lengths, torch.tensor([-2, 1]), torch.arange(5))
    assert rows.tolist() == [[100, 100, 100, 101, 102], [201, 202, 202, 202, 202]]


def test_screen_normalisation_and_unseen_joints():
    """x / w · 2 − 1, y / w · 2 − h / w; the centre is 0; confidence 0 → (0, 0)."""
    keypoints = torch.zeros(1, 1, 17, 3)
    keypoints[0, 0, 0] = torch.tensor([0.0, 0.0, 1.0])  # top-left corner
    keypoints[0, 0, 1] = torch.tensor([500.0, 501.0, 1.0])  # centre of 1000 × 1002
    keypoints[0, 0, 2] = torch.tensor([1000.0, 1002.0, 0.7])
    keypoints[0, 0, 3] = torch.tensor([321.0, 123.0, 0.0])  # not seen
    size = torch.tensor([[1000.0, 1002.0]])
    x = model_input(keypoints, size, with_confidence=True)[0, 0]
    torch.testing.assert_close(x[0], torch.tensor([-1.0, -1.002, 1.0]))
    torch.testing.assert_close(x[1], torch.tensor([0.0, 0.0, 1.0]))
    torch.testing.assert_close(x[2], torch.tensor([1.0, 1.002, 0.7]))
    assert x[3].tolist() == [0.0, 0.0, 0.0]
    assert model_input(keypoints, size, with_confidence=False).shape[-1] == 2


def test_training_windows_cover_each_sequence(pose_dataset):
    store = open_sequences(pose_dataset / "train")
    data = KeypointSequences(store, None)
    windows = TrainingWindows(data, output_frames=3, stride=2)
    expected = sum(len(range(0, info.frames - 3 + 1, 2)) for info in store.sequences)
    assert len(windows) == expected
    batch = windows.batch(np.array([0, len(windows) - 1]), before=4, after=4)
    assert batch.keypoints.shape == (2, 11, 17, 3)
    first = store.sequences[0]
    # Sample 0: output frames 0..2 of sequence 0, frames before 0 repeat frame 0.
    kp = store.keypoints("gt")
    np.testing.assert_array_equal(
        batch.keypoints[0, :5].numpy(), np.repeat(kp[first.start : first.start + 1], 5, 0)
    )
    np.testing.assert_array_equal(
        batch.poses3d[0, 4:7].numpy(), store.poses3d[first.start : first.start + 3]
    )


def test_unknown_2d_source_is_a_user_error(pose_dataset):
    store = open_sequences(pose_dataset / "train")
    with pytest.raises(UserError, match="data.keypoints: 'cpn' is not a 2D source"):
        KeypointSequences(store, "cpn")
