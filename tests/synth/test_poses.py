"""``vidpose synth OUT --poses-only``: sequence stores from motions seen by virtual cameras."""

from __future__ import annotations

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.infra.errors import UserError
from vidpose.pose.skeleton import TEST_SUBJECTS, TRAIN_SUBJECTS, bone_lengths
from vidpose.sequences import open_sequences
from vidpose.synth.body import H36M_BONES_M, make_subject, sample_bones
from vidpose.synth.motion import ACTIONS, action_motion, takes_per_action
from vidpose.synth.plan import seed_sequence
from vidpose.synth.poses import generate_pose_sequences, procedural_takes
from vidpose.synth.virtual_cameras import CameraRanges, sample_cameras

FAST = ["--poses-only", "--preset", "tiny", "--seconds", "0.2", "--views", "3"]


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    out = tmp_path_factory.mktemp("poses") / "out"
    assert main(["synth", str(out), *FAST, "--seed", "4"]) == 0
    return out, open_sequences(out / "train"), open_sequences(out / "test")


def test_every_take_is_seen_by_every_view(stores):
    _, train, test = stores
    for store, subjects in ((train, TRAIN_SUBJECTS), (test, TEST_SUBJECTS)):
        assert store.subjects == sorted(subjects) and store.actions == sorted(ACTIONS)
        takes = sum(takes_per_action(1).values())  # tiny: one take of a weight-1 action
        assert len(store) == len(subjects) * takes * 3
        assert all(info.frames == 10 for info in store.sequences)
        assert {(i.width, i.height) for i in store.sequences} == {(1000, 1000)}
        assert store.from_mocap is True and store.meta["source"] == "synth-poses"
        assert store.sources_2d == ["gt"] and store.layout() == "h36m17"
        assert store.meta["sources_2d"]["gt"]["has_confidence"] is False
        assert store.meta["synth"]["seed"] == 4 and store.meta["synth"]["views_per_take"] == 3


def test_2d_is_the_pixel_projection_of_the_camera_frame_joints(stores):
    _, train, _ = stores
    np.testing.assert_array_equal(train.poses3d[:, 0], 0.0)
    camera_frame = train.poses3d.astype(np.float64) + train.root[:, None]
    assert camera_frame[..., 2].min() > 1.0  # metres in front of every camera
    fx, fy, cx, cy = np.repeat(train.intrinsics, 10, axis=0).T[:, :, None]
    x, y, z = np.moveaxis(camera_frame, -1, 0)
    keypoints = train.keypoints()
    np.testing.assert_allclose(keypoints[..., 0], fx * x / z + cx, atol=2e-3)
    np.testing.assert_allclose(keypoints[..., 1], fy * y / z + cy, atol=2e-3)
    np.testing.assert_array_equal(keypoints[..., 2], 1.0)


def test_views_are_rigid_moves_of_the_take_motion(stores):
    """Each view's bone lengths are the world motion's; views differ in where they look from."""
    _, train, _ = stores
    take = procedural_takes(0.2, 1)[0]
    world = take.world(4)
    views = [i for i, info in enumerate(train.sequences) if info.sequence == take.sequence
             and info.subject == take.subject]  # fmt: skip
    assert len(views) == 3
    for index in views:
        np.testing.assert_allclose(
            bone_lengths(train.poses3d[train.slice(index)]), bone_lengths(world), atol=1e-5
        )
    roots = [train.root[train.slice(index)][0] for index in views]
    assert np.linalg.norm(roots[0] - roots[1]) > 0.01


def test_same_seed_same_stores_other_seed_other_cameras(stores, tmp_path):
    out, train, _ = stores
    again = generate_pose_sequences(tmp_path / "a", preset="tiny", seed=4, seconds=0.2, views=3)
    np.testing.assert_array_equal(again[0].poses3d, train.poses3d)
    np.testing.assert_array_equal(again[0].keypoints(), train.keypoints())
    np.testing.assert_array_equal(again[0].intrinsics, train.intrinsics)
    other = generate_pose_sequences(tmp_path / "b", preset="tiny", seed=5, seconds=0.2, views=3)
    assert not np.allclose(other[0].root, train.root)


