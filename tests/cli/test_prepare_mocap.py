"""``vidpose prepare mocap``: files to a --motion npz; bad input is one line, exit 2, no OUT."""

import json
import re

import numpy as np
import pytest
from tests_conftest import REPO, shared_dir

from vidpose.cli import main
from vidpose.clips.clip_store import open_store
from vidpose.mocap.bvh import read_bvh
from vidpose.mocap.bvh_export import bvh_text
from vidpose.mocap.proportions import mean_bone_lengths, subject_bone_lengths
from vidpose.pose.skeleton import JOINT_NAMES, bone_lengths
from vidpose.synth.motion_file import load_motion_file

CMU_DIR = (shared_dir() or REPO.parent / "shared") / "mocap" / "cmu"
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
        ["prepare", "mocap", str(_bvh(tmp_path / "walk.bvh")), str(out), "--subject", "S9"]
        + ["--bones", "source"],
        capsys,
    )
    assert code == 0, err
    assert (
        "vidpose-h36m" in stdout and "metres" in stdout and "30 fps (Frame Time) → 50 fps" in stdout
    )
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
    argv = ["prepare", "mocap", str(tiny), str(out), "--scale", "100", "--bones", "source"]
    code, stdout, _ = _run(argv, capsys)
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
        ["prepare", "mocap", str(renamed), str(out), "--map", str(tmp_path / "map.json")]
        + ["--overwrite"],
        capsys,
    )
    assert code == 0, err
    assert "user map" in stdout, stdout
    code, _, err = _run(["prepare", "mocap", str(renamed), str(out), "--up", "x"], capsys)
    assert code == 2 and "invalid choice" in err


@pytest.mark.skipif(not (CMU_DIR / "02_01.bvh").is_file(), reason="../shared/mocap/cmu is absent")
def test_cmu_take_renders_through_synth_with_the_files_bone_lengths(tmp_path, capsys):
    out = tmp_path / "cmu.npz"
    argv = ["prepare", "mocap", str(CMU_DIR / "02_01.bvh"), str(out), "--bones", "source"]
    code, stdout, err = _run(argv, capsys)
    assert code == 0, err
    assert "CMU BVH units" in stdout and "lead-in" not in stdout  # 02_01 has no T-pose
    bvh = read_bvh(CMU_DIR / "02_01.bvh")
    offset = {name: np.linalg.norm(bvh.offsets[i]) for i, name in enumerate(bvh.names)}
    metres = 0.0254 / 0.45
    size = offset["LeftLeg"] + offset["LeftFoot"] + offset["RightLeg"] + offset["RightFoot"]
    size *= metres / 2 / 0.899  # the body's leg over Human3.6M's
    # bones that are one OFFSET each in the file (shins, upper arms, forearms), and the
    # anatomy's hips and head top at Human3.6M's 136 and 115 mm for this body's size
    expected = {
        3: offset["RightFoot"] * metres, 6: offset["LeftFoot"] * metres,
        12: offset["LeftForeArm"] * metres, 13: offset["LeftHand"] * metres,
        15: offset["RightForeArm"] * metres, 16: offset["RightHand"] * metres,
        1: 0.136 * size, 4: 0.136 * size, 10: 0.115 * size,
    }  # fmt: skip
    data = tmp_path / "data"
    fast = ["--preset", "tiny", "--size", "32", "--frames", "4", "--workers", "1"]
    code, _, err = _run(["synth", str(data), *fast, "--motion", str(out)], capsys)
    assert code == 0, err
    for split in ("train", "test"):
        lengths = bone_lengths(open_store(data / split).poses3d.reshape(-1, 17, 3))
        for child, length in expected.items():
            assert np.abs(lengths[:, child - 1] - length).max() < 0.002, (child, length)


TINY_ASF = (
    ":units\n  length 0.45\n:root\n  order TX TY TZ RX RY RZ\n  axis XYZ\n:bonedata\n"
    "  begin\n  name a\n  direction 1 0 0\n  length 1\n  dof rx\n  end\n"
    "  begin\n  name b\n  direction 1 0 0\n  length 1\n  end\n"
    ":hierarchy\n  begin\n  root a\n  a b\n  end\n"
)


