"""`vidpose prepare videopose3d` and `prepare add-2d`: VideoPose3D's files → sequence stores.

The fake files have the structure VideoPose3D's data/prepare_data_h36m.py and
prepare_data_2d_h36m_sh.py write: positions_3d {subject: {sequence: (F, 32, 3) float32}} in
world metres (no metadata); positions_2d {subject: {sequence: [4 × (F', J, 2|3) float32]}} in
pixels with metadata {num_joints, keypoints_symmetry} (the ground-truth and Stacked Hourglass
files have no layout_name; the Detectron file says "coco"). The Stacked Hourglass file keeps
its own sequence names (TakingPhoto, WalkingDog), lacks S11 Directions and covers sequences
the 3D file does not have.
"""

from __future__ import annotations

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.keypoints.layouts import to_h36m17
from vidpose.pose.camera import project
from vidpose.pose.skeleton import H36M_32_TO_17
from vidpose.sequences import open_sequences
from vidpose.sources.h36m_cameras import (
    CAMERA_IDS,
    PUBLIC_EXTRINSICS,
    PUBLIC_INTRINSICS,
    quaternion_to_matrix,
    world_to_camera,
)

SEQUENCES = {
    "S1": {"Directions 1": 30, "TakingPhoto": 25, "Walking 1": 16},
    "S9": {"WalkDog 1": 20},
    "S11": {"Directions": 12, "Directions 1": 14},
}
#: What the Stacked Hourglass file has beyond the 3D file (VideoPose3D ignores it).
SH_EXTRA = {"S1": {"Discussion 2": 9}, "S9": {"WalkingDog": 7}, "S5": {"Eating 1": 5}}
SIZES = {"54138969": (1000, 1002), "55011271": (1000, 1000), "58860488": (1000, 1000),
         "60457274": (1000, 1002)}  # fmt: skip
#: VideoPose3D's keypoints_symmetry ([left joints], [right joints]) of its three layouts.
SYMMETRY = {
    "h36m": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]],
    "sh": [[3, 4, 5, 13, 14, 15], [0, 1, 2, 10, 11, 12]],
    "coco": [[1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, 8, 10, 12, 14, 16]],
}
# A standing body, 17 joints in vidpose's order, metres: x right, y forward, z up; the leg
# (hip to knee to ankle) is 0.88 m.
BODY_17 = np.array(
    [[0.0, 0.0, 0.96], [-0.13, 0.0, 0.96], [-0.13, 0.02, 0.51], [-0.13, 0.0, 0.08],
     [0.13, 0.0, 0.96], [0.13, 0.02, 0.51], [0.13, 0.0, 0.08], [0.0, 0.0, 1.19],
     [0.0, 0.0, 1.44], [0.0, 0.0, 1.54], [0.0, -0.03, 1.68], [0.17, 0.0, 1.42],
     [0.2, 0.05, 1.16], [0.22, 0.1, 0.93], [-0.17, 0.0, 1.42], [-0.2, 0.05, 1.16],
     [-0.22, 0.1, 0.93]]
)  # fmt: skip
LEG_M = 0.88


def world_motion(frames: int, seed: int) -> np.ndarray:
    """(frames, 32, 3) world metres, z up: a standing body near the origin, drifting; the 15
    joints vidpose does not use are scattered around it."""
    rng = np.random.default_rng(seed)
    body = rng.normal(0.0, 0.15, (32, 3)) + np.array([0.0, 0.0, 1.0])
    body[H36M_32_TO_17] = BODY_17 + rng.normal(0.0, 0.01, (17, 3))
    drift = np.stack([np.linspace(0, 0.4, frames), np.zeros(frames), np.zeros(frames)], axis=-1)
    return (body[None] + drift[:, None]).astype(np.float32)


def save_2d(path, positions_2d, **metadata):
    np.savez_compressed(path, positions_2d=positions_2d, metadata=metadata)


def _views(rng, frames: int, joints: int, columns: int = 2) -> list[np.ndarray]:
    return [rng.uniform(0, 1000, (frames, joints, columns)).astype(np.float32) for _ in range(4)]


