"""The camera mix of ``synth --poses-only --cameras mix``: kinds, shares, aim, pan, the store."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vidpose.cli import main
from vidpose.infra.errors import UserError
from vidpose.sequences import open_sequences
from vidpose.synth.camera_mix import CAMERA_KINDS, CameraKind, CameraMix
from vidpose.synth.virtual_cameras import smooth_track

CENTRE = np.array([1.0, -2.0])


def _only(kind: CameraKind) -> CameraMix:
    return CameraMix({"only": replace(kind, share=1.0)})


def _straight(**changes) -> CameraKind:
    """A kind that looks straight at the point 0.8 m above the take's centre."""
    values = dict(
        share=1.0,
        image_sizes=((640, 480),),
        focal_per_side=(800 / 640, 800 / 640),
        height_m=(1.5, 2.5),
        distance_m=(3.0, 6.0),
        aim_height_m=(0.8, 0.8),
        roll_deg=0.0,
    )
    return CameraKind(**{**values, **changes})


def test_the_documented_shares_sum_to_one_and_every_kind_is_drawn_by_its_share():
    assert sum(kind.share for kind in CAMERA_KINDS.values()) == pytest.approx(1.0)
    CameraMix().check()
    mix = CameraMix(
        {
            "a": replace(CAMERA_KINDS["h36m"], share=0.25, image_sizes=((100, 100),)),
            "b": replace(CAMERA_KINDS["h36m"], share=0.75, image_sizes=((300, 100),)),
        }
    )
    cameras = mix.sample(np.random.default_rng(0), 4000, CENTRE, 0.5)
    share_a = np.mean(cameras.image_sizes[:, 0] == 100)
    assert abs(share_a - 0.25) < 0.03
    with pytest.raises(UserError, match="shares must sum to 1"):
        CameraMix({"a": replace(CAMERA_KINDS["h36m"], share=0.5)}).check()


def test_the_h36m_kind_keeps_design_section_11():
    cameras = _only(CAMERA_KINDS["h36m"]).sample(np.random.default_rng(1), 300, CENTRE, 0.5)
    heights = cameras.centres[:, 2]
    assert heights.min() >= 1.46 and heights.max() <= 1.63
    distances = np.linalg.norm(cameras.centres[:, :2] - CENTRE, axis=-1)
    assert distances.min() >= 4.3 and distances.max() <= 6.1
    tilt = np.degrees(np.arcsin(-cameras.rotations[:, 2, 2]))
    assert tilt.min() >= 10.5 - 1e-9 and tilt.max() <= 16.0 + 1e-9
    focal_per_width = cameras.intrinsics[:, 0] / cameras.image_sizes.max(1)
    assert focal_per_width.min() >= 1.145 and focal_per_width.max() <= 1.15
    assert {tuple(size) for size in cameras.image_sizes} == {(1000, 1000), (1000, 1002)}
    assert not cameras.follow.any()


def test_an_aimed_camera_puts_its_aim_point_on_the_principal_point():
    cameras = _only(_straight()).sample(np.random.default_rng(2), 50, CENTRE, 0.5)
    aim = np.array([[[CENTRE[0], CENTRE[1], 0.8]]])
    pixels = cameras.project(cameras.to_camera(aim))[:, 0, 0]
    np.testing.assert_allclose(pixels, cameras.intrinsics[:, 2:], atol=1e-9)
    np.testing.assert_allclose(cameras.intrinsics[:, 0], 800.0)
    # principal points at the image centre within a few pixels
    offsets = cameras.intrinsics[:, 2:] - [319.5, 239.5]
    assert np.abs(offsets).max() < 0.004 * 640 * 5


