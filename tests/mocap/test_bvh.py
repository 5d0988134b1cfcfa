"""BVH parsing and forward kinematics: closed-form chains, channel orders, errors by line."""

import numpy as np
import pytest
from bvh_files import POS, ROT, joint_block, two_bone_chain, write_bvh

from vidpose.infra.errors import UserError
from vidpose.mocap.bvh import (
    forward_kinematics,
    forward_kinematics_with_rotations,
    read_bvh,
    rest_positions,
    restore_dropped_bone,
)


def _positions(path):
    bvh = read_bvh(path)
    return bvh, forward_kinematics(bvh)


def test_rest_chain_and_end_site_names(tmp_path):
    bvh, pos = _positions(write_bvh(tmp_path / "a.bvh", two_bone_chain(), [[0] * 12]))
    assert bvh.names == ["root", "a", "b", "b_end"]
    assert bvh.parents.tolist() == [-1, 0, 1, 2]
    np.testing.assert_allclose(pos[0], [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]])
    np.testing.assert_allclose(rest_positions(bvh), pos[0])


def test_known_rotation_of_a_two_bone_chain(tmp_path):
    # root at (5, 0, 0) turned 90° about Z; a turned another 90° about Z:
    # a = root + Rz90 (1,0,0) = (5,1,0); b = a + Rz180 (1,0,0) = (4,1,0); end = (3,1,0).
    row = [5, 0, 0, 90, 0, 0, 90, 0, 0, 0, 0, 0]
    _, pos = _positions(write_bvh(tmp_path / "a.bvh", two_bone_chain(), [row]))
    np.testing.assert_allclose(pos[0], [[5, 0, 0], [5, 1, 0], [4, 1, 0], [3, 1, 0]], atol=1e-12)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # R = Rz90 @ Rx90 applied to the bone (0,1,0): Rx90 → (0,0,1), Rz90 keeps it.
        (("Zrotation", "Xrotation", "Yrotation"), (0, 0, 1)),
        # R = Rx90 @ Rz90 @ Ry0: Rz90 → (-1,0,0), Rx90 keeps it.
        (("Xrotation", "Zrotation", "Yrotation"), (-1, 0, 0)),
    ],
)
def test_channel_order_is_the_multiplication_order(tmp_path, order, expected):
    values = {"Zrotation": 90, "Xrotation": 90, "Yrotation": 0}
    child = joint_block("a", (0, 1, 0), list(order), end=(0, 1, 0), depth=1)
    root = joint_block("root", (0, 0, 0), POS + list(order), children=child, root=True)
    row = [0, 0, 0, *[values[c] for c in order], 0, 0, 0]
    _, pos = _positions(write_bvh(tmp_path / "o.bvh", root, [row]))
    np.testing.assert_allclose(pos[0, 1], expected, atol=1e-12)


def test_position_channels_on_a_non_root_joint_replace_its_offset(tmp_path):
    child = joint_block("a", (1, 0, 0), POS + ROT, end=(1, 0, 0), depth=1)
    root = joint_block("root", (0, 0, 0), POS + ROT, children=child, root=True)
    # root turned 90° about Z; a's translation (0, 2, 0) in root's frame → (-2, 0, 0).
    row = [1, 1, 1, 90, 0, 0, 0, 2, 0, 0, 0, 0]
    _, pos = _positions(write_bvh(tmp_path / "p.bvh", root, [row]))
    np.testing.assert_allclose(pos[0, :2], [[1, 1, 1], [-1, 1, 1]], atol=1e-12)
    np.testing.assert_allclose(pos[0, 2], [-1, 2, 1], atol=1e-12)