def _sh_name(name: str) -> str:
    """The Stacked Hourglass file's spelling (from its .h5 file names)."""
    for short, long in (("Photo", "TakingPhoto"), ("WalkDog", "WalkingDog")):
        if name.startswith(short):
            return long + name[len(short) :]
    return name


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vp3d")
    positions_3d, gt, sh, coco = {}, {}, {}, {}
    for seed, (subject, sequences) in enumerate(SEQUENCES.items()):
        positions_3d[subject], gt[subject], sh[subject], coco[subject] = {}, {}, {}, {}
        for name, frames in sequences.items():
            positions_3d[subject][name] = world_motion(frames, seed)
            rng = np.random.default_rng(frames)
            gt[subject][name] = _views(rng, frames + 3, 17)  # 2D is often a little longer
            coco[subject][name] = _views(rng, frames, 17, 3)
            if (subject, name) != ("S11", "Directions"):  # as VideoPose3D's SH files
                sh[subject][_sh_name(name)] = _views(rng, frames, 16)
    for subject, sequences in SH_EXTRA.items():
        for name, frames in sequences.items():
            sh.setdefault(subject, {})[name] = _views(np.random.default_rng(1), frames, 16)
    np.savez_compressed(folder / "data_3d_h36m.npz", positions_3d=positions_3d)
    save_2d(folder / "data_2d_h36m_gt.npz", gt, num_joints=17, keypoints_symmetry=SYMMETRY["h36m"])
    save_2d(
        folder / "data_2d_h36m_sh_pt_mpii.npz", sh, num_joints=16, keypoints_symmetry=SYMMETRY["sh"]
    )
    save_2d(
        folder / "data_2d_h36m_detectron.npz",
        coco,
        layout_name="coco",
        num_joints=17,
        keypoints_symmetry=SYMMETRY["coco"],
    )
    return folder, positions_3d, {"gt": gt, "sh": sh, "coco": coco}


def prepare(*argv) -> int:
    return main(["prepare", "videopose3d", *map(str, argv)])


def test_stores_hold_every_sequence_seen_by_every_camera(files, tmp_path):
    folder, positions_3d, _ = files
    out = tmp_path / "out"
    assert prepare(folder / "data_3d_h36m.npz", folder / "data_2d_h36m_gt.npz", out) == 0
    for split, subjects in (("train", ["S1"]), ("test", ["S9", "S11"])):
        store = open_sequences(out / split)
        assert store.meta["source"] == "videopose3d" and store.fps == 50.0
        assert store.from_mocap is False and store.sources_2d == ["gt"]
        expected = sorted(
            (subject, name.replace("TakingPhoto", "Photo"), camera, len(poses), *SIZES[camera])
            for subject in subjects
            for name, poses in positions_3d[subject].items()
            for camera in CAMERA_IDS
        )
        keys = ("subject", "sequence", "camera", "frames", "width", "height")
        got = sorted(tuple(getattr(info, key) for key in keys) for info in store.sequences)
        assert got == expected
        assert store.num_frames == sum(info.frames for info in store.sequences)
    assert prepare(folder / "data_3d_h36m.npz", out, "--subjects", "S1", "--overwrite") == 0
    assert sorted(p.name for p in out.iterdir()) == ["train"]  # the old test/ went with it
    train = open_sequences(out / "train")
    assert train.sources_2d == ["projected"]
    assert {(i.sequence, i.action) for i in train.sequences} == {
        ("Directions 1", "Directions"),
        ("Photo", "Photo"),
        ("Walking 1", "Walking"),
    }


