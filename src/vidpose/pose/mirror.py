"""The horizontal mirror of per-joint values: x negated and left and right swapped.

One function serves every flip: the image track's augmentation and test-time flip of 3D poses
(camera X) and the lifting track's flip of screen-normalised 2D keypoints and 3D poses.
"""

from __future__ import annotations

import torch

from vidpose.pose.skeleton import FLIP_PERMUTATION


def mirror_joints(values: torch.Tensor) -> torch.Tensor:
    """(..., 17, C) joint values whose first channel is x about the mirror line (3D X in the
    camera frame, or screen-normalised 2D x) → mirrored: x → −x and left/right joints swapped.
    Its own inverse."""
    swapped = values.index_select(-2, flip_permutation(values.device))
    return torch.cat([-swapped[..., :1], swapped[..., 1:]], dim=-1)


_PERMUTATIONS: dict[torch.device, torch.Tensor] = {}


def flip_permutation(device: torch.device) -> torch.Tensor:
    """``FLIP_PERMUTATION`` as a tensor on ``device``, copied there once (a copy would sync)."""
    if device not in _PERMUTATIONS:
        _PERMUTATIONS[device] = torch.as_tensor(FLIP_PERMUTATION).to(device)
    return _PERMUTATIONS[device]
