"""cli._output.render_then_write: the render first, then the result files; a failure leaves
none of them."""

import numpy as np
import pytest

from vidpose.cli._output import render_then_write
from vidpose.infra.atomic import write_npz_atomic
from vidpose.infra.errors import UserError


def _frames():
    return iter([np.zeros((16, 16, 3), np.uint8)] * 3)


def _write(path):
    return path, lambda: write_npz_atomic(path, {"a": np.zeros(2)})


def test_everything_is_written_render_first(tmp_path):
    render, first, second = tmp_path / "r.gif", tmp_path / "a.npz", tmp_path / "b.npz"
    written, rendered = render_then_write(render, _frames, 10.0, [_write(first), _write(second)])
    assert written == [first, second] and rendered == render
    assert render.exists() and first.exists() and second.exists()


def test_a_failed_write_takes_the_render_and_the_earlier_files_with_it(tmp_path):
    render, first = tmp_path / "r.gif", tmp_path / "a.npz"

    def full():
        raise OSError(28, "No space left on device")

    with pytest.raises(UserError, match="b.npz: cannot write"):
        render_then_write(render, _frames, 10.0, [_write(first), (tmp_path / "b.npz", full)])
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_failed_render_writes_no_result(tmp_path):
    first, render = tmp_path / "a.npz", tmp_path / "r.gif"
    render.mkdir()  # a folder where the render should go: it cannot be written
    with pytest.raises(UserError, match="r.gif"):
        render_then_write(render, _frames, 10.0, [_write(first)])
    assert not first.exists()
    written, rendered = render_then_write(None, _frames, 10.0, [_write(first)])
    assert written == [first] and rendered is None
