import json

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import write_store
from vidpose.engine import losses

CONFIG = """\
model: {backbone: tinycnn, feature_dim: 8, hidden_size: 8}
data: {image_size: 24}
train: {epochs: 1, batch_size: 4, tensorboard: false, final_report: false}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A config file and DATA/{train,test} stores of random 24×24 4-frame clips."""
    root = tmp_path_factory.mktemp("cli_train")
    rng = np.random.default_rng(1)
    for split, n in (("train", 6), ("test", 3)):
        write_store(
            root / "data" / split,
            poses3d=rng.normal(0, 0.3, (n, 4, 17, 3)).astype(np.float32),
            poses2d=np.zeros((n, 4, 17, 2), np.float32),
            clips=[
                {
                    "subject": "S1",
                    "action": "Walking",
                    "camera": "c",
                    "sequence": "s",
                    "start_frame": i,
                }
                for i in range(n)
            ],
            frames=rng.integers(0, 256, (n, 4, 24, 24, 3), dtype=np.uint8),
        )
    (root / "config.yaml").write_text(CONFIG)
    return root


def _train(setup, out, *extra):
    return main(
        [
            "train",
            "--config",
            str(setup / "config.yaml"),
            "--data",
            str(setup / "data"),
            "--out",
            str(out),
            "--device",
            "cpu",
            *extra,
        ]
    )


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    # The last line (after any progress bar) is the whole message.
    message = err.replace("\r", "\n").strip().splitlines()[-1]
    assert message.startswith("vidpose train: error: "), err
    assert err.count("error:") == 1, err
    for fragment in fragments:
        assert fragment in message, err


def test_train_runs_and_resumes_a_stopped_run(setup, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(setup, out, "--stop-after-steps", "1") == 0
    assert "continue with --resume" in capsys.readouterr().err
    # --resume without --config reads the run's own config.yaml.
    code = main(["train", "--data", str(setup / "data"), "--out", str(out), "--resume"])
    assert code == 0
    assert "done: 1 epoch, 2 steps; test MPJPE" in capsys.readouterr().out
    assert (out / "best.pt").is_file() and (out / "predictions_test.npy").is_file()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--set", "optim.lrr=1"], ["optim.lrr: unknown key", "known keys: name, lr"]),
        (["--set", "optim.name=rmsprop"], ["optim.name: 'rmsprop' is not one of adam"]),
        (["--set", "model.backbone=resnet_nonexistent"], ["model.backbone"]),
        (["--resume"], ["no run to resume"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(setup, tmp_path, capsys, args, fragments):
    assert _train(setup, tmp_path / "run", *args) == 2
    _one_line_error(capsys, *fragments)
    assert not (tmp_path / "run" / "metrics.csv").exists()


def test_missing_or_invalid_data(setup, tmp_path, capsys):
    config = str(setup / "config.yaml")
    assert (
        main(["train", "--config", config, "--data", str(tmp_path), "--out", str(tmp_path / "r")])
        == 2
    )
    _one_line_error(capsys, "train: not a store directory (does not exist)")
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "meta.json").write_text(json.dumps({"format": "something else"}))
    assert (
        main(["train", "--config", config, "--data", str(tmp_path), "--out", str(tmp_path / "r")])
        == 2
    )
    _one_line_error(capsys, "meta.json: format 'something else' is not a vidpose store's")
    assert main(["train", "--data", str(setup / "data"), "--out", str(tmp_path / "r")]) == 2
    _one_line_error(capsys, "--config is required")


def test_existing_runs_and_other_models(setup, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(setup, out, "--stop-after-steps", "1") == 0
    capsys.readouterr()
    assert _train(setup, out) == 2
    _one_line_error(capsys, "already holds a run", "--resume")
    assert _train(setup, out, "--resume", "--set", "model.temporal=gru") == 2
    _one_line_error(
        capsys,
        "last.pt: checkpoint is from a different model",
        "model.temporal: 'lstm' there, 'gru' here",
    )


def test_a_nan_loss_exits_2_with_one_line(setup, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(
        losses.LOSSES, "mse", lambda pred, gt, scale=None: (pred - gt).sum() * np.inf
    )
    assert _train(setup, tmp_path / "run") == 2
    _one_line_error(capsys, "training diverged: loss is", "no checkpoint was saved yet")


def test_a_disk_full_at_a_checkpoint_is_one_line_and_keeps_the_last_one(
    setup, tmp_path, capsys, monkeypatch
):
    """torch's writer fails with "basic_ios::clear: iostream error" on a full disk; the run
    stops with one line naming the file and the space, and the previous last.pt survives."""
    import errno
    import os

    import torch

    out = tmp_path / "run"
    assert _train(setup, out, "--stop-after-steps", "1") == 0
    before = (out / "last.pt").read_bytes()
    capsys.readouterr()
    real_save = torch.save

    def save_until_the_disk_fills(obj, target, *args, **kwargs):
        if isinstance(target, (str, os.PathLike)):  # torch's C++ writer loses the errno
            with open(target, "wb") as partial:
                partial.write(b"PK\x03\x04 the first bytes fit")
            raise RuntimeError("basic_ios::clear: iostream error")
        target.write(b"PK\x03\x04 the first bytes fit")
        return real_save(obj, FullDisk(target), *args, **kwargs)

    class FullDisk:
        def __init__(self, file):
            self.file = file

        def write(self, data):
            self.file.write(data)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self):
            self.file.flush()

    monkeypatch.setattr("vidpose.runs.checkpoint.torch.save", save_until_the_disk_fills)
    assert _train(setup, out, "--resume") == 2
    _one_line_error(
        capsys,
        f"{out / 'last.pt'}: no space left on the device for the checkpoint (needs about ",
        " MB free); the previous last.pt is unchanged",
    )
    assert (out / "last.pt").read_bytes() == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
