import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import write_store
from vidpose.video.encode import count_decodable_frames


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """Two clips of 8 random 32x32 frames; random root-relative poses drifting along x."""
    rng = np.random.default_rng(0)
    poses3d = rng.normal(0, 0.3, (2, 8, 17, 3)).astype(np.float32)
    poses3d[..., 0] += np.linspace(0, 0.4, 8, dtype=np.float32)[None, :, None]
    poses3d[..., 0, :] = 0
    poses2d = (16 + 10 * poses3d[..., :2]).astype(np.float32)
    frames = rng.integers(0, 255, (2, 8, 32, 32, 3), dtype=np.uint8)
    clips = [
        {
            "subject": "S9",
            "action": "Walking",
            "camera": "54138969",
            "sequence": "s",
            "start_frame": i,
        }
        for i in range(2)
    ]
    path = tmp_path_factory.mktemp("store") / "test"
    write_store(path, poses3d=poses3d, poses2d=poses2d, clips=clips, frames=frames, fps=50.0)
    return path


def test_render_ground_truth_clip(small_store, tmp_path, capsys):
    out = tmp_path / "clip.gif"
    assert main(["render", str(small_store), "--clip", "1", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    assert count_decodable_frames(out) == 8


def test_render_with_a_checkpoint_prints_the_clip_error(
    small_store, tiny_checkpoint, tmp_path, capsys
):
    out = tmp_path / "clip.mp4"
    argv = ["render", str(small_store), "--clip", "0", "--checkpoint", str(tiny_checkpoint)]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "clip 0 (S9 Walking camera 54138969): MPJPE" in printed and " mm" in printed
    assert count_decodable_frames(out) == 8


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--clip", "2"], "--clip 2:"),
        (["--clip", "0", "--out", "x.jpg"], "unknown video type"),
        (["--clip", "0", "--checkpoint", "missing.pt"], "missing.pt"),
    ],
)
def test_render_bad_inputs_fail_in_one_line(small_store, tmp_path, capsys, extra, message):
    extra = [str(tmp_path / e) if e.endswith((".jpg", ".pt")) else e for e in extra]
    if "--out" not in extra:
        extra += ["--out", str(tmp_path / "x.gif")]
    assert main(["render", str(small_store), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vidpose render: error:") and message in err[0]
    assert list(tmp_path.iterdir()) == []


def test_render_rejects_a_directory_that_is_not_a_store(tmp_path, capsys):
    assert main(["render", str(tmp_path), "--clip", "0", "--out", str(tmp_path / "x.gif")]) == 2
    assert "meta.json: missing (not a vidpose store)" in capsys.readouterr().err


def test_render_replaces_an_existing_out_only_with_overwrite(small_store, tmp_path, capsys):
    out = tmp_path / "clip.gif"
    out.write_bytes(b"an older animation")
    argv = ["render", str(small_store), "--clip", "0", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: already exists (use --overwrite to replace it)" in err
    assert out.read_bytes() == b"an older animation"
    assert main([*argv, "--overwrite"]) == 0
    assert count_decodable_frames(out) == 8


def test_render_never_writes_over_its_checkpoint(small_store, tmp_path, capsys):
    checkpoint = tmp_path / "model.gif"  # a checkpoint whatever its name; checked before loading
    checkpoint.write_bytes(b"weights")
    argv = ["render", str(small_store), "--clip", "0", "--checkpoint", str(checkpoint)]
    assert main([*argv, "--out", str(checkpoint), "--overwrite"]) == 2
    assert "is also an input of this command" in capsys.readouterr().err
    assert checkpoint.read_bytes() == b"weights"


def test_render_frames_must_be_positive(small_store, tmp_path, capsys):
    argv = ["render", str(small_store), "--clip", "0", "--out", str(tmp_path / "x.gif")]
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--frames", "0"])
    assert exit_info.value.code == 2
    assert "--frames: 0 must be at least 1" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
