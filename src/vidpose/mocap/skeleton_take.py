"""A motion capture take after parsing: a joint tree and its joint positions per frame.

BVH and ASF/AMC readers both produce a :class:`Take`; :mod:`vidpose.mocap.convert` maps it to
the 17 Human3.6M joints, converts units and axes and resamples it. Positions stay in the
file's own units and axes here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Take:
    """One take of a mocap file.

    ``names`` (J,) joint names (BVH End Sites are named ``<parent>_end``), ``parents`` (J,)
    parent index or -1, ``rest`` (J, 3) joint positions of the rest pose (all rotations zero),
    ``positions`` (F, J, 3) posed joint positions (NaN for joints the reader was not asked
    for), all in file units; ``fps`` the frame rate; ``source`` the file it came from;
    ``units_m`` metres per file unit when the file states it (ASF ``:units``), else None;
    ``rotations`` the world rotations (F, 3, 3) of the joints a reader was asked to keep
    (the identity at rest in both BVH and ASF/AMC), by joint index.
    """

    names: list[str]
    parents: np.ndarray
    rest: np.ndarray
    positions: np.ndarray
    fps: float
    source: Path
    units_m: float | None = None
    rotations: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])


def with_ancestors(parents: np.ndarray, joints) -> list[int]:
    """``joints`` and all their ancestors, sorted (parents come before children in a file)."""
    needed: set[int] = set()
    for joint in joints:
        node = int(joint)
        while node >= 0 and node not in needed:
            needed.add(node)
            node = int(parents[node])
    return sorted(needed)
