"""``load_poses`` (what ``vidpose export-bvh`` reads): a ``poses3d`` that is not (F, 17, 3)
real numbers with a frame is a one-line error naming the file, not a traceback."""

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.mocap.poses_input import load_poses


@pytest.mark.parametrize(
    ("poses3d", "message"),
    [
        (np.float64(1.0), "'poses3d' has shape (), expected (F, 17, 3)"),
        (np.full((2, 17, 3), "a"), "'poses3d' has dtype <U1, expected real numbers"),
        (np.zeros((0, 17, 3)), "'poses3d' has no frames"),
    ],
    ids=["0-d", "strings", "empty"],
)
def test_a_poses3d_that_is_not_poses_is_a_one_line_error(tmp_path, poses3d, message):
    path = tmp_path / "p.npz"
    np.savez(path, poses3d=poses3d, fps=np.float64(30.0))
    with pytest.raises(UserError) as caught:
        load_poses(path)
    assert str(caught.value) == f"{path}: {message}"
