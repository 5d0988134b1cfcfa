"""What a take's file leaves unsaid: its figure's units, a calibration lead-in, its frame rate."""

from pathlib import Path

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.mocap.cmu_index import IndexedTake, read_cmu_index, take_key
from vidpose.mocap.importer import ImportOptions, asf_for, source_frame_rate
from vidpose.mocap.lead_in import is_t_pose, lead_in_frames
from vidpose.mocap.units import DAZ_FIGURE, choose_scale, figure_scale


def _daz_rest(units_per_metre):
    """Names, parents and rest positions of the Daz figure's listed joints in some unit."""
    names, parents, rest = ["hip", "lCollar", "lThigh", "rThigh"], [-1, 0, 0, 0], [np.zeros(3)] * 4
    for joint, (parent, offset) in DAZ_FIGURE.offsets_m.items():
        if parent not in names:
            names.append(parent)
            parents.append(0)
            rest.append(np.zeros(3))
        names.append(joint)
        parents.append(names.index(parent))
        rest.append(rest[names.index(parent)] + np.asarray(offset) * units_per_metre)
    return names, np.array(parents), np.array(rest)


@pytest.mark.parametrize(("units_per_metre", "metres_per_unit"), [(100, 0.01), (100 / 128, 1.28)])
def test_the_daz_figure_is_known_at_any_scale(units_per_metre, metres_per_unit):
    figure, scale = figure_scale(*_daz_rest(units_per_metre))
    assert figure is DAZ_FIGURE and scale == pytest.approx(metres_per_unit)
    leg = 0.822 * units_per_metre
    assert choose_scale(leg, None, "f.bvh", (figure, scale))[0] == pytest.approx(metres_per_unit)
    # by the leg alone, beemsoft's 1/128 copy would read as a child in metres
    assert choose_scale(leg, None, "f.bvh")[0] in (0.01, 1.0)


def test_another_figure_is_not_the_daz_one():
    names, parents, rest = _daz_rest(100)
    rest[names.index("lFoot")] += [0, -3, 0]  # a longer shin
    assert figure_scale(names, parents, rest) == (None, 0.0)


def _standing(frames, arms_out=False):
    """A person (F, 17, 3), metres, z up, arms down or out sideways."""
    pose = np.array(
        [
            [0, 0, 0.9], [-0.13, 0, 0.9], [-0.13, 0, 0.47], [-0.13, 0, 0.05],
            [0.13, 0, 0.9], [0.13, 0, 0.47], [0.13, 0, 0.05], [0, 0, 1.15], [0, 0, 1.4],
            [0, 0, 1.52], [0, 0, 1.64], [0.15, 0, 1.4], [0.15, 0, 1.12], [0.15, 0, 0.87],
            [-0.15, 0, 1.4], [-0.15, 0, 1.12], [-0.15, 0, 0.87],
        ]
    )  # fmt: skip
    if arms_out:
        pose[[12, 13, 15, 16]] = [[0.43, 0, 1.4], [0.68, 0, 1.4], [-0.43, 0, 1.4], [-0.68, 0, 1.4]]
    return np.repeat(pose[None], frames, axis=0)


def _walk(frames, fps):
    poses = _standing(frames)
    poses[:, :, 1] += 1.2 * np.arange(frames)[:, None] / fps  # 1.2 m/s forward
    return poses


def test_a_t_pose_before_the_capture_is_dropped_with_its_blend():
    fps = 120.0
    assert is_t_pose(_standing(1, arms_out=True)[0]) and not is_t_pose(_standing(1)[0])
    walk = _walk(200, fps)
    jump = np.concatenate([_standing(1, arms_out=True), walk])  # cgspeed MB: one frame
    assert lead_in_frames(jump, fps) == 1
    t_pose = _standing(1, arms_out=True)[0]
    blend = [t_pose + (walk[0] - t_pose) * k / 4 for k in (1, 2, 3)]  # Daz: a fast blend
    assert lead_in_frames(np.concatenate([t_pose[None], blend, walk]), fps) == 4
    assert lead_in_frames(walk, fps) == 0  # no T-pose
    arms_out = _standing(200, arms_out=True) + (walk - _standing(200))
    assert lead_in_frames(arms_out, fps) == 0  # walking with the arms out: no lead-in


def test_cmu_index_reads_take_rates_and_refuses_what_it_is_not(tmp_path):
    index = tmp_path / "INDEX.tsv"
    index.write_text(
        "take\tsubject\tcapture_fps_per_CMU_listing\tactivity_groups\n"
        "01_01\t1\t120\tjump\n60_01\t60\t60\tdance;sports\n12_04\t12\t\t\n"
    )
    takes = read_cmu_index(index)
    assert takes["60_01"] == IndexedTake(60.0, ("dance", "sports"))
    assert takes["12_04"].capture_fps is None and takes["01_01"].activity_groups == ("jump",)
    assert take_key("1_1") == "01_01" and take_key("60_01_scaled") == "60_01"
    assert take_key("walk") is None
    index.write_text("take\tfps\n01_01\t120\n")
    with pytest.raises(UserError, match="INDEX.tsv: not a CMU take index .*capture_fps"):
        read_cmu_index(index)
    index.write_text("take\tcapture_fps_per_CMU_listing\n01_01\tfast\n")
    with pytest.raises(UserError, match=r"INDEX.tsv: line 2: .*'fast' is not a frame rate"):
        read_cmu_index(index)


def test_source_frame_rate_rules():
    index = {"60_01": IndexedTake(60.0, ()), "16_01": IndexedTake(120.0, ())}
    with_index = ImportOptions(cmu_index=index, source_fps=25.0)
    # cgspeed's 120-fps claim gives way to the index; a resampled 30-fps file keeps its rate
    assert source_frame_rate(Path("60_01.bvh"), 120.0, with_index)[0] == 60.0
    assert source_frame_rate(Path("16_01.bvh"), 30.0, with_index)[0] == 30.0
    assert source_frame_rate(Path("60_01.amc"), None, with_index)[0] == 60.0
    assert source_frame_rate(Path("07_01.bvh"), 120.0, with_index)[0] == 25.0  # not listed
    assert source_frame_rate(Path("07_01.amc"), None, ImportOptions())[0] == 120.0
    for fps in (1e-5, 1e300):
        with pytest.raises(UserError, match=r"a.bvh: a frame rate of .* \(Frame Time\).*--source"):
            source_frame_rate(Path("a.bvh"), fps, ImportOptions())


def test_an_amc_without_its_asf_takes_the_fallback(tmp_path):
    (tmp_path / "35_01.amc").write_text("")
    (tmp_path / "01.asf").write_text("")
    (tmp_path / "02.asf").write_text("")
    with pytest.raises(UserError, match="35_01.amc: no ASF skeleton found .*--asf FILE"):
        asf_for(tmp_path / "35_01.amc", [])
    assert asf_for(tmp_path / "35_01.amc", [], tmp_path / "02.asf").name == "02.asf"
    assert asf_for(tmp_path / "01_01.amc", [], tmp_path / "02.asf").name == "01.asf"


def test_a_broken_start_is_dropped_t_pose_or_not():
    fps = 120.0
    walk = _walk(200, fps)
    walk[1, 13] += [0.5, 0, 0]  # frame 1's wrist is 0.5 m off: 60 m/s there and back
    assert lead_in_frames(walk, fps) == 2
    walk[20, 13] += [0.5, 0, 0]  # a spike later than 0.1 s is the take's own business
    assert lead_in_frames(walk[2:], fps) == 0
