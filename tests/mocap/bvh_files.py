"""Tiny BVH files written by the tests, and where the shared CMU takes are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tests_conftest import REPO, shared_dir

#: The CMU takes in the shared data folder (absent in a fresh clone elsewhere: the tests that
#: read them skip; the path then names where they belong, ../shared/mocap/cmu).
CMU_DIR = (shared_dir() or REPO.parent / "shared") / "mocap" / "cmu"


def joint_block(name, offset, channels, children="", root=False, end=None, depth=0):
    """One ROOT/JOINT block as BVH text."""
    pad = "  " * depth
    kind = "ROOT" if root else "JOINT"
    text = f"{pad}{kind} {name}\n{pad}{{\n{pad}  OFFSET {' '.join(map(str, offset))}\n"
    if channels:
        text += f"{pad}  CHANNELS {len(channels)} {' '.join(channels)}\n"
    text += children
    if end is not None:
        text += (
            f"{pad}  End Site\n{pad}  {{\n{pad}    OFFSET {' '.join(map(str, end))}\n{pad}  }}\n"
        )
    return text + f"{pad}}}\n"


def write_bvh(path: Path, hierarchy: str, rows, frame_time=0.01) -> Path:
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    motion = "\n".join(" ".join(f"{v:.9g}" for v in row) for row in rows)
    path.write_text(
        f"HIERARCHY\n{hierarchy}MOTION\nFrames: {len(rows)}\nFrame Time: {frame_time}\n{motion}\n"
    )
    return path


ROT = ["Zrotation", "Yrotation", "Xrotation"]
POS = ["Xposition", "Yposition", "Zposition"]


def two_bone_chain(order=("Zrotation", "Yrotation", "Xrotation")) -> str:
    """root (6 channels) → a at (1, 0, 0) → b at (1, 0, 0) → End Site (1, 0, 0)."""
    b = joint_block("b", (1, 0, 0), list(order), end=(1, 0, 0), depth=2)
    a = joint_block("a", (1, 0, 0), list(order), children=b, depth=1)
    return joint_block("root", (0, 0, 0), POS + list(order), children=a, root=True)
