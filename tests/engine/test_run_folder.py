"""The run folder: a run killed before its first checkpoint leaves a folder a new `vidpose
train` takes over (its early logs removed), and `--resume` says why there is nothing to resume;
a folder with a checkpoint is never taken over."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import write_store
from vidpose.engine.run_folder import check_run_dir
from vidpose.infra.errors import UserError

CONFIG = """\
model: {backbone: tinycnn, feature_dim: 8, hidden_size: 8}
data: {image_size: 24}
train: {epochs: 1, batch_size: 3, tensorboard: true, final_report: false}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A config file and DATA/{train,test} stores of random 24×24 4-frame clips."""
    root = tmp_path_factory.mktemp("run_folder")
    rng = np.random.default_rng(2)
    for split, n in (("train", 6), ("test", 3)):
        clips = [
            {"subject": "S1", "action": "Walking", "camera": "c", "sequence": "s"}
            | {"start_frame": i}
            for i in range(n)
        ]
        write_store(
            root / "data" / split,
            poses3d=rng.normal(0, 0.3, (n, 4, 17, 3)).astype(np.float32),
            poses2d=np.zeros((n, 4, 17, 2), np.float32),
            clips=clips,
            frames=rng.integers(0, 256, (n, 4, 24, 24, 3), dtype=np.uint8),
        )
    (root / "config.yaml").write_text(CONFIG)
    return root


class Killed(BaseException):
    """Stands for SIGKILL: nothing in vidpose catches it, so no checkpoint is written."""


def _train(setup, out, *extra) -> int:
    argv = ["train", "--config", setup / "config.yaml", "--data", setup / "data", "--out", out]
    return main([str(a) for a in [*argv, "--device", "cpu", *extra]])


def _rows(run) -> list[dict]:
    with open(run / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_run_killed_before_its_first_checkpoint_is_started_afresh_there(
    setup, tmp_path, capsys, monkeypatch
):
    run = tmp_path / "run"

    def killed(*args, **kwargs):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr("vidpose.engine.trainer.save_training_checkpoint", killed)
        with pytest.raises(Killed):
            _train(setup, run)
    left = sorted(p.name for p in run.iterdir())
    assert "last.pt" not in left and {"config.yaml", "metrics.csv"} <= set(left)
    killed_rows = _rows(run)
    assert [row["step"] for row in killed_rows if row["kind"] == "step"] == ["1", "2"]
    capsys.readouterr()

    assert _train(setup, run, "--resume") == 2
    err = capsys.readouterr().err
    assert err == (
        f"vidpose train: error: {run}: nothing to resume: its run stopped before its first "
        "checkpoint (no last.pt); train without --resume to start it again in this folder\n"
    )
    assert _train(setup, run) == 0
    err = capsys.readouterr().err
    removed = "metrics.csv and tensorboard/" if "tensorboard" in left else "metrics.csv"
    assert (
        f"vidpose train: note: {run} held a run stopped before its first checkpoint; starting "
        f"afresh there (removed its {removed})" in err
    )
    # the new run's rows only, not the killed run's before them
    rows = [(row["kind"], row["step"]) for row in _rows(run)]
    assert rows == [("step", "1"), ("step", "2"), ("epoch", "2"), ("epoch", "2")]
    assert (run / "last.pt").is_file() and (run / "best.pt").is_file()


def test_a_folder_with_a_checkpoint_is_never_taken_over(tmp_path):
    for name in ("last.pt", "best.pt"):
        run = tmp_path / name
        run.mkdir()
        (run / "config.yaml").write_text("seed: 0\n")
        (run / "metrics.csv").write_text("kind\n")
        (run / name).write_bytes(b"weights")
        with pytest.raises(UserError, match="already holds a run .use --resume to continue it"):
            check_run_dir(run, resume=False)
        assert sorted(p.name for p in run.iterdir()) == sorted(["config.yaml", "metrics.csv", name])
    check_run_dir(tmp_path / "last.pt", resume=True)  # last.pt: resumable
    with pytest.raises(UserError, match=r"no run to resume \(no last.pt there\)"):
        check_run_dir(tmp_path / "empty", resume=True)
    check_run_dir(tmp_path / "empty", resume=False)  # a new folder
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "notes.txt").write_text("mine")
    check_run_dir(tmp_path / "own", resume=False)  # other files are left alone
    assert (tmp_path / "own" / "notes.txt").read_text() == "mine"
