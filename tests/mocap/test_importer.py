"""Files → 17-joint motion: bone lengths equal the file's offsets; CMU takes; input discovery."""

import numpy as np
import pytest
from bvh_files import CMU_DIR, POS, ROT, joint_block, write_bvh

from vidpose.infra.errors import UserError
from vidpose.mocap.bvh import read_bvh, rest_positions
from vidpose.mocap.importer import ImportOptions, asf_for, find_inputs, import_file
from vidpose.mocap.joint_maps import resolve_family
from vidpose.pose.skeleton import BONES, JOINT_NAMES, PARENTS, bone_lengths


def _h36m_hierarchy(offsets):
    """The 17 joints by name (vidpose's family), every joint with all six channels."""

    def block(joint, depth):
        children = "".join(block(int(c), depth + 1) for c in np.flatnonzero(joint == PARENTS))
        end = (0, 0.05, 0) if not children else None
        return joint_block(
            JOINT_NAMES[joint], offsets[joint], ROT if joint else POS + ROT, children,
            root=joint == 0, end=end, depth=depth,
        )  # fmt: skip

    return block(0, 0)


def test_bone_lengths_equal_the_files_offsets(tmp_path):
    rng = np.random.default_rng(0)
    offsets = rng.normal(0, 0.2, (17, 3))
    offsets[[2, 3, 5, 6], 1] = -0.42  # long legs so --scale auto reads metres
    offsets[[1, 4, 2, 3, 5, 6], 0] = 0.0
    offsets[10] = [0, 0.3, 0]
    rows = np.concatenate([rng.normal(0, 1, (25, 3)), rng.uniform(-180, 180, (25, 51))], 1)
    # one frame a second: random angles are no faster than a person (no broken start to drop)
    path = write_bvh(tmp_path / "h.bvh", _h36m_hierarchy(offsets), rows, frame_time=1.0)
    converted = import_file(path, [], ImportOptions(fps=1.0))
    assert converted.units.startswith("metres") and converted.positions.shape == (25, 17, 3)
    expected = np.linalg.norm(offsets[BONES[:, 0]], axis=-1)
    np.testing.assert_allclose(bone_lengths(converted.positions), np.tile(expected, (25, 1)))


def _rigid_bones(path):
    """Per Human3.6M bone, the file's length when the bone is rigid in the file, else NaN:
    the source joints are ancestor and descendant with one non-zero offset between them."""
    bvh = read_bvh(path)
    resolved = resolve_family(bvh.names)
    rest = rest_positions(bvh)
    lengths = np.full(16, np.nan)
    for bone, (child, parent) in enumerate(BONES):
        if len(resolved.sources[child]) > 1 or len(resolved.sources[parent]) > 1:
            continue  # an averaged joint (second-life's head)
        (a,), (b,) = resolved.sources[child], resolved.sources[parent]
        moving, node = 0, a
        while node not in (b, -1):
            moving += np.linalg.norm(bvh.offsets[node]) > 1e-9 or any(
                c.endswith("position") for c in bvh.channels[node]
            )
            node = int(bvh.parents[node])
        if node == b and moving <= 1:
            lengths[bone] = np.linalg.norm(rest[a] - rest[b])
    return lengths


CMU_TAKES = sorted(CMU_DIR.glob("*.bvh")) if CMU_DIR.is_dir() else []


@pytest.mark.skipif(not CMU_TAKES, reason="../shared/mocap/cmu is absent")
@pytest.mark.parametrize("path", CMU_TAKES, ids=lambda p: p.stem)
def test_cmu_takes_convert_with_the_files_bone_lengths(path):
    converted = import_file(path, [], ImportOptions())
    assert converted.up == "y" and converted.fps == 50.0
    seconds = (len(read_bvh(path).motion) - 1 - converted.dropped) / converted.source_fps
    assert len(converted.positions) == int(seconds * 50 + 1e-9) + 1
    expected = _rigid_bones(path) * converted.metres_per_unit
    # the shins, upper arms and forearms join renamed joints: the file's lengths; the
    # anatomy moves the pelvis, hips, spine, thorax, neck and head (tests/mocap/test_anatomy.py)
    limbs = [2, 5, 11, 12, 14, 15]
    assert np.isfinite(expected[limbs]).all()
    error = np.abs(bone_lengths(converted.positions)[:, limbs] - expected[limbs])
    assert error.max() < 0.002
    # z up, standing: the head above the ankles, the feet near the floor of the take
    pose = converted.positions
    assert (pose[:, 10, 2] > pose[:, [3, 6], 2].max(axis=1)).mean() > 0.9
    if path.stem.startswith(("02_", "05_", "131_")):
        assert converted.metres_per_unit == pytest.approx(0.0254 / 0.45)


def test_find_inputs_and_asf_pairing(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="empty: folder has no .bvh or .amc files"):
        find_inputs([tmp_path / "empty"])
    with pytest.raises(UserError, match="no such file or folder"):
        find_inputs([tmp_path / "missing.bvh"])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UserError, match="not a .bvh, .amc or .asf file"):
        find_inputs([tmp_path / "notes.txt"])
    takes = tmp_path / "takes"
    takes.mkdir()
    for name in ("02_01.amc", "02_02.amc", "02.asf", "07.asf", "07_01.amc", "x.bvh"):
        (takes / name).write_text("")
    motions, skeletons = find_inputs([takes])
    assert [p.name for p in motions] == ["02_01.amc", "02_02.amc", "07_01.amc", "x.bvh"]
    assert skeletons == []
    assert asf_for(takes / "07_01.amc", []).name == "07.asf"
    assert asf_for(takes / "07_01.amc", [takes / "02.asf"]).name == "02.asf"
    (takes / "09_01.amc").write_text("")
    with pytest.raises(UserError, match="09_01.amc: no ASF skeleton found"):
        asf_for(takes / "09_01.amc", [])