def test_a_point_on_the_optical_axis_projects_to_the_principal_point(tmp_path):
    """Pelvis 4 m straight ahead of camera 55011271 of S5: root (0, 0, 4), pixel (cx, cy)."""
    quaternion, centre_mm = PUBLIC_EXTRINSICS["S5"][1]
    axis = quaternion_to_matrix(np.asarray(quaternion))[:, 2]  # camera z in world coordinates
    pelvis = np.asarray(centre_mm) / 1000 + 4.0 * axis
    poses = world_motion(6, 0).astype(np.float64)
    poses += pelvis - poses[:, :1]  # every frame's pelvis (joint 0) on the axis
    np.savez(tmp_path / "d3.npz", positions_3d={"S5": {"Eating": poses}})
    assert prepare(tmp_path / "d3.npz", tmp_path / "out", "--subjects", "S5") == 0
    store = open_sequences(tmp_path / "out" / "train")
    assert store.sources_2d == ["projected"]
    index = [info.camera for info in store.sequences].index("55011271")
    rows = store.slice(index)
    np.testing.assert_allclose(store.root[rows], np.tile([0, 0, 4.0], (6, 1)), atol=1e-5)
    fx, fy, cx, cy = PUBLIC_INTRINSICS["55011271"]
    np.testing.assert_allclose(store.keypoints()[rows, 0, :2], np.tile([cx, cy], (6, 1)), atol=1e-3)
    np.testing.assert_allclose(store.intrinsics[index], (fx, fy, cx, cy), rtol=1e-6)
    # root-relative, root kept, metres: distances from the camera centre are the world's
    camera_frame = store.poses3d[rows] + store.root[rows][:, None]
    world = poses[:, H36M_32_TO_17]
    distance = np.linalg.norm(world - np.asarray(centre_mm) / 1000, axis=-1)
    np.testing.assert_allclose(np.linalg.norm(camera_frame, axis=-1), distance, atol=1e-5)
    np.testing.assert_array_equal(store.poses3d[:, 0], 0.0)


def test_poses_are_the_world_motion_in_each_camera_frame(files, tmp_path):
    folder, positions_3d, _ = files
    assert prepare(folder / "data_3d_h36m.npz", tmp_path / "out") == 0
    store = open_sequences(tmp_path / "out" / "train")
    np.testing.assert_array_equal(store.poses3d[:, 0], 0.0)
    for index, info in enumerate(store.sequences):
        name = "TakingPhoto" if info.sequence == "Photo" else info.sequence
        world = positions_3d[info.subject][name][:, H36M_32_TO_17]
        expected = world_to_camera(world, info.subject, CAMERA_IDS.index(info.camera))
        rows = store.slice(index)
        np.testing.assert_allclose(store.root[rows], expected[:, 0], atol=1e-5)
        np.testing.assert_allclose(store.poses3d[rows], expected - expected[:, :1], atol=1e-5)
        assert np.all((expected[..., 2] > 3.0) & (expected[..., 2] < 8.0))  # metres, in front
        projected = project(expected, PUBLIC_INTRINSICS[info.camera])
        np.testing.assert_allclose(store.keypoints("projected")[rows, :, :2], projected, atol=1e-2)


def test_named_2d_sources_layouts_and_confidence(files, tmp_path):
    folder, _, given = files
    out = tmp_path / "out"
    argv = ["--2d", f"sh={folder / 'data_2d_h36m_sh_pt_mpii.npz'}",
            "--2d", f"det={folder / 'data_2d_h36m_detectron.npz'}"]  # fmt: skip
    assert prepare(folder / "data_3d_h36m.npz", folder / "data_2d_h36m_gt.npz", out, *argv) == 0
    store = open_sequences(out / "test")
    assert store.sources_2d == ["gt", "sh", "det"] and store.default_2d == "gt"
    assert [store.layout(n) for n in store.sources_2d] == ["h36m17", "mpii16", "coco17"]
    sources = store.meta["sources_2d"]
    assert [sources[n]["has_confidence"] for n in ("gt", "sh", "det")] == [False, False, True]
    assert sources["det"]["layout_from"] == "metadata layout_name 'coco'"
    assert sources["sh"]["path"] == str((folder / "data_2d_h36m_sh_pt_mpii.npz").resolve())
    for index, info in enumerate(store.sequences):
        rows, camera = store.slice(index), CAMERA_IDS.index(info.camera)
        gt = given["gt"][info.subject][info.sequence][camera][: info.frames]
        np.testing.assert_array_equal(store.keypoints("gt")[rows, :, :2], gt)
        np.testing.assert_array_equal(store.keypoints("gt")[rows, :, 2], 1.0)
        det = given["coco"][info.subject][info.sequence][camera]
        np.testing.assert_array_equal(store.keypoints_raw("det")[rows], det)
        np.testing.assert_allclose(store.keypoints("det")[rows], to_h36m17(det, "coco17"))
    # the SH file lacks S11 Directions: kept with zero confidence, left out of evaluation
    lacking = [i for i, info in enumerate(store.sequences) if info.sequence == "Directions"]
    assert store.missing_2d("sh") == lacking and len(lacking) == 4
    np.testing.assert_array_equal(store.keypoints_raw("sh")[store.slice(lacking[0])], 0.0)
    directions = [i for i, info in enumerate(store.sequences) if info.subject == "S11"
                  and info.sequence == "Directions"]  # fmt: skip
    for name in ("gt", "det", "sh"):
        kept = store.evaluation_indices(name)
        assert set(kept) == set(range(len(store))) - set(directions)


