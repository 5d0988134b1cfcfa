"""Text files that are not UTF-8 (a clips.csv or a config saved as Latin-1 or cp1252) are one
line naming the file and the line, exit 2, for every command that reads them."""

from __future__ import annotations

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import open_store, write_store

LATIN1_ROW = "S9,Caf\u00e9 walking,c,s,0\n".encode("latin-1")  # é is byte 0xe9 in Latin-1


@pytest.fixture
def latin1_store(tmp_path):
    """A valid store of 8-frame 32x32 clips whose clips.csv was re-saved as Latin-1."""
    rng = np.random.default_rng(0)
    clips = [
        {"subject": "S9", "action": "Walking", "camera": "c", "sequence": "s", "start_frame": 0}
        for _ in range(2)
    ]
    store = tmp_path / "data" / "test"
    write_store(
        store,
        poses3d=rng.normal(0, 0.3, (2, 8, 17, 3)).astype(np.float32),
        poses2d=rng.uniform(4, 28, (2, 8, 17, 2)).astype(np.float32),
        clips=clips,
        frames=rng.integers(0, 256, (2, 8, 32, 32, 3), dtype=np.uint8),
    )
    header, first = (store / "clips.csv").read_bytes().splitlines()[:2]
    (store / "clips.csv").write_bytes(header + b"\n" + first + b"\n" + LATIN1_ROW)
    return store


def _one_line(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("error:") == 1, err
    message = err.replace("\r", "\n").strip().splitlines()[-1]
    assert message.startswith(f"vidpose {command}: error: "), err
    return message.removeprefix(f"vidpose {command}: error: ")


EXPECTED = "not UTF-8 text (line 3 has byte 0xe9); save the file as UTF-8"


@pytest.mark.parametrize("command", ["info", "show", "evaluate"])
def test_a_clips_csv_in_latin1(command, latin1_store, tiny_checkpoint, tmp_path, capsys):
    argv = {
        "info": ["info", latin1_store],
        "show": ["show", latin1_store, "--out", tmp_path / "sheet.png"],
        "evaluate": ["evaluate", tiny_checkpoint, "--data", latin1_store],
    }[command]
    assert main([str(a) for a in argv]) == 2
    assert _one_line(capsys, command) == f"{latin1_store / 'clips.csv'}: {EXPECTED}"
    assert not (tmp_path / "sheet.png").exists()


def test_prepare_npy_meta_in_latin1(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "X.npy", rng.integers(0, 256, (2, 4, 8, 8, 3), dtype=np.uint8))
    np.save(tmp_path / "Y.npy", rng.normal(0, 0.3, (2, 4, 17, 3)))
    meta = tmp_path / "meta.csv"
    meta.write_bytes(b"subject,action\nS1,Walking\n" + "S1,Caf\u00e9\n".encode("latin-1"))
    argv = ["prepare", "npy", tmp_path / "X.npy", tmp_path / "Y.npy", tmp_path / "out"]
    assert main([str(a) for a in [*argv, "--meta", meta]]) == 2
    assert _one_line(capsys, "prepare") == f"{meta}: {EXPECTED}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X.npy", "Y.npy", "meta.csv"]


def test_a_config_in_latin1(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_bytes("# lr choisi\nseed: 0\n# r\u00e9glages\n".encode("latin-1"))
    argv = ["train", "--config", config, "--data", tmp_path, "--out", tmp_path / "run"]
    assert main([str(a) for a in argv]) == 2
    assert _one_line(capsys, "train") == f"{config}: {EXPECTED}"
    assert not (tmp_path / "run").exists()


def test_a_byte_order_mark_is_not_a_column_name(latin1_store, capsys):
    """Excel's 'CSV UTF-8' starts the file with a BOM; it is UTF-8 all the same."""
    clips = latin1_store / "clips.csv"
    text = clips.read_bytes().decode("latin-1")
    clips.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert main(["info", str(latin1_store), "--json"]) == 0
    assert "Caf\u00e9 walking" in open_store(latin1_store).actions


@pytest.mark.parametrize("command", ["export-bvh", "synth --motion", "prepare videopose3d"])
def test_a_text_file_named_npz_is_one_line_without_numpy_advice(command, tmp_path, capsys):
    """A CSV export saved as .npz: the reader names the file and what it is, never numpy's
    advice to load it 'unsafely using allow_pickle'."""
    text = tmp_path / "poses.npz"
    text.write_text("frame,joint,x,y,z\n0,pelvis,0.0,0.0,1.0\n", encoding="utf-8")
    argv = {
        "export-bvh": ["export-bvh", text, tmp_path / "out.bvh"],
        "synth --motion": ["synth", tmp_path / "out", "--motion", text, "--poses-only"],
        "prepare videopose3d": ["prepare", "videopose3d", text, tmp_path / "out"],
    }[command]
    assert main([str(a) for a in argv]) == 2
    message = _one_line(capsys, command.split()[0])
    assert message == f"{text}: not an .npz file (not a NumPy archive)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poses.npz"]