def test_sampled_cameras_respect_the_ranges_and_aim_at_the_take():
    ranges = CameraRanges(
        height_m=(2.0, 3.0), distance_m=(7.0, 9.0), focal_px=(800, 900), tilt_deg=(20, 30)
    )
    rng = np.random.default_rng(0)
    cameras = sample_cameras(rng, 200, np.array([1.0, -2.0]), 0.5, ranges)
    heights = cameras.centres[:, 2]
    distances = np.linalg.norm(cameras.centres[:, :2] - [1.0, -2.0], axis=-1)
    assert heights.min() >= 2.0 and heights.max() <= 3.0
    assert distances.min() >= 7.0 and distances.max() <= 9.0
    assert cameras.intrinsics[:, 0].min() >= 800 and cameras.intrinsics[:, 0].max() <= 900
    forward = cameras.rotations[:, 2]  # optical axes in world coordinates
    tilt = np.degrees(np.arcsin(-forward[:, 2]))
    assert tilt.min() >= 20 - 1e-9 and tilt.max() <= 30 + 1e-9
    for rotation in cameras.rotations:  # proper rotations
        np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(rotation) == pytest.approx(1.0)
    # each camera faces the take: the centre lies ahead, within the aim jitter sideways
    to_centre = np.append([1.0, -2.0], 0) - cameras.centres
    to_centre[:, 2] = 0
    ahead = np.einsum("nk,nk->n", to_centre, forward)
    assert ahead.min() > 0
    # the world's up is up in every image (v decreases), and the take is in front
    head_feet = np.array([[[1.0, -2.0, 1.7], [1.0, -2.0, 0.1]]])
    in_camera = cameras.to_camera(head_feet)  # (200, 1, 2, 3)
    assert in_camera[..., 2].min() > 5.0
    v = cameras.project(in_camera)[:, 0, :, 1]
    assert np.all(v[:, 0] < v[:, 1])
    # a point on a camera's optical axis projects to its principal point
    on_axis = cameras.centres + 4.0 * forward
    in_camera = np.einsum("nij,nj->ni", cameras.rotations, on_axis - cameras.centres)
    np.testing.assert_allclose(in_camera, np.tile([0, 0, 4.0], (200, 1)), atol=1e-12)
    pixels = cameras.project(in_camera[:, None, None, :])[:, 0, 0]
    np.testing.assert_allclose(pixels, cameras.intrinsics[:, 2:], atol=1e-9)
    # and to_camera moves a world point into every camera's frame
    point = np.array([[[0.3, -1.0, 1.2]]])
    expected = np.einsum("nij,nj->ni", cameras.rotations, point[0] - cameras.centres)
    np.testing.assert_allclose(cameras.to_camera(point)[:, 0, 0], expected, atol=1e-12)