def test_add_2d_attaches_a_file_to_both_splits(files, tmp_path, capsys):
    folder, _, given = files
    out = tmp_path / "out"
    assert prepare(folder / "data_3d_h36m.npz", folder / "data_2d_h36m_gt.npz", out) == 0
    sh = folder / "data_2d_h36m_sh_pt_mpii.npz"
    assert main(["prepare", "add-2d", str(out), f"sh={sh}", "--default-2d", "sh"]) == 0
    assert "has no S11/Directions camera 54138969" in capsys.readouterr().err
    for split in ("train", "test"):
        store = open_sequences(out / split)
        assert store.sources_2d == ["gt", "sh"] and store.default_2d == "sh"
        assert store.meta["sources_2d"]["sh"]["path"] == str(sh.resolve())
        assert store.meta["sources_2d"]["sh"]["layout_from"] == "16 joints"
        info = store.sequences[0]
        views = given["sh"][info.subject][_sh_name(info.sequence)]
        expected = views[CAMERA_IDS.index(info.camera)]
        np.testing.assert_array_equal(store.keypoints_raw()[store.slice(0), :, :2], expected)
    assert main(["prepare", "add-2d", str(out), f"sh={sh}"]) == 2
    assert "already has a 2D source 'sh' (use --replace)" in capsys.readouterr().err
    assert main(["prepare", "add-2d", str(out), f"sh={sh}", "--replace"]) == 0


def _bad_2d(files, tmp_path, change):
    """A copy of the gt file damaged by ``change(positions_2d)``; returns its path."""
    gt = {s: {a: list(v) for a, v in seqs.items()} for s, seqs in files[2]["gt"].items()}
    metadata = change(gt) or {"layout_name": "h36m", "num_joints": 17}
    path = tmp_path / "bad_2d.npz"
    save_2d(path, gt, **metadata)
    return path


def _nan_in_test_split(gt):
    gt["S9"]["WalkDog 1"][2] = gt["S9"]["WalkDog 1"][2].copy()
    gt["S9"]["WalkDog 1"][2][5, 3, 0] = np.nan


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda gt: gt.pop("S9") and None, "no subject S9 (the 3D file has it)"),
        (lambda gt: gt["S1"].update({"Walking 1": gt["S1"]["Walking 1"][:3]}),
         "S1/Walking 1: expected a list of 4 camera arrays"),
        (lambda gt: gt["S1"].update({"Walking 1": [np.zeros((16, 16, 2))] * 4}),
         "S1/Walking 1 camera 54138969: shape (16, 16, 2), expected (frames, 17, 2 or 3)"),
        (lambda gt: gt["S1"].update({"Walking 1": [np.zeros((15, 17, 2))] * 4}),
         "S1/Walking 1 camera 54138969: 15 frames, fewer than the 3D poses' 16"),
        (_nan_in_test_split, "S9/WalkDog 1 camera 58860488: NaN or inf in the 2D keypoints"),
        (lambda gt: gt["S1"].update(Nonsense=[np.zeros((5, 17, 2))] * 4),
         "S1/Nonsense is not one of the 15 actions"),
        (lambda gt: {"num_joints": 17, "keypoints_symmetry": [[1], [2]]},
         "cannot tell the keypoint layout (17 joints"),
        (lambda gt: {"num_joints": 18}, "cannot tell the keypoint layout (18 joints"),
        (lambda gt: {"layout_name": "humaneva15"}, "unknown keypoint layout 'humaneva15'"),
        (lambda gt: {"layout_name": "h36m", "num_joints": 16},
         "metadata num_joints 16 does not fit layout h36m17"),
    ],
)  # fmt: skip
def test_2d_files_that_do_not_fit_are_one_line_errors(files, tmp_path, capsys, change, message):
    bad = _bad_2d(files, tmp_path, change)
    out = tmp_path / "out"
    assert prepare(files[0] / "data_3d_h36m.npz", bad, out) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert str(bad) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad_2d.npz"]  # nothing written


