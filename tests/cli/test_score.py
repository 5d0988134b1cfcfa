"""``vidpose score``: JSON and table output, and one-line errors for bad inputs."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.pose import metrics

KEYS = ["mse", "mpjpe_mm", "p_mpjpe_mm", "n_mpjpe_mm", "mpjve_mm"]


def poses(shape, seed=0):
    return np.random.default_rng(seed).normal(scale=0.3, size=(*shape, 17, 3))


def save(path, array):
    np.save(path, array)
    return str(path)


def score_json(capsys, pred, gt):
    assert main(["score", pred, gt, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object, one line
    return json.loads(out)


@pytest.mark.parametrize("shape", [(3, 8), (24,)], ids=["clips", "frames"])
def test_json_matches_metrics(tmp_path, capsys, shape):
    gt = poses(shape)
    pred = gt + poses(shape, seed=1) * 0.2
    result = score_json(
        capsys, save(tmp_path / "pred.npy", pred.astype(np.float32)), save(tmp_path / "gt.npy", gt)
    )
    assert list(result) == KEYS
    pred32 = pred.astype(np.float32).astype(np.float64)
    assert result["mse"] == pytest.approx(metrics.mse(pred32, gt))
    assert result["mpjpe_mm"] == pytest.approx(metrics.mpjpe_mm(pred32, gt))
    assert result["p_mpjpe_mm"] == pytest.approx(metrics.p_mpjpe_mm(pred32, gt))
    assert result["n_mpjpe_mm"] == pytest.approx(metrics.n_mpjpe_mm(pred32, gt))
    assert result["mpjve_mm"] == pytest.approx(metrics.mpjve_mm(pred32, gt))


def test_json_closed_form_translation(tmp_path, capsys):
    gt = poses((2, 5))
    pred = gt + np.array([0.0, 0.03, 0.04])  # 50 mm everywhere, same every frame
    result = score_json(capsys, save(tmp_path / "p.npy", pred), save(tmp_path / "g.npy", gt))
    assert result["mpjpe_mm"] == pytest.approx(50.0)
    assert result["p_mpjpe_mm"] == pytest.approx(0.0, abs=1e-6)
    assert result["mpjve_mm"] == pytest.approx(0.0, abs=1e-6)
    assert result["mse"] == pytest.approx((0.03**2 + 0.04**2) / 3)


def test_single_frame_clips_have_no_velocity_error(tmp_path, capsys):
    gt = poses((4, 1))
    result = score_json(capsys, save(tmp_path / "p.npy", gt + 0.01), save(tmp_path / "g.npy", gt))
    assert result["mpjve_mm"] is None
    assert result["mpjpe_mm"] == pytest.approx(1000 * np.sqrt(3) * 0.01)


def test_table(tmp_path, capsys):
    gt = poses((2, 4))
    assert main(["score", save(tmp_path / "p.npy", gt + 0.01), save(tmp_path / "g.npy", gt)]) == 0
    out = capsys.readouterr().out
    for label in ("MPJPE", "P-MPJPE", "N-MPJPE", "MPJVE", "MSE"):
        assert label in out
    assert f"{1000 * np.sqrt(3) * 0.01:10.3f} mm" in out
    assert "8 frames" in out


def test_millimetre_input_warns(tmp_path, capsys):
    gt = poses((2, 4)) * 1000
    assert main(["score", save(tmp_path / "p.npy", gt), save(tmp_path / "g.npy", gt)]) == 0
    assert "millimetres?" in capsys.readouterr().err


def write_bad(tmp_path, case):
    """Path of a bad PRED file for ``case`` and the words its error must contain."""
    path = tmp_path / "pred.npy"
    if case == "missing":
        return tmp_path / "nope.npy", "no such file"
    if case == "not npy":
        path.write_text("0.1, 0.2\n")
        return path, "not a .npy file"
    if case == "truncated":
        np.save(path, poses((2, 4)))
        path.write_bytes(path.read_bytes()[:-64])
        return path, "truncated"
    if case == "rank":
        np.save(path, np.zeros((2, 4, 17)))
        return path, "shape"
    if case == "joints":
        np.save(path, np.zeros((2, 4, 16, 3)))
        return path, "shape"
    if case == "mismatch":
        np.save(path, poses((3, 4)))
        return path, "differs"
    if case == "nan":
        bad = poses((2, 4))
        bad[1, 2, 3, 0] = np.nan
        np.save(path, bad)
        return path, "NaN"
    if case == "dtype":
        np.save(path, poses((2, 4)).astype(np.complex64))
        return path, "unsupported dtype"
    if case == "directory":
        path.mkdir()
        return path, "not a file"
    raise AssertionError(case)


BAD_CASES = ["missing", "not npy", "truncated", "rank", "joints", "mismatch", "nan", "dtype"]


@pytest.mark.parametrize("case", [*BAD_CASES, "directory"])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, case):
    gt = save(tmp_path / "gt.npy", poses((2, 4)))
    bad, words = write_bad(tmp_path, case)
    assert main(["score", str(bad), gt, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().split("\n")
    assert len(lines) == 1
    assert lines[0].startswith("vidpose score: error: ")
    assert str(bad) in lines[0] and words in lines[0]


def test_console_script_exit_code_without_traceback(tmp_path):
    """End to end through the installed ``vidpose`` script (the only subprocess test)."""
    script = Path(sys.executable).with_name("vidpose")
    bad, _ = write_bad(tmp_path, "truncated")
    gt = save(tmp_path / "gt.npy", poses((2, 4)))
    result = subprocess.run(
        [str(script), "score", str(bad), gt], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "truncated" in result.stderr
