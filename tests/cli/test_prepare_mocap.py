"""``vidpose prepare mocap``: files to a --motion npz; bad input is one line, exit 2, no OUT."""

import json
from pathlib import Path

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.mocap.bvh import read_bvh
from vidpose.mocap.bvh_export import bvh_text
from vidpose.skeleton import JOINT_NAMES, bone_lengths
from vidpose.store import open_store
from vidpose.synth.motion_file import load_motion_file

CMU_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "mocap" / "cmu"
STANDING = np.array(
    [
        [0, 1.0, 0], [-0.13, 1.0, 0], [-0.13, 0.55, 0.02], [-0.13, 0.1, 0],
        [0.13, 1.0, 0], [0.13, 0.55, 0.02], [0.13, 0.1, 0], [0, 1.23, -0.01],
        [0, 1.48, 0], [0, 1.58, 0.04], [0, 1.7, 0.0], [0.15, 1.45, 0], [0.42, 1.45, 0],
        [0.67, 1.45, 0], [-0.15, 1.45, 0], [-0.42, 1.45, 0], [-0.67, 1.45, 0],
    ]
)  # fmt: skip


def _walk(frames=60):
    poses = np.repeat(STANDING[None], frames, axis=0)
    poses[:, :, 2] += np.linspace(0, 1, frames)[:, None]
    poses[:, 12:14, 2] += 0.1 * np.sin(np.arange(frames) / 5)[:, None]
    return poses


def _bvh(path, scale=1.0, frames=60):
    path.write_text(bvh_text(_walk(frames) * scale, 30.0))
    return path


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_converts_bvh_to_the_motion_format(tmp_path, capsys):
    out = tmp_path / "m.npz"
    code, stdout, err = _run(
        ["prepare", "mocap", str(_bvh(tmp_path / "walk.bvh")), str(out), "--subject", "S9"],
        capsys,
    )
    assert code == 0, err
    assert "vidpose-h36m" in stdout and "metres" in stdout and "30 → 50 fps" in stdout
    assert "\r" not in err  # no progress-bar redraws when not a terminal
    (sequence,) = load_motion_file(out, min_frames=10)
    assert (sequence.name, sequence.subject, sequence.action) == ("walk", "S9", "walk")
    # 60 frames at 30 fps = 59/30 s → 99 frames at 50 fps; z up; walking +z in BVH → -y here
    assert sequence.positions.shape == (99, 17, 3)
    assert (sequence.positions[:, 10, 2] > sequence.positions[:, 3, 2] + 1.4).all()
    walked = sequence.positions[-1, 0, 1] - sequence.positions[0, 0, 1]
    assert walked == pytest.approx(-(98 / 50) / (59 / 30), abs=1e-5)


