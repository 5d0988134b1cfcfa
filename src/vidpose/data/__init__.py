"""Reading clip stores for training and evaluation: clip sources, epoch order, model input."""

from vidpose.data.order import epoch_order, eval_shard, train_step_indices, train_steps_per_epoch
from vidpose.data.source import ClipDataset, ClipSource

__all__ = [
    "ClipDataset",
    "ClipSource",
    "epoch_order",
    "eval_shard",
    "train_step_indices",
    "train_steps_per_epoch",
]