def test_offcentre_turns_at_most_that_share_of_the_half_field_of_view():
    kind = _straight(offcentre=0.9)
    cameras = _only(kind).sample(np.random.default_rng(3), 400, CENTRE, 0.5)
    aim = np.array([[[CENTRE[0], CENTRE[1], 0.8]]])
    u = cameras.project(cameras.to_camera(aim))[:, 0, 0, 0] - cameras.intrinsics[:, 2]
    # a turn of a fraction t of the half field of view moves the point by tan(t·fov/2)·f
    limit = np.tan(0.9 * np.arctan2(320, 800)) * 800
    assert np.abs(u).max() <= limit + 1e-6 and np.abs(u).max() > 0.8 * limit


def test_a_following_camera_keeps_a_straight_walk_where_it_aimed():
    cameras = _only(_straight(follow=1.0)).sample(np.random.default_rng(4), 20, CENTRE, 3.0)
    assert cameras.follow.all()
    frames = 200
    pelvis = CENTRE + np.linspace(-2.0, 2.0, frames)[:, None] * np.array([0.6, 0.8])
    world = np.zeros((frames, 1, 3))
    world[:, 0, :2], world[:, 0, 2] = pelvis, 0.8
    u = cameras.project(cameras.to_camera(world))[..., 0, 0] - cameras.intrinsics[:, 2:3]
    middle = slice(30, frames - 30)  # the smoothing window is 1 s (50 frames) wide
    np.testing.assert_allclose(u[:, middle], 0.0, atol=1e-6)
    still = replace(cameras, follow=np.zeros(20, bool))
    u_still = still.project(still.to_camera(world))[..., 0, 0] - still.intrinsics[:, 2:3]
    assert np.abs(u_still[:, middle]).max() > 50  # a fixed camera sees the person move


def test_smooth_track_is_a_centred_moving_average():
    track = np.arange(10.0)[:, None] ** 2
    out = smooth_track(track, 3)
    np.testing.assert_allclose(
        out[1:-1, 0], [(a**2 + (a + 1) ** 2 + (a + 2) ** 2) / 3 for a in range(8)]
    )
    assert out[0, 0] == pytest.approx((0 + 0 + 1) / 3)


def test_the_mix_is_seeded():
    a = CameraMix().sample(np.random.default_rng(5), 30, CENTRE, 1.0)
    b = CameraMix().sample(np.random.default_rng(5), 30, CENTRE, 1.0)
    np.testing.assert_array_equal(a.rotations, b.rotations)
    np.testing.assert_array_equal(a.intrinsics, b.intrinsics)


def test_every_camera_of_the_mix_stands_outside_the_take_and_sees_it_in_front(tmp_path):
    cameras = CameraMix().sample(np.random.default_rng(6), 2000, CENTRE, 2.0)
    distances = np.linalg.norm(cameras.centres[:, :2] - CENTRE, axis=-1)
    assert distances.min() >= 3.0 - 1e-9
    for rotation in cameras.rotations[:50]:
        np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    body = np.array([[[CENTRE[0], CENTRE[1], 0.1], [CENTRE[0], CENTRE[1], 1.7]]])
    assert cameras.to_camera(body)[..., 2].min() > 0.5


def test_synth_poses_only_with_the_mix(tmp_path, capsys):
    out = tmp_path / "mix"
    argv = ["synth", str(out), "--poses-only", "--preset", "tiny", "--seconds", "0.2"]
    assert main([*argv, "--views", "6", "--cameras", "mix"]) == 0
    train = open_sequences(out / "train")
    assert len({(i.width, i.height) for i in train.sequences}) > 2
    assert train.meta["synth"]["cameras"]["kind"] == "mix"
    keypoints = train.keypoints("gt")
    fx, fy, cx, cy = np.repeat(train.intrinsics, 10, axis=0).T[:, :, None]
    camera = train.poses3d.astype(np.float64) + train.root[:, None]
    np.testing.assert_allclose(
        keypoints[..., 0], fx * camera[..., 0] / camera[..., 2] + cx, atol=5e-3
    )
    assert main([*argv, "--cameras", "mix", "--camera-height", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--camera-height sets the --cameras ranges cameras, not the mix" in err
    assert len(err.splitlines()) == 1