def _malformed(tmp_path, case):
    """The input files of one malformed-input case, and the OUT.npz options after them."""
    good = _bvh(tmp_path / "walk.bvh", frames=30).read_text()
    bvh = tmp_path / f"{case}.bvh"
    if case.startswith("frame_time_"):
        value = {"frame_time_huge": "1e300", "frame_time_100000": "100000"}.get(case, "1e-300")
        bvh.write_text(re.sub(r"Frame Time: \S+", f"Frame Time: {value}", good))
        return [bvh], []
    if case == "frames_10_of_30":
        bvh.write_text(good.replace("Frames: 30", "Frames: 10"))
        return [bvh], []
    if case == "too_long":
        bvh.write_text(good)
        return [bvh], ["--source-fps", "0.1", "--fps", "10000"]
    amc = tmp_path / "01_01.amc"
    amc.write_text("1\nroot 0 0 0 0 0 0\na 5\n")
    asf_text = {
        "asf_units_0": TINY_ASF.replace("length 0.45", "length 0"),
        "asf_cycle": TINY_ASF.replace("root a\n", "b a\n"),
        "asf_root_order": TINY_ASF.replace("RX RY RZ", "RX RW RZ"),
        "amc_no_bones": TINY_ASF,
    }[case]
    (tmp_path / "01.asf").write_text(asf_text)
    if case == "amc_no_bones":
        amc.write_text(":FULLY-SPECIFIED\n:DEGREES\n1\n2\n")
    return [amc], []


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("frame_time_huge", "frame_time_huge.bvh: a frame rate of 1e-300 fps (Frame Time)"),
        ("frame_time_100000", "frame_time_100000.bvh: a frame rate of 1e-05 fps (Frame Time)"),
        ("frame_time_tiny", "frame_time_tiny.bvh: a frame rate of 1e+300 fps (Frame Time)"),
        ("frames_10_of_30", "frames_10_of_30.bvh: line 108: Frames: 10 but 30 lines of motion"),
        ("too_long", "too_long.bvh: 30 frames at 0.1 fps would resample to 2900001 frames"),
        ("asf_units_0", "01.asf: line 2: units length must be a positive number, got 0"),
        (
            "asf_cycle",
            "01.asf: line 21: the :hierarchy has a cycle: b's parent is a, a's parent is b",
        ),
        ("asf_root_order", "01.asf: line 4: root order has unknown channel 'RW'"),
        ("amc_no_bones", "01_01.amc: 2 frame numbers but no bone values in any frame"),
    ],
)
def test_malformed_mocap_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, case, fragment):
    inputs, options = _malformed(tmp_path, case)
    out = tmp_path / "out" / "m.npz"
    code, _, err = _run(["prepare", "mocap", *map(str, inputs), str(out), *options], capsys)
    assert code == 2
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err, err
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_a_bvh_with_a_byte_order_mark_converts(tmp_path, capsys):
    path = _bvh(tmp_path / "bom.bvh")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, stdout, err = _run(["prepare", "mocap", str(path), str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert "vidpose-h36m" in stdout and len(load_motion_file(tmp_path / "m.npz", 10)) == 1


def _cmu_like_asf(path, scale=1.0):
    """A CMU-like ASF (the cmu-asf family's bones, y up) written at ``path``."""
    bones = [
        ("lhipjoint", "root", (1, -1, 0.5), 2.4), ("lfemur", "lhipjoint", (0.34, -0.94, 0), 7.2),
        ("ltibia", "lfemur", (0.34, -0.94, 0), 7.4), ("rhipjoint", "root", (-1, -1, 0.5), 2.4),
        ("rfemur", "rhipjoint", (-0.34, -0.94, 0), 7.2),
        ("rtibia", "rfemur", (-0.34, -0.94, 0), 7.4), ("lowerback", "root", (0, 1, 0), 2.0),
        ("upperback", "lowerback", (0, 1, 0), 2.0), ("thorax", "upperback", (0, 1, 0), 2.0),
        ("lowerneck", "thorax", (0, 1, 0), 1.6), ("upperneck", "lowerneck", (0, 1, 0), 1.6),
        ("head", "upperneck", (0, 1, 0), 1.6), ("lclavicle", "thorax", (0.9, 0.4, 0), 3.5),
        ("lhumerus", "lclavicle", (1, 0, 0), 5.0), ("lradius", "lhumerus", (1, 0, 0), 3.4),
        ("rclavicle", "thorax", (-0.9, 0.4, 0), 3.5), ("rhumerus", "rclavicle", (-1, 0, 0), 5.0),
        ("rradius", "rhumerus", (-1, 0, 0), 3.4),
    ]  # fmt: skip
    text = ":units\n  length 0.45\n  angle deg\n:root\n  order TX TY TZ RX RY RZ\n  axis XYZ\n"
    text += ":bonedata\n" + "".join(
        f"  begin\n    name {n}\n    direction {' '.join(map(str, d))}\n    length {v * scale}\n"
        f"    axis 0 0 0 XYZ\n    dof rx ry rz\n  end\n"
        for n, _, d, v in bones
    )
    children: dict[str, list[str]] = {}
    for name, parent, _, _ in bones:
        children.setdefault(parent, []).append(name)
    text += ":hierarchy\n  begin\n"
    text += "".join(f"    {p} {' '.join(c)}\n" for p, c in children.items()) + "  end\n"
    path.write_text(text)
    return path


def test_asf_fallback_cmu_index_and_human36m_bodies(tmp_path, capsys):
    takes = tmp_path / "takes"
    takes.mkdir()
    fallback = _cmu_like_asf(tmp_path / "16.asf")
    amc = "".join(f"{f}\nroot 0 17 0 0 0 0\nlfemur {f} 0 0\n" for f in range(1, 121))
    (takes / "35_01.amc").write_text(":FULLY-SPECIFIED\n:DEGREES\n" + amc)
    index = tmp_path / "INDEX.tsv"
    index.write_text("take\tcapture_fps_per_CMU_listing\n35_01\t60\n")
    out = tmp_path / "m.npz"
    code, _, err = _run(["prepare", "mocap", str(takes), str(out)], capsys)
    assert code == 2 and "35_01.amc: no ASF skeleton found (35.asf is missing)" in err
    argv = ["prepare", "mocap", str(takes), str(out), "--asf", str(fallback)]
    code, stdout, err = _run([*argv, "--cmu-index", str(index)], capsys)
    assert code == 0, err
    assert "cmu-asf on 16.asf" in stdout and "60 fps (CMU index) → 50 fps" in stdout
    assert "a Human3.6M-like body for cmu35" in stdout
    (sequence,) = load_motion_file(out, min_frames=10)
    assert sequence.subject == "cmu35"
    assert len(sequence.positions) == 100  # 120 frames at 60 fps: 119/60 s at 50 fps
    # the default bones: the seeded Human3.6M-like body of subject cmu35, exactly
    np.testing.assert_allclose(
        bone_lengths(sequence.positions), np.tile(subject_bone_lengths("cmu35"), (100, 1)),
        rtol=1e-5,
    )  # fmt: skip
    out.unlink()
    code, stdout, err = _run([*argv, "--bones", "h36m-mean", "--seed", "3"], capsys)
    assert code == 0 and "120 fps (AMC default)" in stdout and "mean body" in stdout
    lengths = bone_lengths(load_motion_file(out, min_frames=10)[0].positions)
    np.testing.assert_allclose(lengths, np.tile(mean_bone_lengths(), (len(lengths), 1)), 1e-5)


def test_out_may_not_be_an_input(tmp_path, capsys):
    asf = _cmu_like_asf(tmp_path / "16.asf")
    amc = tmp_path / "16_01.amc"
    amc.write_text("1\nroot 0 17 0 0 0 0\n")
    index = tmp_path / "index.npz"
    index.write_text("take\tcapture_fps_per_CMU_listing\n")
    argv = ["prepare", "mocap", str(amc), str(index), "--asf", str(asf), "--cmu-index", str(index)]
    code, _, err = _run(argv, capsys)
    assert code == 2 and "index.npz: is also an input of this command" in err
    assert index.read_text().startswith("take")


def test_an_existing_motion_file_is_replaced_only_with_overwrite(tmp_path, capsys):
    out = tmp_path / "m.npz"
    out.write_bytes(b"old")
    argv = ["prepare", "mocap", str(_bvh(tmp_path / "walk.bvh")), str(out), "--bones", "source"]
    code, _, err = _run(argv, capsys)
    assert code == 2 and err.strip().endswith("already exists (use --overwrite to replace it)")
    assert out.read_bytes() == b"old"
    code, _, err = _run([*argv, "--overwrite"], capsys)
    assert code == 0, err
    assert len(load_motion_file(out, min_frames=10)) == 1
