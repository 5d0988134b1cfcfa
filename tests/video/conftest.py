"""Fixtures of the video path's tests: the real clip in ``../shared/video`` when it is there."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sports2d(shared_folder) -> dict[str, Path]:
    """The Sports2D demo video and its BlazePose keypoints (skipped when absent)."""
    folder = shared_folder  # the shared data folder (tests/conftest.py), or None
    files = {
        "video": folder / "video" / "sports2d_demo.mp4" if folder else None,
        "keypoints": folder / "video" / "sports2d_blazepose.npz" if folder else None,
    }
    if not all(path is not None and path.is_file() for path in files.values()):
        pytest.skip("the shared real clip (../shared/video or $VIDPOSE_SHARED) is not here")
    return files
