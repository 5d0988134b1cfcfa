"""Fixtures of the video path's tests: the real clip in ``../shared/video`` when it is there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_folder() -> Path | None:
    """``../shared`` beside the repository, else ``$VIDPOSE_SHARED``; None when neither is."""
    candidates = [REPO_ROOT.parent / "shared"]
    if os.environ.get("VIDPOSE_SHARED"):
        candidates.append(Path(os.environ["VIDPOSE_SHARED"]))
    return next((path for path in candidates if path.is_dir()), None)


@pytest.fixture(scope="session")
def sports2d() -> dict[str, Path]:
    """The Sports2D demo video and its BlazePose keypoints (skipped when absent)."""
    folder = shared_folder()
    files = {
        "video": folder / "video" / "sports2d_demo.mp4" if folder else None,
        "keypoints": folder / "video" / "sports2d_blazepose.npz" if folder else None,
    }
    if not all(path is not None and path.is_file() for path in files.values()):
        pytest.skip("the shared real clip (../shared/video or $VIDPOSE_SHARED) is not here")
    return files
