"""The people of one frame, as the 2D stage gives them to the tracker.

Both sources of 2D make these: the built-in detector (:mod:`vidpose.video.detect`) and other
tools' keypoint files (:mod:`vidpose.video.keypoint_files`); :mod:`vidpose.video.track` links
them over time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FramePeople:
    """The people found in one frame, in any order."""

    boxes: np.ndarray  # (N, 4) float64 x1, y1, x2, y2 frame pixels
    scores: np.ndarray  # (N,) float64 box scores
    keypoints: np.ndarray | None = None  # (N, K, 3) x, y frame pixels and score; None: boxes only

    def __len__(self) -> int:
        return len(self.boxes)
