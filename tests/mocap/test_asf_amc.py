"""ASF/AMC: units, bone axes and dof order in closed form, and errors naming the line."""

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.mocap.asf_amc import asf_amc_take, read_amc, read_asf

ASF = """\
:version 1.10
:name test
:units
  mass 1.0
  length 0.45
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name upper
     direction 1 0 0
     length 2
     axis 0 0 0  XYZ
    dof rx ry rz
  end
  begin
     id 2
     name lower
     direction 1 0 0
     length 1
     axis 0 0 90  XYZ
    dof rx
  end
:hierarchy
  begin
    root upper
    upper lower
  end
"""


def _files(tmp_path, amc_body):
    asf = tmp_path / "01.asf"
    asf.write_text(ASF)
    amc = tmp_path / "01_01.amc"
    amc.write_text(":FULLY-SPECIFIED\n:DEGREES\n" + amc_body)
    return read_asf(asf), amc


def test_units_follow_the_asf_length_unit(tmp_path):
    asf, _ = _files(tmp_path, "")
    assert asf.metres_per_unit == pytest.approx(0.0254 / 0.45)
    assert [b.name for b in asf.bones] == ["root", "upper", "lower"]
    assert asf.parents.tolist() == [-1, 0, 1]


def test_known_rotations_land_where_they_must(tmp_path):
    # Frame 1 at rest. Frame 2: root moved to (1, 2, 3); upper turned rz = 90 (X applied first,
    # so Rz Ry Rx), its end at (1,2,3) + Rz90 (2,0,0) = (1,4,3); lower's axis is Rz90, so its
    # rx = 90 turns about Rz90·x = y: Ry90 (1,0,0) = (0,0,-1), then upper's Rz90 keeps it.
    asf, amc = _files(
        tmp_path,
        "1\nroot 0 0 0 0 0 0\nupper 0 0 0\nlower 0\n2\nroot 1 2 3 0 0 0\nupper 0 0 90\nlower 90\n",
    )
    take = asf_amc_take(asf, amc, fps=120.0)
    np.testing.assert_allclose(take.positions[0], [[0, 0, 0], [2, 0, 0], [3, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(take.positions[1], [[1, 2, 3], [1, 4, 3], [1, 4, 2]], atol=1e-12)
    np.testing.assert_allclose(take.rest, take.positions[0], atol=1e-12)


def test_dof_values_apply_x_first(tmp_path):
    # upper rx = 90 then rz = 90: Rz90 Rx90 (2,0,0) = Rz90 (2,0,0) = (0,2,0); the other order
    # would give the same here, so also turn ry: Rz90 Ry90 Rx0 (2,0,0) = Rz90 (0,0,-2) = (0,0,-2).
    asf, amc = _files(tmp_path, "1\nroot 0 0 0 0 0 0\nupper 0 90 90\nlower 0\n")
    take = asf_amc_take(asf, amc, fps=120.0)
    np.testing.assert_allclose(take.positions[0, 1], [0, 0, -2], atol=1e-12)


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("1\nroot 0 0 0 0 0 0\nelbow 1 2 3\n", 5, "bone 'elbow' is not in the skeleton 01.asf"),
        ("1\nroot 0 0 0 0 0 0\nupper 1 2\n", 5, "needs 3 values, got 2"),
        ("1\nroot 0 0 0 0 0 0\nupper 1 x 2\n", 5, "not a number"),
        ("1\nroot 0 0 0 0 0 0\nupper 1 nan 2\n", 5, "NaN"),
        ("upper 1 2 3\n", 3, "before the first frame"),
    ],
)
def test_bad_amc_names_the_line(tmp_path, body, line, fragment):
    asf, amc = _files(tmp_path, body)
    with pytest.raises(UserError, match=rf"01_01.amc: line {line}: .*{fragment}"):
        read_amc(amc, asf)


def test_bad_asf_names_the_line(tmp_path):
    path = tmp_path / "bad.asf"
    path.write_text(ASF.replace("length 2", "length two"))
    with pytest.raises(UserError, match=r"bad.asf: line 17: length"):
        read_asf(path)
    path.write_text(ASF.replace("upper lower", "upper elbow"))
    with pytest.raises(UserError, match=r"bad.asf: line 32: .*'elbow'"):
        read_asf(path)


# name, parent, direction, length: a CMU-like ASF, y up, lengths in units of 1/0.45 inch.
CMU_LIKE = [
    ("lhipjoint", "root", (1, -1, 0.5), 2.4), ("lfemur", "lhipjoint", (0.34, -0.94, 0), 7.2),
    ("ltibia", "lfemur", (0.34, -0.94, 0), 7.4), ("rhipjoint", "root", (-1, -1, 0.5), 2.4),
    ("rfemur", "rhipjoint", (-0.34, -0.94, 0), 7.2), ("rtibia", "rfemur", (-0.34, -0.94, 0), 7.4),
    ("lowerback", "root", (0, 1, 0), 2.0), ("upperback", "lowerback", (0, 1, 0), 2.0),
    ("thorax", "upperback", (0, 1, 0), 2.0), ("lowerneck", "thorax", (0, 1, 0), 1.6),
    ("upperneck", "lowerneck", (0, 1, 0), 1.6), ("head", "upperneck", (0, 1, 0), 1.6),
    ("lclavicle", "thorax", (0.9, 0.4, 0), 3.5), ("lhumerus", "lclavicle", (1, 0, 0), 5.0),
    ("lradius", "lhumerus", (1, 0, 0), 3.4), ("rclavicle", "thorax", (-0.9, 0.4, 0), 3.5),
    ("rhumerus", "rclavicle", (-1, 0, 0), 5.0), ("rradius", "rhumerus", (-1, 0, 0), 3.4),
]  # fmt: skip


def test_cmu_asf_amc_converts_with_the_asfs_lengths_and_units(tmp_path):
    from vidpose.mocap.importer import ImportOptions, import_file
    from vidpose.pose.skeleton import bone_lengths

    bones = "".join(
        f"  begin\n    name {name}\n    direction {' '.join(map(str, d))}\n    length {length}\n"
        f"    axis 0 0 {15 * i} XYZ\n    dof rx ry rz\n  end\n"
        for i, (name, _, d, length) in enumerate(CMU_LIKE)
    )
    children: dict[str, list[str]] = {}
    for name, parent, _, _ in CMU_LIKE:
        children.setdefault(parent, []).append(name)
    hierarchy = "".join(f"    {p} {' '.join(c)}\n" for p, c in children.items())
    (tmp_path / "86.asf").write_text(
        ":units\n  length 0.45\n  angle deg\n:root\n  order TX TY TZ RX RY RZ\n  axis XYZ\n"
        f":bonedata\n{bones}:hierarchy\n  begin\n{hierarchy}  end\n"
    )
    rng = np.random.default_rng(0)
    frames = []
    for frame in range(1, 25):
        lines = [str(frame), "root " + " ".join(f"{v:.4f}" for v in rng.normal(0, 10, 6))]
        lines += [
            f"{n} " + " ".join(f"{v:.4f}" for v in rng.normal(0, 20, 3)) for n, *_ in CMU_LIKE
        ]
        frames.append("\n".join(lines))
    (tmp_path / "86_01.amc").write_text(":FULLY-SPECIFIED\n:DEGREES\n" + "\n".join(frames) + "\n")
    converted = import_file(tmp_path / "86_01.amc", [], ImportOptions(fps=120.0))
    assert converted.family == "cmu-asf" and converted.up == "y"
    assert converted.units.startswith("stated in the file")
    length = {name: value * 0.0254 / 0.45 for name, _, _, value in CMU_LIKE}
    lengths = bone_lengths(converted.positions)
    # every bone between renamed joints that is one ASF bone
    one_bone = {
        3: "rtibia", 6: "ltibia", 11: "lclavicle", 12: "lhumerus", 13: "lradius",
        14: "rclavicle", 15: "rhumerus", 16: "rradius",
    }  # fmt: skip
    for child, bone in one_bone.items():
        np.testing.assert_allclose(lengths[:, child - 1], length[bone], rtol=1e-9)
    # the hips and the head top: Human3.6M's 136 and 115 mm for this body's size (its leg
    # 7.2 + 7.4 units against Human3.6M's 899 mm)
    size = (length["lfemur"] + length["ltibia"]) / 0.899
    np.testing.assert_allclose(lengths[:, [0, 3]], 0.136 * size, rtol=1e-9)
    np.testing.assert_allclose(lengths[:, 9], 0.115 * size, rtol=1e-9)


@pytest.mark.parametrize(
    ("old", "new", "line", "fragment"),
    [
        ("length 0.45", "length 0", 5, "units length must be a positive number, got 0"),
        ("length 0.45", "length -2", 5, "units length must be a positive number"),
        ("order TX TY TZ RX RY RZ", "order TX TY TZ RX RQ RZ", 8, "unknown channel 'RQ'"),
        ("order TX TY TZ RX RY RZ", "order TX TY TX RX RY RZ", 8, "a repeated channel"),
        ("axis XYZ\n", "axis XYW\n", 9, "root axis 'XYW'"),
        ("axis 0 0 90  XYZ", "axis 0 0 90  XXZ", 26, "axis order 'XXZ'"),
        (
            "root upper\n",
            "lower upper\n",
            32,
            "cycle: lower's parent is upper, upper's parent is lower",
        ),
        ("upper lower", "upper lower\n    root lower", 33, "'lower' has a second parent"),
    ],
)
def test_bad_asf_structure_names_the_line(tmp_path, old, new, line, fragment):
    path = tmp_path / "bad.asf"
    path.write_text(ASF.replace(old, new))
    with pytest.raises(UserError, match=rf"bad.asf: line {line}: .*{fragment}"):
        read_asf(path)


def test_bones_are_put_in_tree_order_whatever_their_order_in_the_file(tmp_path):
    upper = ASF[ASF.index("  begin\n     id 1") : ASF.index("  begin\n     id 2")]
    swapped = ASF.replace(upper, "").replace(":hierarchy", upper + ":hierarchy")
    path = tmp_path / "swapped.asf"
    path.write_text(swapped)
    asf = read_asf(path)
    assert [b.name for b in asf.bones] == ["root", "upper", "lower"]
    assert asf.parents.tolist() == [-1, 0, 1]


def test_amc_with_frame_numbers_only_is_refused(tmp_path):
    asf, amc = _files(tmp_path, "1\n2\n3\n")
    with pytest.raises(UserError, match="01_01.amc: 3 frame numbers but no bone values"):
        read_amc(amc, asf)


def test_a_byte_order_mark_is_read_past_in_asf_and_amc(tmp_path):
    asf, amc = _files(tmp_path, "1\nroot 0 0 0 0 0 0\nupper 0 0 0\nlower 0\n")
    for path in (asf.path, amc):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_asf(asf.path).metres_per_unit == pytest.approx(0.0254 / 0.45)
    assert read_amc(amc, asf)["upper"].shape == (1, 3)