def test_motion_file_with_poses_only(tmp_path):
    rng = np.random.default_rng(0)
    walk = rng.normal(0, 0.2, (30, 17, 3)) + [0, 0, 1.0]
    jump = rng.normal(0, 0.2, (20, 17, 3)) + [0.5, 0, 1.0]
    np.savez(tmp_path / "m.npz", positions_walk=walk, subject_walk="S1", action_walk="walk",
             positions_jump=jump, subject_jump="S9", action_jump="jump")  # fmt: skip
    argv = ["synth", str(tmp_path / "out"), "--poses-only", "--motion", str(tmp_path / "m.npz")]
    assert main([*argv, "--views", "5"]) == 0
    train, test = (open_sequences(tmp_path / "out" / s) for s in ("train", "test"))
    assert [(i.subject, i.action, i.frames) for i in train.sequences] == [("S1", "walk", 30)] * 5
    assert [(i.subject, i.action, i.frames) for i in test.sequences] == [("S9", "jump", 20)] * 5
    np.testing.assert_allclose(
        bone_lengths(test.poses3d[test.slice(2)]), bone_lengths(jump), atol=1e-5
    )
    assert train.from_mocap and train.meta["synth"]["motion_file"].endswith("m.npz")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--size", "64"], "--size is for rendering, not with --poses-only"),
        (["--camera-tilt", "80", "--camera-height", "0.3"], "sees a joint behind or within"),
        (["--camera-distance", "0.1,6"], "camera distance_m range (0.1, 6) must lie in"),
        (["--seconds", "0"], "seconds = 0 is out of range"),
        (["--actions", "Walking,Flying"], "actions: Flying unknown; the built-in ones are Walking"),
        (["--motion", "m.npz", "--actions", "Walking"], "actions cannot be chosen with a motion"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path, capsys, extra, message):
    assert main(["synth", str(tmp_path / "out"), *FAST, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []


def test_no_action_given_is_refused(tmp_path, capsys):
    # On the command line an empty list is a usage error; called directly, the library's.
    assert _exit_code(["synth", str(tmp_path / "o"), *FAST, "--actions", " , "]) == 2
    assert "' , ' names no action" in capsys.readouterr().err
    with pytest.raises(UserError, match="actions: none given; the built-in ones are Walking"):
        generate_pose_sequences(tmp_path / "o", actions=())
    assert list(tmp_path.iterdir()) == []


def test_usage_errors(tmp_path, capsys):
    assert _exit_code(["synth", str(tmp_path / "o"), "--camera-tilt", "5"]) == 2
    assert "--camera-tilt needs --poses-only" in capsys.readouterr().err
    assert _exit_code(["synth", str(tmp_path / "o"), *FAST, "--camera-height", "2,1"]) == 2
    assert "MIN is larger than MAX" in capsys.readouterr().err
    motion = ["--motion", str(tmp_path / "m.npz")]
    assert _exit_code(["synth", str(tmp_path / "o"), *FAST, *motion]) == 2
    assert "cannot be set with a motion file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_actions_chooses_the_built_in_actions_performed(tmp_path):
    out = tmp_path / "two"
    assert main(["synth", str(out), *FAST, "--actions", "Sitting, Balancing"]) == 0
    for split in ("train", "test"):
        assert set(open_sequences(out / split).actions) == {"Sitting", "Balancing"}


def test_existing_output_needs_overwrite(stores, capsys):
    out, train, _ = stores
    assert main(["synth", str(out), *FAST, "--seed", "4"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["synth", str(out), *FAST, "--seed", "4", "--overwrite"]) == 0


def test_each_take_has_its_own_body_and_the_rendered_synths_motion():
    """A take is the rendered synth's take (same random stream) performed by a body drawn for
    the take within Human3.6M's range, so two takes of one subject differ in proportions."""
    from vidpose.synth.generate import take_motion
    from vidpose.synth.plan import procedural_units, resolve_preset

    takes = procedural_takes(6.0, 2)
    walks = [t for t in takes if t.subject == "S1" and t.action == "Walking"]
    assert len(walks) == takes_per_action(2)["Walking"] == 4
    bodies = [bone_lengths(t.world(7)[:1])[0] for t in walks[:2]]
    assert np.abs(bodies[0] - bodies[1]).max() > 0.002
    for take in walks[:2]:
        bones = sample_bones(np.random.default_rng(seed_sequence(7, 6, *take.key)))
        for key, (_, low, high) in H36M_BONES_M.items():
            assert low <= bones[key] <= high
        rng = np.random.default_rng(seed_sequence(7, 1, *take.key))
        expected = action_motion("Walking", make_subject("S1", bones), take.num_frames, rng)
        np.testing.assert_array_equal(take.world(7), expected)
    unit = procedural_units(resolve_preset("small"), 7)["test"][5]
    take = next(t for t in takes if (t.subject, t.sequence) == (unit.subject, unit.sequence))
    rng = np.random.default_rng(seed_sequence(7, 1, *take.key))
    same_body = action_motion(unit.action, make_subject(unit.subject), take.num_frames, rng)
    np.testing.assert_array_equal(same_body, take_motion(unit))