def test_zero_confidence_is_fine_and_layout_can_be_given(files, tmp_path):
    def change(gt):
        views = gt["S1"]["Walking 1"]
        views[0] = np.concatenate([views[0], np.zeros((*views[0].shape[:2], 1))], -1)
        return {"num_joints": 17}

    bad = _bad_2d(files, tmp_path, change)
    argv = ["--2d", f"mine={bad}", "--layout", "mine=h36m17"]
    assert prepare(files[0] / "data_3d_h36m.npz", tmp_path / "out", *argv) == 0
    store = open_sequences(tmp_path / "out" / "train")
    index = [(i.sequence, i.camera) for i in store.sequences].index(("Walking 1", "54138969"))
    np.testing.assert_array_equal(store.keypoints("mine")[store.slice(index), :, 2], 0.0)
    assert store.meta["sources_2d"]["mine"]["has_confidence"] is True


def test_nan_in_3d_is_an_error(files, tmp_path, capsys):
    poses = world_motion(10, 0)
    poses[4, 7, 1] = np.nan
    np.savez(tmp_path / "d3.npz", positions_3d={"S1": {"Walking": poses}})
    assert prepare(tmp_path / "d3.npz", tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert "S1/Walking: NaN or inf in the 3D positions (frame 4)" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b"nonsense"), "not an .npz file (not a NumPy archive)"),
        (lambda p: p.write_text("S1,Walking,0.1,0.2\n"), "not an .npz file (not a NumPy archive)"),
        (lambda p: np.savez(p, other=np.zeros(3)), "no 'positions_3d' array"),
        (lambda p: np.savez(p, positions_3d=np.zeros(3)),
         "'positions_3d' is an array of shape (3,) (float64), not VideoPose3D's dictionary of "
         "subjects"),
        (lambda p: np.savez(p, positions_3d=["S1"]),
         "'positions_3d' is an array of shape (1,) (<U2), not VideoPose3D's dictionary"),
        (lambda p: np.savez(p, positions_3d=[{"S1": {}}]),
         "'positions_3d' is an array of shape (1,) (object), not VideoPose3D's dictionary"),
        (lambda p: np.savez(p, positions_3d={"S1": {}}, metadata=[17, 3]),
         "'metadata' is an array of shape (2,) (int64), not VideoPose3D's dictionary of metadata"),
        (lambda p: np.savez(p, positions_3d=[1, 2]), "'positions_3d' is an array of shape (2,)"),
        (lambda p: np.savez(p, positions_3d={"S1": {}}), "no sequence of the 15 actions"),
        (lambda p: np.savez(p, positions_3d={"S1": {"Walking": np.zeros((5, 30, 3))}}),
         "S1/Walking: shape (5, 30, 3), expected (frames, 32, 3)"),
    ],
)  # fmt: skip
def test_bad_3d_files_are_one_line_errors_with_exit_2(tmp_path, capsys, make, message):
    path = tmp_path / "d3.npz"
    make(path)
    assert prepare(path, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and err[-1].startswith("vidpose prepare: error:"), err
    assert "Traceback" not in "".join(err) and "allow_pickle" not in "".join(err)
    assert not (tmp_path / "out").exists()


def test_bad_arguments_are_one_line_errors_with_exit_2(files, tmp_path, capsys):
    d3 = files[0] / "data_3d_h36m.npz"
    gt = files[0] / "data_2d_h36m_gt.npz"
    det = files[0] / "data_2d_h36m_detectron.npz"
    for argv, message in (
        ([d3, d3, d3, tmp_path / "out"], "expected DATA_3D.npz [DATA_2D.npz] OUT"),
        ([d3, tmp_path / "out", "--subjects", "S7"], "no subject S7 in positions_3d"),
        ([d3, tmp_path / "out", "--subjects", "bob"], "unknown subject name 'bob'"),
        ([d3, tmp_path / "out", "--cameras", "1"], "unknown camera 1"),
        ([d3, gt, tmp_path / "out", "--2d", f"gt={gt}"], "two 2D sources named 'gt'"),
        ([d3, gt, tmp_path / "out", "--layout", "cpn=coco17"], "no 2D source named 'cpn'"),
        ([d3, gt, tmp_path / "out", "--2d", f"det={det}", "--layout", "det=h36m17"],
         "metadata says layout coco17, but h36m17 was given"),
        ([d3, gt, tmp_path / "out", "--default-2d", "cpn"], "no 2D source named 'cpn'"),
        ([d3, tmp_path / "out", "--2d", f"Bad={gt}"], "2D source name 'Bad'"),
        ([d3, tmp_path], "already exists"),
    ):  # fmt: skip
        assert prepare(*argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("subject", sorted(PUBLIC_EXTRINSICS))
def test_every_camera_sees_the_capture_area_upright(subject):
    """The public extrinsics put the capture area (near the world origin) ≈ 5 m in front of
    every camera, inside its image, with the world's up (z) pointing up in the image (-y)."""
    head, feet = np.array([0.0, 0.0, 1.7]), np.array([0.0, 0.0, 0.1])
    for index, camera in enumerate(CAMERA_IDS):
        head_cam, feet_cam = world_to_camera(np.stack([head, feet]), subject, index)
        assert 3.0 < feet_cam[2] < 7.0 and 3.0 < head_cam[2] < 7.0
        (u_head, v_head), (u_feet, v_feet) = project(
            np.stack([head_cam, feet_cam]), PUBLIC_INTRINSICS[camera]
        )
        assert 0 < u_head < 1000 and 0 < u_feet < 1000 and 0 < v_head < v_feet < 1002
        assert abs(u_head - u_feet) < 0.1 * (v_feet - v_head)  # upright, not rolled


# -- files as VideoPose3D's own scripts write them ------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "layout", "how"),
    [
        ({"num_joints": 17, "keypoints_symmetry": SYMMETRY["h36m"]}, "h36m17",
         "17 joints, no layout_name, keypoints_symmetry of h36m17"),
        ({"num_joints": 17}, "h36m17",
         "17 joints and no layout_name: Human3.6M's order, as VideoPose3D's gt file"),
        ({"num_joints": 17, "keypoints_symmetry": SYMMETRY["coco"]}, "coco17",
         "17 joints, no layout_name, keypoints_symmetry of coco17"),
        (None, "h36m17", "17 joints and no layout_name"),
    ],
)  # fmt: skip
def test_a_17_joint_file_without_layout_name_is_human36m_17_and_the_summary_says_so(
    files, tmp_path, capsys, metadata, layout, how
):
    """VideoPose3D's prepare_data_h36m.py writes data_2d_h36m_gt.npz with metadata
    {num_joints: 17, keypoints_symmetry} and no layout_name."""
    gt = files[2]["gt"]
    path = tmp_path / "data_2d_h36m_gt.npz"
    if metadata is None:
        np.savez_compressed(path, positions_2d=gt)
    else:
        save_2d(path, gt, **metadata)
    out = tmp_path / "out"
    assert prepare(files[0] / "data_3d_h36m.npz", path, out) == 0
    stdout = capsys.readouterr().out
    assert f"2D sources: gt ({layout}: {how}" in stdout
    store = open_sequences(out / "train")
    assert store.layout("gt") == layout and how in store.meta["sources_2d"]["gt"]["layout_from"]
    info = store.sequences[0]
    expected = gt[info.subject][info.sequence][CAMERA_IDS.index(info.camera)][: info.frames]
    np.testing.assert_array_equal(store.keypoints_raw("gt")[store.slice(0), :, :2], expected)


def _one_note(err: str) -> str:
    notes = [line for line in err.splitlines() if line.startswith("vidpose prepare: note:")]
    assert len(notes) == 1, err
    return notes[0]


def test_what_a_2d_file_has_beyond_the_3d_file_is_left_out_in_one_note(files, tmp_path, capsys):
    """Stacked Hourglass covers 209 sequences, the 3D file fewer; VideoPose3D ignores the rest."""
    folder, _, _ = files
    sh = folder / "data_2d_h36m_sh_pt_mpii.npz"
    out = tmp_path / "out"
    assert prepare(folder / "data_3d_h36m.npz", out, "--2d", f"sh={sh}") == 0
    note = _one_note(capsys.readouterr().err)
    left_out = ["S1/Discussion 2", "S5 (1 sequence)", "S9/WalkDog"]
    assert note == (
        f"vidpose prepare: note: {sh}: left out 3 parts the 3D file does not have, as "
        f"VideoPose3D does: {', '.join(left_out)}"
    )
    for split, subjects in (("train", {"S1"}), ("test", {"S9", "S11"})):
        store = open_sequences(out / split)
        assert {info.subject for info in store.sequences} == subjects
        assert {(i.subject, i.sequence) for i in store.sequences}.isdisjoint(
            {("S1", "Discussion 2"), ("S9", "WalkDog")}
        )
        assert store.meta["sources_2d"]["sh"]["not_in_3d"] == left_out
    assert main(["prepare", "add-2d", str(out), f"again={sh}"]) == 0
    assert "left out 3 parts" in _one_note(capsys.readouterr().err)
    assert open_sequences(out / "test").meta["sources_2d"]["again"]["not_in_3d"] == left_out


def test_a_3d_file_in_millimetres_is_recognised_by_its_legs_and_converted(files, tmp_path, capsys):
    folder, positions_3d, _ = files
    millimetres = {s: {k: v * 1000 for k, v in seqs.items()} for s, seqs in positions_3d.items()}
    np.savez_compressed(tmp_path / "mm.npz", positions_3d=millimetres)
    assert prepare(folder / "data_3d_h36m.npz", tmp_path / "metres") == 0
    assert "3D units: metres (leg 0.88" in capsys.readouterr().out
    assert prepare(tmp_path / "mm.npz", tmp_path / "mm") == 0
    out, err = capsys.readouterr()
    units = "millimetres (leg 883.5 units = 0.883 m)"
    assert f"3D units: {units}" in out
    note = f"{tmp_path / 'mm.npz'}: 3D positions in {units}; converted to metres"
    assert _one_note(err) == f"vidpose prepare: note: {note}"
    assert prepare(tmp_path / "mm.npz", tmp_path / "given", "--scale", "0.001") == 0
    assert "3D units: 0.001 m per unit (--scale)" in capsys.readouterr().out
    for split in ("train", "test"):
        metres = open_sequences(tmp_path / "metres" / split)
        for name in ("mm", "given"):
            store = open_sequences(tmp_path / name / split)
            np.testing.assert_allclose(store.poses3d, metres.poses3d, atol=1e-5)
            np.testing.assert_allclose(store.root, metres.root, atol=1e-4)
            np.testing.assert_allclose(store.keypoints(), metres.keypoints(), atol=1e-2)
        assert store.meta["videopose3d"]["metres_per_unit_3d"] == 0.001
    legs = np.linalg.norm(np.diff(metres.poses3d[:, [1, 2, 3]], axis=1), axis=-1).sum(-1)
    np.testing.assert_allclose(legs, LEG_M, atol=0.05)  # metres, whatever the file's unit


def test_a_3d_file_whose_legs_fit_no_unit_stays_in_metres_with_a_warning(tmp_path, capsys):
    poses = world_motion(6, 0) * 1.6  # a 1.4 m leg: no person, in no unit
    np.savez(tmp_path / "d3.npz", positions_3d={"S1": {"Walking": poses}})
    assert prepare(tmp_path / "d3.npz", tmp_path / "out") == 0
    out, err = capsys.readouterr()
    assert "3D units: metres, VideoPose3D's unit (the leg, 1.397, fits no unit)" in out
    assert f"warning: {tmp_path / 'd3.npz'}: the leg (hip to ankle) is 1.397 units" in err
    assert prepare(tmp_path / "d3.npz", tmp_path / "bad", "--scale", "0") == 2
    assert "--scale 0: must be a positive number" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (["h36m", "coco"], "'metadata' is an array of shape (2,) (<U4), not VideoPose3D's"),
        ("h36m", "'metadata' is an array of shape () (<U4), not VideoPose3D's dictionary"),
    ],
)
def test_2d_metadata_that_is_not_a_dictionary_says_so(files, tmp_path, capsys, metadata, message):
    path = tmp_path / "bad_2d.npz"
    np.savez_compressed(path, positions_2d=files[2]["gt"], metadata=metadata)
    assert prepare(files[0] / "data_3d_h36m.npz", path, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"vidpose prepare: error: {path}: {message}")
    assert err.endswith("not VideoPose3D's dictionary of metadata") and "\n" not in err
    assert not (tmp_path / "out").exists()
