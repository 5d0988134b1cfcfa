"""Every command checks where it will write before its work starts, and a write that fails
later (a full disk) is one line too: exit 2, no traceback, nothing left behind.

Places that cannot be written: a path under a regular file, a path in /proc, a read-only file
system (simulated: the tests may run as root, whom permission bits do not stop) and, for a user
other than root, a folder without write permission.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import write_store

CONFIG = """\
model: {backbone: tinycnn, feature_dim: 8, hidden_size: 8}
data: {image_size: 32}
train: {epochs: 1, batch_size: 2, tensorboard: false, final_report: false}
"""
METRICS = "kind,epoch,step,split,loss,mpjpe_mm,lr,elapsed_s\nstep,1,1,train,0.3,520.0,0.001,0.1\n"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """DATA/{train,test} stores of 8-frame 32x32 clips (what the tiny checkpoint reads), a run
    config for them and a run folder with a metrics.csv to plot."""
    root = tmp_path_factory.mktemp("unwritable_inputs")
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        write_store(
            root / "data" / split,
            poses3d=rng.normal(0, 0.3, (2, 8, 17, 3)).astype(np.float32),
            poses2d=rng.uniform(4, 28, (2, 8, 17, 2)).astype(np.float32),
            clips=[
                {"subject": "S9", "action": "Walking", "camera": "c", "sequence": "s"}
                | {"start_frame": i}
                for i in range(2)
            ],
            frames=rng.integers(0, 256, (2, 8, 32, 32, 3), dtype=np.uint8),
        )
    (root / "config.yaml").write_text(CONFIG)
    return root


def _never(name):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} ran: the output should have been checked first")

    return fail


# command: (argv for an output under folder D, the work that must not start)
COMMANDS = {
    "train": (
        lambda i, c, v, d: (
            ["train", "--config", i / "config.yaml", "--data", i / "data"] + ["--out", d / "run"]
        ),
        "vidpose.tracks.track.train",
    ),
    "evaluate --json": (
        lambda i, c, v, d: ["evaluate", c, "--data", i / "data" / "test", "--json", d / "e.json"],
        "vidpose.engine.clip_inference.predict_store",
    ),
    "predict --out": (
        lambda i, c, v, d: ["predict", c, v, "--out", d / "p.npz"],
        "vidpose.video.image_model_path.predict_video",
    ),
    "predict --render": (
        lambda i, c, v, d: ["predict", c, v, "--out", i / "never.npz", "--render", d / "r.gif"],
        "vidpose.video.image_model_path.predict_video",
    ),
    "render --out": (
        lambda i, c, v, d: ["render", i / "data" / "test", "--clip", "0", "--out", d / "c.gif"],
        "vidpose.video.render.clip_animation_frames",
    ),
    "export": (
        lambda i, c, v, d: ["export", c, d / "m.onnx"],
        "vidpose.engine.onnx_export.export_onnx",
    ),
    "show --out": (
        lambda i, c, v, d: ["show", i / "data" / "test", "--out", d / "s.png"],
        "vidpose.clips.contact_sheet.contact_sheet",
    ),
    "synth": (
        lambda i, c, v, d: ["synth", d / "data", "--preset", "tiny", "--workers", "1"],
        "vidpose.synth.generate.procedural_units",
    ),
    "synth --poses-only": (
        lambda i, c, v, d: ["synth", d / "poses", "--poses-only", "--seconds", "1"],
        "vidpose.synth.poses._write_split",
    ),
    "prepare mocap": (
        lambda i, c, v, d: ["prepare", "mocap", i / "config.yaml", d / "motion.npz"],
        "vidpose.mocap.importer.find_inputs",
    ),
    "export-bvh": (
        lambda i, c, v, d: ["export-bvh", i / "poses.npz", d / "out.bvh"],
        "vidpose.mocap.poses_input.load_poses",
    ),
    "detect": (
        lambda i, c, v, d: ["detect", v, "--out", d / "k.npz"],
        "vidpose.video.detect.pipeline.build_detector",
    ),
}


def _unwritable(kind: str, tmp_path: Path, read_only) -> Path:
    """A folder that cannot be written, of the given kind."""
    if kind == "under a file":
        (tmp_path / "file").write_text("a regular file")
        return tmp_path / "file" / "sub"
    if kind == "in /proc":
        if not Path("/proc/self").is_dir():
            pytest.skip("needs Linux /proc")
        return Path("/proc/vidpose-test")
    folder = tmp_path / "ro"
    folder.mkdir()
    if kind == "read-only file system":
        read_only(folder)
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes through permission bits")
        folder.chmod(0o500)
    return folder


def _one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    assert err.count("error:") == 1, err
    # The last line (after any progress bar or note) is the whole message.
    message = err.replace("\r", "\n").strip().splitlines()[-1]
    assert message.startswith(f"vidpose {command}: error: "), err
    return message


@pytest.mark.parametrize(
    "kind", ["under a file", "in /proc", "read-only file system", "no write permission"]
)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unwritable_output_fails_before_the_work_in_one_line(
    command, kind, inputs, tiny_checkpoint, walking_video, tmp_path, capsys, monkeypatch, read_only
):
    folder = _unwritable(kind, tmp_path, read_only)
    make_argv, work = COMMANDS[command]
    monkeypatch.setattr(work, _never(work))
    before = sorted(tmp_path.rglob("*"))
    argv = make_argv(inputs, tiny_checkpoint, walking_video.path, folder)
    try:
        assert main([str(a) for a in argv]) == 2
        message = _one_line_error(capsys, argv[0])
        assert f"{folder}" in message and "cannot write here" in message, message
        assert sorted(tmp_path.rglob("*")) == before
        assert not (inputs / "never.npz").exists()
    finally:
        if kind == "no write permission":
            folder.chmod(0o700)


@pytest.mark.parametrize("kind", ["read-only file system", "no write permission"])
def test_plot_of_a_run_that_cannot_be_written(kind, tmp_path, capsys, monkeypatch, read_only):
    (tmp_path / "metrics.csv").write_text(METRICS)
    if kind == "read-only file system":
        read_only(tmp_path)
    elif os.geteuid() == 0:
        pytest.skip("root writes through permission bits")
    else:
        tmp_path.chmod(0o500)
    monkeypatch.setattr("vidpose.engine.curves.build_figures", _never("build_figures"))
    try:
        assert main(["plot", str(tmp_path)]) == 2
        assert "cannot write here" in _one_line_error(capsys, "plot")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]
    finally:
        tmp_path.chmod(0o700)


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_plot_on_a_disk_that_fills_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "metrics.csv").write_text(METRICS)
    monkeypatch.setattr("matplotlib.figure.Figure.savefig", _disk_full)
    assert main(["plot", str(tmp_path)]) == 2
    message = _one_line_error(capsys, "plot")
    assert message.endswith("curves_loss.png: cannot write (disk full)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]


def test_a_failed_render_leaves_no_poses_file(
    tiny_checkpoint, walking_video, tmp_path, capsys, monkeypatch
):
    """The npz of a predict whose --render failed must not look like a finished result."""
    out, render = tmp_path / "p.npz", tmp_path / "r.gif"
    monkeypatch.setattr("vidpose.video.encode.write_video", _disk_full)
    argv = ["predict", str(tiny_checkpoint), str(walking_video.path), "--out", str(out)]
    assert main([*argv, "--render", str(render), "--box", "40,10,60,100"]) == 2
    message = _one_line_error(capsys, "predict")
    assert message.endswith(f"{render}: cannot write (disk full)")
    assert list(tmp_path.iterdir()) == []


def test_a_poses_file_that_cannot_be_written_takes_the_render_with_it(
    tiny_checkpoint, walking_video, tmp_path, capsys, monkeypatch
):
    out, render = tmp_path / "p.npz", tmp_path / "r.gif"
    monkeypatch.setattr("vidpose.video.image_model_path.save_prediction", _disk_full)
    argv = ["predict", str(tiny_checkpoint), str(walking_video.path), "--out", str(out)]
    assert main([*argv, "--render", str(render), "--box", "40,10,60,100"]) == 2
    assert _one_line_error(capsys, "predict").endswith(f"{out}: cannot write (disk full)")
    assert list(tmp_path.iterdir()) == []


def test_an_export_that_fails_to_write_is_one_line(tiny_checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("vidpose.engine.onnx_export.export_onnx", _disk_full)
    out = tmp_path / "m.onnx"
    assert main(["export", str(tiny_checkpoint), str(out)]) == 2
    assert _one_line_error(capsys, "export").endswith(f"{out}: cannot write (disk full)")


def test_any_other_os_error_is_one_line_naming_the_file(inputs, tmp_path, capsys, monkeypatch):
    """The last net under every command: an OSError nothing turned into a UserError."""

    def vanished(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "data/test/x.npy")

    monkeypatch.setattr("vidpose.tracks.clip_track.ClipTrack.describe", vanished)
    assert main(["info", str(inputs / "data" / "test")]) == 2
    message = _one_line_error(capsys, "info")
    assert message == "vidpose info: error: data/test/x.npy: No such file or directory"


#: What NumPy raises when the disk is full (no errno, no path): a write it took only part of,
#: and a large array's space it could not reserve; and the end of vidpose's line for each.
NUMPY_DISK_FULL = {
    "short write": (
        "306000 requested and 262112 written",
        "cannot write (disk full: 262112 of 306000 bytes taken)",
    ),
    "no room": (
        "Not enough free space to write 212160000 bytes after offset 128",
        "cannot write (disk full: 212160000 bytes do not fit)",
    ),
}


def _standing_motion(frames: int) -> np.ndarray:
    """(frames, 32, 3) world metres, z up: a person standing (0.88 m legs), VideoPose3D's
    32-joint layout with the 15 unused joints at the pelvis."""
    from vidpose.pose.skeleton import H36M_32_TO_17

    body = np.zeros((32, 3)) + [0.0, 0.0, 0.96]
    body[H36M_32_TO_17] = [
        [0, 0, 0.96], [-0.13, 0, 0.96], [-0.13, 0.02, 0.51], [-0.13, 0, 0.08],
        [0.13, 0, 0.96], [0.13, 0.02, 0.51], [0.13, 0, 0.08], [0, 0, 1.19], [0, 0, 1.44],
        [0, 0, 1.54], [0, -0.03, 1.68], [0.17, 0, 1.42], [0.2, 0.05, 1.16], [0.22, 0.1, 0.93],
        [-0.17, 0, 1.42], [-0.2, 0.05, 1.16], [-0.22, 0.1, 0.93],
    ]  # fmt: skip
    drift = np.linspace(0, 0.3, frames)[:, None, None] * [1.0, 0.0, 0.0]
    return (body[None] + drift).astype(np.float32)


@pytest.mark.parametrize("numpy_words", list(NUMPY_DISK_FULL))
@pytest.mark.parametrize("command", ["prepare videopose3d", "synth --poses-only"])
def test_a_disk_that_fills_mid_write_names_the_store_and_says_full(
    command, numpy_words, tmp_path, capsys, monkeypatch
):
    if command == "prepare videopose3d":
        np.savez(tmp_path / "d3.npz", positions_3d={"S1": {"Walking": _standing_motion(8)}})
        argv = ["prepare", "videopose3d", tmp_path / "d3.npz", tmp_path / "out"]
    else:
        argv = ["synth", tmp_path / "out", "--poses-only", "--seconds", "1"]
    before = sorted(tmp_path.iterdir())
    raised, ending = NUMPY_DISK_FULL[numpy_words]

    def disk_full(*args, **kwargs):
        raise OSError(raised)

    monkeypatch.setattr("numpy.lib.format.write_array", disk_full)
    assert main([str(a) for a in argv]) == 2
    message = _one_line_error(capsys, argv[0])
    assert f"{tmp_path / '.out.partial-'}" in message, message  # the store being written
    assert message.endswith(f"/train: {ending}")
    assert sorted(tmp_path.iterdir()) == before


# -- the one output rule: an existing output only with --overwrite, never an input --------------


def _poses_file(path: Path) -> Path:
    """(5, 17, 3) poses in metres, z up, as a .npy file at ``path`` (whatever its suffix)."""
    from vidpose.pose.skeleton import H36M_32_TO_17

    rng = np.random.default_rng(0)
    poses = _standing_motion(5)[:, H36M_32_TO_17] + rng.normal(0, 0.01, (5, 17, 3))
    with open(path, "wb") as handle:  # np.save would add .npy to the name
        np.save(handle, poses)
    return path


def test_export_bvh_refuses_an_existing_file_and_its_own_input(tmp_path, capsys):
    poses = _poses_file(tmp_path / "walk.npy")
    out = tmp_path / "walk.bvh"
    out.write_text("my earlier export")
    assert main(["export-bvh", str(poses), str(out)]) == 2
    assert _one_line_error(capsys, "export-bvh") == (
        f"vidpose export-bvh: error: {out}: already exists (use --overwrite to replace it)"
    )
    assert out.read_text() == "my earlier export"
    assert main(["export-bvh", str(poses), str(out), "--overwrite"]) == 0
    assert out.read_text().startswith("HIERARCHY")
    same = _poses_file(tmp_path / "poses.bvh")  # poses saved under a .bvh name
    before = same.read_bytes()
    assert main(["export-bvh", str(same), str(tmp_path / "." / "poses.bvh"), "--overwrite"]) == 2
    assert "is also an input of this command" in _one_line_error(capsys, "export-bvh")
    assert same.read_bytes() == before


def test_evaluate_json_refuses_an_existing_file_and_its_own_checkpoint(
    inputs, tiny_checkpoint, tmp_path, capsys
):
    checkpoint = tmp_path / "tiny.pt"
    checkpoint.write_bytes(tiny_checkpoint.read_bytes())
    report = tmp_path / "report.json"
    report.write_text("{}")
    argv = ["evaluate", str(checkpoint), "--data", str(inputs / "data" / "test"), "--json"]
    assert main([*argv, str(report)]) == 2
    assert _one_line_error(capsys, "evaluate").endswith(
        f"--json {report}: already exists (use --overwrite to replace it)"
    )
    assert report.read_text() == "{}"
    assert main([*argv, str(report), "--overwrite", "--device", "cpu"]) == 0
    assert '"headline"' in report.read_text()
    capsys.readouterr()
    before = checkpoint.read_bytes()
    assert main([*argv, str(checkpoint), "--overwrite", "--device", "cpu"]) == 2
    assert "is also an input of this command" in _one_line_error(capsys, "evaluate")
    assert checkpoint.read_bytes() == before


@pytest.mark.parametrize("source", ["npy", "videopose3d", "h36m"])
def test_prepare_never_replaces_a_folder_that_holds_its_input(source, tmp_path, capsys):
    """OUT is replaced whole with --overwrite: OUT, or a folder above an input, is refused."""
    data = tmp_path / "data"
    data.mkdir()
    if source == "npy":
        np.save(data / "X.npy", np.zeros((2, 4, 8, 8, 3), np.uint8))
        np.save(data / "Y.npy", np.zeros((2, 4, 17, 3), np.float32))
        argv = [data / "X.npy", data / "Y.npy"]
    elif source == "videopose3d":
        np.savez(data / "d3.npz", positions_3d={"S1": {"Walking": _standing_motion(8)}})
        argv = [data / "d3.npz"]
    else:
        pytest.importorskip("cdflib")
        (data / "raw").mkdir()
        argv = [data / "raw"]
    before = sorted(tmp_path.rglob("*"))
    for out, problem in ((data, "holds"), (argv[0], "is also an input of this command")):
        assert main(["prepare", source, *map(str, argv), str(out), "--overwrite"]) == 2
        message = _one_line_error(capsys, "prepare")
        assert message.startswith(f"vidpose prepare: error: {out}: {problem}"), message
        assert sorted(tmp_path.rglob("*")) == before
