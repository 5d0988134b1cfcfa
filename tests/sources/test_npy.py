"""``vidpose prepare npy``: conversion, the 2D convention, labels, bounded memory, bad input."""

import tracemalloc

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import open_store
from vidpose.sources import npy

N, T, H, W = 5, 4, 12, 16


def make_y(n=N, t=T, root_relative=False, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(scale=0.25, size=(n, t, 17, 3))
    y[:, :, 0] = 0.0
    if not root_relative:
        y += rng.normal(size=(n, t, 1, 3)) + np.array([0.0, 0.0, 5.0])
    return y


def make_x(dtype=np.uint8, top=255.0, n=N, t=T, h=H, w=W, seed=1):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, size=(n, t, h, w, 3), dtype=np.uint8)
    return (rng.uniform(0.0, top, size=(n, t, h, w, 3))).astype(dtype)


def save_inputs(tmp_path, x, y):
    np.save(tmp_path / "X.npy", x)
    np.save(tmp_path / "Y.npy", y)
    return tmp_path / "X.npy", tmp_path / "Y.npy"


def prepare(capsys, *args):
    code = main(["prepare", "npy", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_uint8_round_trip_with_root(tmp_path, capsys):
    x, y = make_x(), make_y()
    x_path, y_path = save_inputs(tmp_path, x, y)
    code, out, _ = prepare(capsys, x_path, y_path, tmp_path / "out", "--fps", "25")
    assert code == 0 and "pelvis kept in root.npy" in out
    store = open_store(tmp_path / "out")
    np.testing.assert_array_equal(store.frames, x)
    np.testing.assert_allclose(store.root, y[:, :, 0], atol=1e-6)
    np.testing.assert_allclose(store.poses3d, y - y[:, :, :1], atol=1e-6)
    assert (store.poses3d[:, :, 0] == 0).all()
    assert store.clips[0] == {
        "subject": "unknown",
        "action": "unknown",
        "camera": "unknown",
        "sequence": "unknown",
        "start_frame": 0,
    }
    assert store.meta["fps"] == 25.0 and store.meta["source"]["kind"] == "npy"
    assert store.meta["poses2d"]["kind"] == "weak_perspective_fit"
    assert store.meta["input"] == {
        "x_dtype": "uint8",
        "x_range": None,
        "y_root_relative": False,
        "labels": "unknown",
    }
    assert leftovers(tmp_path) == []


def test_root_relative_y_keeps_no_root(tmp_path, capsys):
    x_path, y_path = save_inputs(tmp_path, make_x(), make_y(root_relative=True))
    code, out, _ = prepare(capsys, x_path, y_path, tmp_path / "out")
    assert code == 0 and "Y was root-relative" in out
    store = open_store(tmp_path / "out")
    assert store.root is None and store.meta["input"]["y_root_relative"]


@pytest.mark.parametrize(
    "dtype, top, forced",
    [
        (np.float32, 1.0, None),
        (np.float64, 1.0, None),
        (np.float16, 1.0, None),
        (np.float32, 255.0, None),
        (np.float32, 0.9, "byte"),  # a very dark [0, 255] video: only the flag can tell
    ],
)
def test_float_ranges(tmp_path, capsys, dtype, top, forced):
    x = make_x(dtype, top)
    x_path, y_path = save_inputs(tmp_path, x, make_y())
    flags = [] if forced is None else ["--x-range", forced]
    code, _, _ = prepare(capsys, x_path, y_path, tmp_path / "out", "--chunk-mb", "0.01", *flags)
    assert code == 0
    scale = 255.0 if top <= 1.0 and forced is None else 1.0
    expected = np.clip(np.rint(x.astype(np.float32) * scale), 0, 255).astype(np.uint8)
    store = open_store(tmp_path / "out")
    np.testing.assert_array_equal(store.frames, expected)
    assert store.meta["input"]["x_range"] == [0.0, 255.0 / scale]


def test_weak_perspective_2d_convention(tmp_path, capsys):
    y = make_y()
    y[1] *= 0.1  # a small person is scaled up just the same
    x_path, y_path = save_inputs(tmp_path, make_x(), y)
    assert prepare(capsys, x_path, y_path, tmp_path / "out")[0] == 0
    store = open_store(tmp_path / "out")
    uv, xy = store.poses2d.astype(np.float64), store.poses3d[..., :2].astype(np.float64)
    for clip in range(N):
        low, high = uv[clip].reshape(-1, 2).min(0), uv[clip].reshape(-1, 2).max(0)
        np.testing.assert_allclose((low + high) / 2, [W / 2, H / 2], atol=1e-3)
        # The tighter axis spans 1/MARGIN of the frame, the other fits inside.
        np.testing.assert_allclose(max((high - low) / [W, H]), 1 / npy.MARGIN, rtol=1e-5)
        # One orthographic scale for the whole clip, same on both axes, image y down = camera y.
        span_xy = xy[clip].reshape(-1, 2).max(0) - xy[clip].reshape(-1, 2).min(0)
        scale = (high - low) / span_xy
        assert scale[0] == pytest.approx(scale[1], rel=1e-4)
        expected = (xy[clip] - xy[clip].reshape(-1, 2).min(0)) * scale[0] + low
        np.testing.assert_allclose(uv[clip], expected, atol=1e-3)


def test_weak_perspective_of_a_collapsed_clip():
    poses2d = npy.weak_perspective_2d(np.zeros((1, 2, 17, 3)), (10, 20))
    np.testing.assert_array_equal(poses2d, np.broadcast_to([10.0, 5.0], (1, 2, 17, 2)))


def write_meta(tmp_path, text):
    path = tmp_path / "clips.csv"
    path.write_text(text)
    return path


def test_meta_labels(tmp_path, capsys):
    x_path, y_path = save_inputs(tmp_path, make_x(), make_y())
    rows = "".join(f"S{i},Walking,cam{i % 2},,{10 * i}\n" for i in range(N))
    meta = write_meta(tmp_path, "subject,action,camera,sequence,start_frame\n" + rows)
    assert prepare(capsys, x_path, y_path, tmp_path / "out", "--meta", meta)[0] == 0
    store = open_store(tmp_path / "out")
    assert store.column("subject").tolist() == [f"S{i}" for i in range(N)]
    assert store.column("camera").tolist() == ["cam0", "cam1"] * 2 + ["cam0"]
    assert store.column("sequence").tolist() == ["unknown"] * N
    assert store.column("start_frame").tolist() == [0, 10, 20, 30, 40]
    assert store.meta["input"]["labels"] == "meta"


def test_meta_with_required_columns_only(tmp_path, capsys):
    x_path, y_path = save_inputs(tmp_path, make_x(), make_y())
    meta = write_meta(tmp_path, "action,subject\n" + "Eating,S9\n" * N)
    assert prepare(capsys, x_path, y_path, tmp_path / "out", "--meta", meta)[0] == 0
    store = open_store(tmp_path / "out")
    assert store.subjects == ["S9"] and store.actions == ["Eating"]
    assert store.column("camera").tolist() == ["unknown"] * N


def test_bounded_memory(tmp_path, capsys):
    x = make_x(np.float32, 1.0, n=40, t=8, h=64, w=80)  # 19.7 MB as float32
    x_path, y_path = save_inputs(tmp_path, x, make_y(n=40, t=8))
    del x
    tracemalloc.start()
    try:
        code = main(["prepare", "npy", str(x_path), str(y_path), str(tmp_path / "out"),
                     "--chunk-mb", "1"])  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    capsys.readouterr()
    assert code == 0
    assert peak < 5_000_000  # a few 1 MB chunks, never the whole 19.7 MB
    assert open_store(tmp_path / "out").frames.shape == (40, 8, 64, 80, 3)


def test_overwrite_replaces_a_store_but_not_other_directories(tmp_path, capsys):
    x_path, y_path = save_inputs(tmp_path, make_x(), make_y())
    out = tmp_path / "out"
    assert prepare(capsys, x_path, y_path, out)[0] == 0
    np.save(y_path, make_y(seed=5))
    assert prepare(capsys, x_path, y_path, out, "--overwrite")[0] == 0
    np.testing.assert_allclose(open_store(out).root, make_y(seed=5)[:, :, 0], atol=1e-6)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    code, _, err = prepare(capsys, x_path, y_path, precious, "--overwrite")
    assert code == 2 and "not a clip store" in err
    assert (precious / "thesis.tex").read_text() == "years of work"


def bad_case(tmp_path, case):
    """(args after 'prepare npy', the path the error must name, words it must contain)."""
    x, y = make_x(), make_y()
    out = tmp_path / "out"
    x_path, y_path = save_inputs(tmp_path, x, y)
    args = [x_path, y_path, out]
    if case == "missing X":
        x_path.unlink()
        return args, x_path, "no such file"
    if case == "missing Y":
        y_path.unlink()
        return args, y_path, "no such file"
    if case == "X not npy":
        x_path.write_bytes(b"\x89PNG\r\n" + bytes(100))
        return args, x_path, "not a .npy"
    if case == "Y not npy":
        y_path.write_text("pelvis,0,0,0\n")
        return args, y_path, "not a .npy"
    if case == "X truncated":
        x_path.write_bytes(x_path.read_bytes()[:-1000])
        return args, x_path, "truncated"
    if case == "Y truncated":
        y_path.write_bytes(y_path.read_bytes()[:200])
        return args, y_path, "truncated"
    if case == "X rank":
        np.save(x_path, x[0])
        return args, x_path, "shape"
    if case == "X channels":
        np.save(x_path, x[..., :2])
        return args, x_path, "shape"
    if case == "Y rank":
        np.save(y_path, y.reshape(N * T, 17, 3))
        return args, y_path, "shape"
    if case == "Y joints":
        np.save(y_path, y[:, :, :16])
        return args, y_path, "shape"
    if case == "N differs":
        np.save(y_path, y[:-1])
        return args, y_path, "(N, T)"
    if case == "T differs":
        np.save(y_path, y[:, :-1])
        return args, y_path, "(N, T)"
    if case == "Y NaN":
        y[3, 1, 7, 2] = np.nan
        np.save(y_path, y)
        return args, y_path, "NaN or inf (first in clip 3)"
    if case == "Y inf":
        y[0, 0, 0, 0] = np.inf
        np.save(y_path, y)
        return args, y_path, "NaN or inf"
    if case == "X dtype":
        np.save(x_path, x.astype(np.int16))
        return args, x_path, "unsupported dtype int16"
    if case == "Y dtype":
        np.save(y_path, (y * 1000).astype(np.int32))
        return args, y_path, "unsupported dtype int32"
    if case == "X objects":
        np.save(x_path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        return args, x_path, "unsupported dtype object"
    if case == "X NaN":
        bad = make_x(np.float32, 1.0)
        bad[2, 0, 0, 0, 0] = np.nan
        np.save(x_path, bad)
        return args, x_path, "NaN or inf in clips"
    if case == "X range":
        # Float X in [0, 1] except one clip the range sample does not look at.
        n = 40
        sampled = set(np.linspace(0, n - 1, npy.RANGE_SAMPLE_CLIPS).round().astype(int))
        unsampled = min(set(range(n)) - sampled)
        bad = make_x(np.float32, 1.0, n=n)
        bad[unsampled] *= 255
        np.save(x_path, bad)
        np.save(y_path, make_y(n=n))
        return [*args, "--chunk-mb", "0.05"], x_path, "leave the range [0, 1]"
    if case == "X huge floats":
        np.save(x_path, make_x(np.float32, 1000.0))
        return args, x_path, "not in [0, 1] or [0, 255]"
    if case == "OUT exists":
        out.mkdir()
        return args, out, "already exists"
    if case == "OUT under a file":
        (tmp_path / "file").write_text("not a directory")
        bad_out = tmp_path / "file" / "sub" / "out"
        return [x_path, y_path, bad_out], bad_out, "cannot write here"
    if case == "meta missing":
        return [*args, "--meta", tmp_path / "none.csv"], tmp_path / "none.csv", "no such file"
    if case == "meta columns":
        meta = write_meta(tmp_path, "subject,activity\n" + "S1,Walk\n" * N)
        return [*args, "--meta", meta], meta, "missing columns ['action']"
    if case == "meta unknown column":
        meta = write_meta(tmp_path, "subject,action,cam\n" + "S1,Walk,1\n" * N)
        return [*args, "--meta", meta], meta, "unknown columns ['cam']"
    if case == "meta rows":
        meta = write_meta(tmp_path, "subject,action\n" + "S1,Walk\n" * (N + 1))
        return [*args, "--meta", meta], meta, f"{N + 1} rows, but X and Y hold {N} clips"
    if case == "meta start_frame":
        meta = write_meta(tmp_path, "subject,action,start_frame\n" + "S1,Walk,soon\n" * N)
        return [*args, "--meta", meta], meta, "line 2: start_frame is not an integer"
    if case == "meta empty label":
        meta = write_meta(tmp_path, "subject,action\n" + "S1,\n" * N)
        return [*args, "--meta", meta], meta, "empty subject or action"
    raise AssertionError(case)


BAD_CASES = [
    "missing X",
    "missing Y",
    "X not npy",
    "Y not npy",
    "X truncated",
    "Y truncated",
    "X rank",
    "X channels",
    "Y rank",
    "Y joints",
    "N differs",
    "T differs",
    "Y NaN",
    "Y inf",
    "X dtype",
    "Y dtype",
    "X objects",
    "X NaN",
    "X range",
    "X huge floats",
    "OUT exists",
    "OUT under a file",
    "meta missing",
    "meta columns",
    "meta unknown column",
    "meta rows",
    "meta start_frame",
    "meta empty label",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    args, named, words = bad_case(tmp_path, case)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = prepare(capsys, *args)
    assert code == 2
    # Errors found while streaming follow the progress bar; the message is its own last line.
    last = err.rstrip("\n").split("\n")[-1].split("\r")[-1]
    assert last.startswith("vidpose prepare: error: ")
    assert str(named) in last and words in last
    assert err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing new, nothing partial
    assert out == ""


@pytest.mark.parametrize("flag, value", [("--chunk-mb", "0"), ("--fps", "-5")])
def test_bad_numbers(tmp_path, capsys, flag, value):
    x_path, y_path = save_inputs(tmp_path, make_x(), make_y())
    code, _, err = prepare(capsys, x_path, y_path, tmp_path / "out", flag, value)
    assert code == 2 and flag in err and not (tmp_path / "out").exists()
