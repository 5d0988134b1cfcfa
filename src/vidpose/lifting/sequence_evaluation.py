"""The evaluation report of a lifter on a sequence store (vidpose.pose.evaluation's, per sequence).

The field's protocol: every frame of every evaluation sequence (all cameras; the store's
``evaluation_indices`` leave out the takes it marks, e.g. Human3.6M's S11 Directions, and
those the 2D source lacks), P1, P2, N-MPJPE and MPJVE (within each sequence), per action with
the frame average and the unweighted action average, and the training set's mean pose beside
each number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.lifting.sequence_inference import predict_sequences
from vidpose.lifting.windows import KeypointSequences
from vidpose.pose.evaluation import evaluate_sequences
from vidpose.sequences import SequenceStore


def split_by_sequence(
    predictions: np.ndarray, store: SequenceStore, indices: list[int]
) -> list[np.ndarray]:
    """(F, 17, 3), the frames of ``indices``' sequences one after the other → one array per
    sequence."""
    lengths = [store.sequences[i].frames for i in indices]
    if len(predictions) != sum(lengths):
        raise UserError(
            f"{len(predictions)} predicted frames for {sum(lengths)} frames of "
            f"{len(indices)} sequences in {store.path}"
        )
    return np.split(np.asarray(predictions), np.cumsum(lengths)[:-1])


def evaluate_store_predictions(
    predictions: np.ndarray | list[np.ndarray],
    store: SequenceStore,
    indices: list[int],
    train_mean_pose: np.ndarray | None,
    *,
    baseline_source: str | None = None,
) -> dict[str, Any]:
    """The report (vidpose.pose.evaluation) of poses for sequences ``indices`` of ``store``:
    ``predictions`` one (F_i, 17, 3) array per sequence, or all of them concatenated; metres."""
    if not isinstance(predictions, list):
        predictions = split_by_sequence(predictions, store, indices)
    gts = [np.asarray(store.poses3d[store.slice(i)]) for i in indices]
    rows = [
        {"subject": store.sequences[i].subject, "action": store.sequences[i].action}
        for i in indices
    ]
    report = evaluate_sequences(
        predictions, gts, rows, train_mean_pose, baseline_source=baseline_source
    )
    left_out = len(store) - len(indices)
    report["sequences_left_out"] = left_out
    return report


def evaluate_lifter(
    model,
    store: SequenceStore,
    source: str | None,
    *,
    device="cpu",
    batch_size: int = 16,
    flip_test: bool = False,
    train_mean_pose: np.ndarray | None = None,
    baseline_source: str | None = None,
) -> dict[str, Any]:
    """Predict every frame of ``store``'s evaluation sequences with 2D source ``source`` (None:
    the store's default) and report them (see module docstring)."""
    model.to(device)
    data = KeypointSequences(store, source, device)
    indices = store.evaluation_indices(data.source)
    if not indices:
        raise UserError(f"{store.path}: no sequence to evaluate with 2D source {data.source!r}")
    predictions = predict_sequences(
        model, data, indices, batch_size=batch_size, flip_test=flip_test
    )
    report = evaluate_store_predictions(
        predictions, store, indices, train_mean_pose, baseline_source=baseline_source
    )
    report["keypoints"] = data.source
    return report
