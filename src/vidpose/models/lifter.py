"""``LiftingModel``: 2D keypoint sequences (N, T, 17, 2|3) → root-relative 3D poses in metres.

The lifting networks (``model.lifter``: ``tcn``, ``transformer``, ``mlp``) share one
interface, so training, evaluation and the benchmark treat them alike:

- input (N, T, 17, C): the 17 Human3.6M joints in screen-normalised coordinates (VideoPose3D's
  ``x / w · 2 − [1, h / w]``: x in [−1, 1] across the image width, aspect kept), C = 2, or 3
  with the detector's confidence last (``model.input_confidence``). Joints with confidence 0
  carry (0, 0): the data path sets them so, in training and at test time alike.
- ``context = (before, after)``: frames of input the network needs before the first and after
  the last output frame. A ``(before + K + after)``-frame window gives K output frames, the
  k-th for input frame ``before + k``. TCN: ``((R−1)/2, (R−1)/2)`` for receptive field R,
  ``(R−1, 0)`` when causal; MLP: ``(0, 0)``; transformer: ``(0, 0)``.
- ``window``: None, or the fixed number of frames a sequence-to-sequence network (the
  transformer) reads and predicts at once; whole sequences are then predicted window by
  window (``vidpose.lifting.sequence_inference``).

A network outputs (N, K, 17, 3) in normalised target units; ``LiftingModel`` maps that to
metres with the training set's per-joint mean and std (the ``target_mean``/``target_std``
buffers, as ``PoseModel`` has) and sets the pelvis to exactly 0.
"""

from __future__ import annotations

import torch
from torch import nn

from vidpose.models.targets import PoseOutput
from vidpose.pose.skeleton import NUM_JOINTS


class LiftingModel(PoseOutput):
    """A lifting network with the target statistics and the root mask around it."""

    def __init__(self, network: nn.Module, input_channels: int) -> None:
        super().__init__()
        self.network = network
        self.input_channels = input_channels

    @property
    def context(self) -> tuple[int, int]:
        """Input frames needed before and after the output frames (see module docstring)."""
        return self.network.context

    @property
    def window(self) -> int | None:
        """Fixed window length of a sequence-to-sequence network, or None."""
        return getattr(self.network, "window", None)

    @property
    def receptive_field(self) -> int:
        """Input frames one output frame depends on (the window for the transformer)."""
        before, after = self.context
        return self.window or before + after + 1

    def forward_with_aux(self, keypoints: torch.Tensor) -> dict[str, torch.Tensor]:
        """keypoints (N, T, 17, C) → ``poses3d`` (N, K, 17, 3) metres, root-relative, pelvis
        exactly 0, and ``poses3d_normalized`` (the network's output); K = T − before − after."""
        if keypoints.ndim != 4 or keypoints.shape[-2:] != (NUM_JOINTS, self.input_channels):
            raise ValueError(
                f"expected keypoints (N, T, {NUM_JOINTS}, {self.input_channels}), "
                f"got {tuple(keypoints.shape)}"
            )
        before, after = self.context
        if keypoints.shape[1] <= before + after:
            raise ValueError(
                f"{keypoints.shape[1]} frames, but the network needs more than {before} + "
                f"{after} (its context) to predict any frame"
            )
        normalized = self.network(keypoints)
        poses = self.to_metres(normalized)
        return {"poses3d": poses, "poses3d_normalized": normalized}

    def forward(
        self, keypoints: torch.Tensor, return_aux: bool = False
    ) -> torch.Tensor | dict[str, torch.Tensor]:
        """keypoints (N, T, 17, C) → poses (N, K, 17, 3) metres; ``return_aux`` gives the whole
        ``forward_with_aux`` dict (call it this way through DistributedDataParallel, which only
        wraps ``forward``)."""
        outputs = self.forward_with_aux(keypoints)
        return outputs if return_aux else outputs["poses3d"]
