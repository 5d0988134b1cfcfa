"""2D keypoints that carry their layout: the array and the name of its joint list together,
mapped to the 17 Human3.6M joints once, where they are made.

A keypoint array on its own does not say which joint is which (17 joints may be COCO-17 or
Human3.6M-17); passing the layout beside it as a loose string let two places map the same
keypoints separately. :class:`LayoutKeypoints` holds both and checks they fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vidpose.keypoints.layouts import LAYOUTS, canonical_layout, to_h36m17


@dataclass(frozen=True)
class LayoutKeypoints:
    """``points`` (..., J, 3): x, y pixels and score, in ``layout`` (a key of
    :data:`~vidpose.keypoints.layouts.LAYOUTS`, J its joint count); ``h36m17`` (..., 17, 3)
    the same keypoints on the 17 Human3.6M joints (:func:`~vidpose.keypoints.layouts.to_h36m17`,
    computed once)."""

    points: np.ndarray
    layout: str
    h36m17: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        layout = canonical_layout(self.layout)
        points = np.asarray(self.points)
        joints = len(LAYOUTS[layout])
        if points.ndim < 2 or points.shape[-2:] != (joints, 3):
            raise ValueError(
                f"keypoints of shape {points.shape} do not fit layout {layout} "
                f"(expected (..., {joints}, 3))"
            )
        object.__setattr__(self, "layout", layout)
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "h36m17", to_h36m17(points, layout))

    def __len__(self) -> int:
        return len(self.points)