def _bad(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    good = _bvh(tmp_path / "good.bvh").read_text()
    (bad / "cut.bvh").write_text(good.replace("OFFSET 0.000000 0.000000 0.000000", "OFFSET 0 0"))
    lines = good.splitlines()
    lines[-3] = " ".join(["nan"] * len(lines[-3].split()))
    (bad / "nan.bvh").write_text("\n".join(lines) + "\n")
    return bad


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("cut", "cut.bvh: line 4: OFFSET needs 3 numbers"),
        ("nan", "NaN or inf in frame 57"),
        ("tiny", "cannot tell the units: the leg (hip to ankle) is 0.009"),
        ("unknown", "unknown skeleton"),
        ("empty", "folder has no .bvh or .amc files"),
        ("amc", "01_01.amc: line 2: bone 'elbow' is not in the skeleton 01.asf"),
        ("suffix", "must end in .npz"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, case, fragment):
    bad = _bad(tmp_path)
    out = tmp_path / "out" / "m.npz"
    inputs = {
        "cut": [bad / "cut.bvh"],
        "nan": [bad / "nan.bvh"],
        "tiny": [_bvh(tmp_path / "tiny.bvh", scale=0.01)],
        "empty": [tmp_path / "void"],
        "suffix": [_bvh(tmp_path / "walk.bvh")],
    }
    if case == "unknown":
        text = _bvh(tmp_path / "walk.bvh").read_text().replace("left_hip", "hanche")
        (tmp_path / "odd.bvh").write_text(text)
        inputs[case] = [tmp_path / "odd.bvh"]
    if case == "empty":
        (tmp_path / "void").mkdir()
    if case == "amc":
        (tmp_path / "01.asf").write_text(":units\n  length 0.45\n:bonedata\n  begin\n  name a\n"
                                         "  direction 1 0 0\n  length 1\n  end\n:hierarchy\n"
                                         "  begin\n  root a\n  end\n")  # fmt: skip
        (tmp_path / "01_01.amc").write_text("1\nelbow 0 0 0\n")
        inputs[case] = [tmp_path / "01_01.amc"]
    target = out.with_suffix(".txt") if case == "suffix" else out
    code, _, err = _run(["prepare", "mocap", *map(str, inputs[case]), str(target)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_many_files_keep_the_good_and_list_the_bad(tmp_path, capsys):
    bad = _bad(tmp_path)
    _bvh(bad / "fine.bvh")
    out = tmp_path / "m.npz"
    code, stdout, err = _run(["prepare", "mocap", str(bad), str(out)], capsys)
    assert code == 1
    assert "skipped 2 of 3 files" in err and "cut.bvh: line 4" in err and "nan.bvh" in err
    assert [s.name for s in load_motion_file(out, min_frames=1)] == ["fine"]
    # all bad: nothing written, one line
    out.unlink()
    (bad / "fine.bvh").unlink()
    code, _, err = _run(["prepare", "mocap", str(bad), str(out)], capsys)
    assert code == 2 and err.count("\n") == 1 and "none of the 2 files converted" in err
    assert not out.exists()


def test_scale_up_and_map_options(tmp_path, capsys):
    tiny = _bvh(tmp_path / "tiny.bvh", scale=0.01)
    out = tmp_path / "m.npz"
    code, stdout, _ = _run(["prepare", "mocap", str(tiny), str(out), "--scale", "100"], capsys)
    assert code == 0 and "--scale 100 m per unit" in stdout
    np.testing.assert_allclose(
        bone_lengths(load_motion_file(out, 1)[0].positions).max(), 0.45, atol=1e-3
    )
    renamed = tmp_path / "odd.bvh"
    renamed.write_text(_bvh(tmp_path / "w.bvh").read_text().replace("left_hip", "hanche"))
    table = {name: name for name in JOINT_NAMES}
    table["left_hip"] = "hanche"
    table["head"] = ["head", "head_end"]
    (tmp_path / "map.json").write_text(json.dumps(table))
    code, stdout, err = _run(
        ["prepare", "mocap", str(renamed), str(out), "--map", str(tmp_path / "map.json")], capsys
    )
    assert code == 0, err and "user map" in stdout
    code, _, err = _run(["prepare", "mocap", str(renamed), str(out), "--up", "x"], capsys)
    assert code == 2 and "invalid choice" in err


@pytest.mark.skipif(not (CMU_DIR / "02_01.bvh").is_file(), reason="../shared/mocap/cmu is absent")
def test_cmu_take_renders_through_synth_with_the_files_bone_lengths(tmp_path, capsys):
    out = tmp_path / "cmu.npz"
    code, stdout, err = _run(["prepare", "mocap", str(CMU_DIR / "02_01.bvh"), str(out)], capsys)
    assert code == 0, err and "CMU BVH units" in stdout
    bvh = read_bvh(CMU_DIR / "02_01.bvh")
    offset = {name: np.linalg.norm(bvh.offsets[i]) for i, name in enumerate(bvh.names)}
    metres = 0.0254 / 0.45
    # bones that are one OFFSET each in the file (cmu-bvh table)
    expected = {
        2: offset["RightLeg"], 3: offset["RightFoot"], 5: offset["LeftLeg"],
        6: offset["LeftFoot"], 12: offset["LeftForeArm"], 13: offset["LeftHand"],
        15: offset["RightForeArm"], 16: offset["RightHand"], 1: offset["RightUpLeg"],
        4: offset["LeftUpLeg"], 10: offset["Head"], 9: offset["Neck1"],
    }  # fmt: skip
    data = tmp_path / "data"
    fast = ["--preset", "tiny", "--size", "32", "--frames", "4", "--workers", "1"]
    code, _, err = _run(["synth", str(data), *fast, "--motion", str(out)], capsys)
    assert code == 0, err
    for split in ("train", "test"):
        lengths = bone_lengths(open_store(data / split).poses3d.reshape(-1, 17, 3))
        for child, length in expected.items():
            assert np.abs(lengths[:, child - 1] - length * metres).max() < 0.002