def test_frames_are_vectorised_and_match_one_by_one(tmp_path):
    rng = np.random.default_rng(0)
    rows = np.concatenate([rng.normal(0, 1, (30, 3)), rng.uniform(-180, 180, (30, 9))], axis=1)
    path = write_bvh(tmp_path / "m.bvh", two_bone_chain(), rows)
    _, all_frames = _positions(path)
    for frame in (0, 17, 29):
        _, one = _positions(write_bvh(tmp_path / "one.bvh", two_bone_chain(), rows[frame]))
        np.testing.assert_allclose(all_frames[frame], one[0], atol=1e-9)
    np.testing.assert_allclose(
        np.linalg.norm(all_frames[:, 2] - all_frames[:, 1], axis=-1), 1.0, atol=1e-12
    )


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("HIERARCHY\nROOT r\n{\n  OFFSET 0 0\n}\n", 4, "OFFSET needs 3 numbers"),
        ("HIERARCHY\nROOT r\n{\n  OFFSET 0 0 x\n}\n", 4, "not a number"),
        ("HIERARCHY\nROOT r\n  OFFSET 0 0 0\n", 3, "expected '{'"),
        ("HIERARCHY\nROOT r\n{\n  OFFSET 0 0 0\n  CHANNELS 1 Wrotation\n}\n", 5, "unknown channel"),
        ("MOTION\n", 1, "must start with HIERARCHY"),
        (
            "HIERARCHY\nROOT r\n{\n OFFSET 0 0 0\n CHANNELS 1 Xrotation\n}\nMOTION\nFrames: 2\n"
            "Frame Time: 0.1\n1\n1 2\n",
            11,
            "expected 1 channel values, got 2",
        ),
        (
            "HIERARCHY\nROOT r\n{\n OFFSET 0 0 0\n CHANNELS 1 Xrotation\n}\nMOTION\nFrames: 2\n"
            "Frame Time: 0.1\n1\nnan\n",
            11,
            "NaN",
        ),
        (
            "HIERARCHY\nROOT r\n{\n OFFSET 0 0 0\n CHANNELS 1 Xrotation\n}\nMOTION\nFrames: 3\n"
            "Frame Time: 0.1\n1\n",
            8,
            "only 1 lines of motion",
        ),
    ],
)
def test_malformed_files_name_the_line(tmp_path, text, line, fragment):
    path = tmp_path / "bad.bvh"
    path.write_text(text)
    with pytest.raises(UserError, match=rf"bad.bvh: line {line}: .*{fragment}"):
        read_bvh(path)


def test_frame_count_must_match_the_motion_lines(tmp_path):
    path = write_bvh(tmp_path / "long.bvh", two_bone_chain(), np.zeros((30, 12)))
    path.write_text(path.read_text().replace("Frames: 30", "Frames: 10"))
    with pytest.raises(UserError, match=r"long.bvh: line \d+: Frames: 10 but 30 lines of motion"):
        read_bvh(path)


def test_a_byte_order_mark_is_read_past(tmp_path):
    path = write_bvh(tmp_path / "bom.bvh", two_bone_chain(), np.zeros((3, 12)))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_bvh(path).names == ["root", "a", "b", "b_end"]


def test_world_rotations_come_with_the_positions(tmp_path):
    # root turned 90° about Z, a another 90° about X: G(a) = Rz90 Rx90
    row = [0, 0, 0, 90, 0, 0, 0, 0, 90, 0, 0, 0]
    bvh = read_bvh(write_bvh(tmp_path / "a.bvh", two_bone_chain(), [row]))
    positions, rotations = forward_kinematics_with_rotations(bvh, [2], rotations_of=[1])
    rz = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]])
    rx = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0.0]])
    np.testing.assert_allclose(rotations[1][0], rz @ rx, atol=1e-12)
    np.testing.assert_allclose(positions[0, 2], [0, 2, 0], atol=1e-12)


def test_a_dropped_bone_is_restored_in_line_with_the_bone_before(tmp_path):
    # root → a (0, 2, 0) → b (0, 3, 0) whose two children sit at zero offsets (the bone
    # between b and them was dropped): they move to b + (0, 2.5, 0), the mean of 2 and 3
    c = joint_block("c", (0, 0, 0), ROT, end=(0, 1, 0), depth=3)
    d = joint_block("d", (0, 0, 0), ROT, end=(1, 0, 0), depth=3)
    b = joint_block("b", (0, 3, 0), ROT, children=c + d, depth=2)
    a = joint_block("a", (0, 2, 0), ROT, children=b, depth=1)
    root = joint_block("root", (0, 0, 0), POS + ROT, children=a, root=True)
    bvh = read_bvh(write_bvh(tmp_path / "d.bvh", root, np.zeros((2, 18))))
    restored, length = restore_dropped_bone(bvh, bvh.names.index("b"))
    assert length == 2.5
    rest = rest_positions(restored)
    np.testing.assert_allclose(rest[restored.names.index("c")], [0, 7.5, 0])
    np.testing.assert_allclose(rest[restored.names.index("d_end")], [1, 7.5, 0])
    assert restore_dropped_bone(bvh, bvh.names.index("a")) is None  # b is not at zero
