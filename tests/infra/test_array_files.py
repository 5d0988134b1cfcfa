"""One-line errors of vidpose.infra.array_files's readers for the files users hand us."""

import numpy as np
import pytest

from vidpose.infra.array_files import read_npz
from vidpose.infra.errors import UserError


def test_an_archive_reads_whole(tmp_path):
    np.savez(tmp_path / "a.npz", keypoints=np.ones((2, 17, 3)), fps=30.0)
    arrays = read_npz(tmp_path / "a.npz")
    assert set(arrays) == {"keypoints", "fps"} and arrays["keypoints"].shape == (2, 17, 3)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"subject,action\nS1,Walk\n", r"not an \.npz file \(not a NumPy archive\)$"),
        (None, r"not an \.npz file \(a \.npy array\)$"),
        (b"PK\x03\x04 truncated", r"not an \.npz file|damaged \.npz file"),
    ],
)
def test_what_is_not_an_archive_is_one_line(tmp_path, content, message):
    path = tmp_path / "keypoints.npz"
    if content is None:
        with open(path, "wb") as handle:
            np.save(handle, np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(UserError, match=message) as caught:
        read_npz(path)
    text = str(caught.value)
    assert text.startswith(str(path)) and "\n" not in text and "allow_pickle" not in text


def test_objects_are_refused_without_numpys_advice(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, metadata=np.array({"fps": 50}, dtype=object))
    with pytest.raises(UserError, match=r"'metadata' holds Python objects") as caught:
        read_npz(path)
    assert "allow_pickle" not in str(caught.value)
    assert read_npz(path, allow_pickle=True)["metadata"].item() == {"fps": 50}


def test_a_missing_file_and_a_folder(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        read_npz(tmp_path / "none.npz")
    with pytest.raises(UserError, match="not a file"):
        read_npz(tmp_path)
