"""Tests for vidpose.clips.clip_augment: image, 2D and 3D poses must move together, one draw per
clip."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from vidpose.clips.clip_augment import (
    AugmentConfig,
    AugmentParams,
    apply_params,
    augment_batch,
    flip_batch,
    sample_params,
    unflip_poses3d,
)
from vidpose.infra.errors import UserError
from vidpose.models.crop_geometry import (
    augment_geometry,
    crop_axis,
    make_geometry,
    project_to_input,
)
from vidpose.pose.skeleton import (
    FLIP_PERMUTATION,
    JOINT_NAMES,
    LEFT_JOINTS,
    RIGHT_JOINTS,
    bone_lengths,
    flip_poses,
)
from vidpose.runs.run_config import load_section

# A non-square frame catches any mix-up of width and height in the warp.
HEIGHT, WIDTH = 48, 64
CENTRE = np.array([(WIDTH - 1) / 2, (HEIGHT - 1) / 2])
FOCAL_PX = 60.0
ROOT_DEPTH_M = 4.5


def make_params(flip, angle_deg, zoom, gain=None, contrast=None, brightness=None) -> AugmentParams:
    count = len(flip)
    return AugmentParams(
        flip=torch.tensor(flip, dtype=torch.bool),
        angle=torch.tensor([math.radians(a) for a in angle_deg], dtype=torch.float32),
        zoom=torch.tensor(zoom, dtype=torch.float32),
        gain=torch.ones(count, 3) if gain is None else torch.tensor(gain, dtype=torch.float32),
        contrast=torch.ones(count) if contrast is None else torch.tensor(contrast),
        brightness=torch.zeros(count) if brightness is None else torch.tensor(brightness),
    )


def random_pose(rng: np.random.Generator) -> np.ndarray:
    """A root-relative (17, 3) pose in metres with a plausible spread, pelvis at the origin."""
    pose = rng.normal(scale=0.3, size=(17, 3)).astype(np.float32)
    pose[0] = 0
    return pose


def project(poses3d_root_relative: np.ndarray) -> np.ndarray:
    """Pinhole projection of (..., 17, 3) with the root on the optical axis at ROOT_DEPTH_M."""
    absolute = poses3d_root_relative + np.array([0, 0, ROOT_DEPTH_M], dtype=np.float32)
    return FOCAL_PX * absolute[..., :2] / absolute[..., 2:] + CENTRE


def blob_frames(points: np.ndarray, clip_len: int, sigma: float = 1.2) -> torch.Tensor:
    """(B, T, H, W, 3) uint8 black frames with one Gaussian blob per clip at ``points`` (B, 2)."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    frames = []
    for x, y in points:
        blob = 250 * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))
        frames.append(np.repeat(blob[:, :, None], 3, axis=-1))
    stacked = np.round(np.stack(frames)).astype(np.uint8)
    return torch.from_numpy(np.repeat(stacked[:, None], clip_len, axis=1))


def centroids(frames: torch.Tensor) -> np.ndarray:
    """Intensity-weighted centre (x, y) of each frame of (B, T, H, W, 3) → (B, T, 2)."""
    weight = frames.double().sum(-1)
    ys, xs = torch.meshgrid(
        torch.arange(HEIGHT, dtype=torch.float64),
        torch.arange(WIDTH, dtype=torch.float64),
        indexing="ij",
    )
    total = weight.sum((-1, -2))
    x = (weight * xs).sum((-1, -2)) / total
    y = (weight * ys).sum((-1, -2)) / total
    return torch.stack([x, y], -1).numpy()


def poses_at(points: np.ndarray, clip_len: int) -> torch.Tensor:
    """(B, T, 17, 2) poses2d with every joint at the clip's point."""
    poses = np.repeat(points[:, None, :], 17, axis=1).astype(np.float32)
    return torch.from_numpy(np.repeat(poses[:, None], clip_len, axis=1).copy())


# -- configuration ---------------------------------------------------------------------------


def test_defaults_follow_the_literature_recipe():
    cfg = AugmentConfig()
    assert (cfg.flip, cfg.scale, cfg.rotation_deg, cfg.color) == (0.5, 0.25, 30.0, 0.2)
    assert cfg.enabled and not cfg.is_identity


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"flip": 1.5}, "augment.flip: expected a value <= 1.0, got 1.5"),
        ({"scale": 1.0}, "augment.scale: expected a value < 1.0, got 1.0"),
        ({"rotation_deg": -5}, "augment.rotation_deg: expected a value >= 0.0, got -5"),
        ({"color": "lots"}, "augment.color: expected a number, got 'lots'"),
        ({"brightness": float("nan")}, "augment.brightness: expected a finite number, got nan"),
        ({"contrast": True}, "augment.contrast: expected a number, got True"),
        ({"hue": 1.5}, "augment.hue: expected a value <= 1.0, got 1.5"),
        ({"enabled": "yes"}, "augment.enabled: expected true or false, got 'yes'"),
    ],
)
def test_invalid_settings_name_the_field(values, message):
    with pytest.raises(UserError) as error:
        load_section(AugmentConfig, values, "augment")
    assert str(error.value).startswith(message)


def test_loading_rejects_unknown_keys_with_a_hint_and_uses_the_prefix():
    with pytest.raises(UserError, match=r"augment\.rotation: unknown key \(did you mean"):
        load_section(AugmentConfig, {"rotation": 10}, "augment")
    with pytest.raises(UserError, match=r"^train\.augment\.flip: expected a value <= 1"):
        load_section(AugmentConfig, {"flip": 2}, "train.augment")
    cfg = load_section(AugmentConfig, {"flip": 0.0, "scale": 0.1}, "augment")
    assert load_section(AugmentConfig, cfg.to_dict(), "augment") == cfg


@pytest.mark.parametrize(
    "cfg",
    [
        AugmentConfig(enabled=False),
        AugmentConfig(flip=0, scale=0, rotation_deg=0, color=0, brightness=0, contrast=0),
    ],
)
def test_identity_configs_return_the_inputs_untouched(cfg):
    generator = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (2, 3, HEIGHT, WIDTH, 3), dtype=torch.uint8)
    poses3d, poses2d = torch.randn(2, 3, 17, 3), torch.rand(2, 3, 17, 2) * 40
    out = augment_batch(frames, poses3d, poses2d, cfg, generator)
    assert out[0] is frames and out[1] is poses3d and out[2] is poses2d


# -- geometry: image against 2D poses ------------------------------------------------------------


def test_flip_moves_a_bright_pixel_to_the_mirrored_column_and_swaps_joints():
    frames = torch.zeros(1, 2, HEIGHT, WIDTH, 3, dtype=torch.uint8)
    x, y = 9, 30
    frames[:, :, y, x] = torch.tensor([255, 128, 7], dtype=torch.uint8)
    left_wrist, right_wrist = JOINT_NAMES.index("left_wrist"), JOINT_NAMES.index("right_wrist")
    poses2d = torch.zeros(1, 2, 17, 2)
    poses2d[:, :, left_wrist] = torch.tensor([x, y], dtype=torch.float32)
    params = make_params([True], [0.0], [1.0])
    out, _, out2d = apply_params(frames, torch.zeros(1, 2, 17, 3), poses2d, params)

    bright = torch.nonzero(out[0, 0, :, :, 0])
    assert bright.tolist() == [[y, WIDTH - 1 - x]]  # pixel centres at integers: x → W - 1 - x
    assert out[0, 0, y, WIDTH - 1 - x].tolist() == [255, 128, 7]
    # The mirrored person's right wrist is where the left wrist was drawn.
    assert out2d[0, 0, right_wrist].tolist() == [WIDTH - 1 - x, y]


@pytest.mark.parametrize(
    ("flip", "angle_deg", "zoom"),
    [
        (True, 0.0, 1.0),
        (False, 0.0, 1.25),
        (False, 0.0, 0.8),
        (False, 30.0, 1.0),
        (False, -25.0, 1.0),
        (True, 20.0, 1.2),
        (True, -30.0, 0.75),
    ],
)
def test_a_blob_lands_where_the_transformed_poses2d_say(flip, angle_deg, zoom):
    points = np.array([[CENTRE[0] + 13.3, CENTRE[1] - 6.6], [CENTRE[0] - 4.2, CENTRE[1] + 9.5]])
    frames = blob_frames(points, clip_len=2)
    params = make_params([flip, flip], [angle_deg, angle_deg], [zoom, zoom])
    out, _, out2d = apply_params(frames, torch.zeros(2, 2, 17, 3), poses_at(points, 2), params)
    assert np.abs(centroids(out) - out2d[:, :, 0].numpy()).max() < 0.3
    # Sanity: the transform did move the blob unless it is the identity.
    moved = np.abs(out2d[:, :, 0].numpy() - points[:, None]).max()
    assert moved > 1.0


def test_random_draws_keep_blobs_and_poses2d_together():
    rng = np.random.default_rng(3)
    points = CENTRE + rng.uniform(-8, 8, size=(6, 2))
    frames = blob_frames(points, clip_len=3)
    # Gains keep the black background black, so the centroid sees only the blob.
    cfg = AugmentConfig(flip=0.5, scale=0.25, rotation_deg=30, color=0.2)
    generator = torch.Generator().manual_seed(11)
    out, _, out2d = augment_batch(
        frames, torch.zeros(6, 3, 17, 3), poses_at(points, 3), cfg, generator
    )
    assert np.abs(centroids(out) - out2d[:, :, 0].numpy()).max() < 0.5


# -- geometry: 3D against 2D ---------------------------------------------------------------------


def test_reprojected_3d_matches_the_augmented_2d_including_rotation_sign():
    rng = np.random.default_rng(5)
    batch, clip_len = 8, 2
    poses3d = np.stack([np.stack([random_pose(rng)] * clip_len) for _ in range(batch)])
    poses2d = project(poses3d)
    params = sample_params(
        batch,
        AugmentConfig(flip=0.5, scale=0.25, rotation_deg=30),
        torch.Generator().manual_seed(2),
    )
    assert params.flip.any() and not params.flip.all()
    _, out3d, out2d = apply_params(
        torch.zeros(batch, clip_len, HEIGHT, WIDTH, 3, dtype=torch.uint8),
        torch.from_numpy(poses3d),
        torch.from_numpy(poses2d.astype(np.float32)),
        params,
    )
    # A zoom is a focal-length change: the 2D offsets from the centre are zoom × the projection.
    reprojected_offset = project(out3d.numpy()) - CENTRE
    zoom = params.zoom.numpy()[:, None, None, None]
    np.testing.assert_allclose(out2d.numpy() - CENTRE, zoom * reprojected_offset, atol=1e-3)


def _off_axis_clip(batch: int, clip_len: int):
    """Root-relative poses (B, T, 17, 3) of a person 20° right of a 1000-px camera's axis, their
    2D joints in a 64-px square crop around them, the crop geometry and the ray through the
    crop centre."""
    rng = np.random.default_rng(9)
    size = 64
    poses = torch.from_numpy(np.stack([[random_pose(rng)] * clip_len for _ in range(batch)]))
    root = torch.tensor([4.5 * math.tan(math.radians(20)), 0.3, 4.5])
    intrinsics = torch.tensor([[1000.0, 1000.0, 500.0, 500.0]]).expand(batch, 4)
    centre = project_to_input(
        root.view(1, 1, 1, 3),
        make_geometry(torch.tensor([[[0.0, 0.0, size]]]), intrinsics[:1], size),
    )[0, 0, 0]
    side = 400.0  # source pixels: the person's 1.5 m spread at 4.8 m is about 310
    crop = torch.tensor([centre[0] - side / 2, centre[1] - side / 2, side]).expand(
        batch, clip_len, 3
    )
    geometry = make_geometry(crop, intrinsics, size)
    poses2d = project_to_input(poses + root, geometry)
    return poses, poses2d, geometry, root, crop_axis(geometry).expand(batch, clip_len, 3), size


@pytest.mark.parametrize("flip", [False, True])
def test_rotation_turns_the_3d_pose_about_the_crop_axis_as_the_picture_turns(flip):
    # 20° off the optical axis, a turn of the picture about the crop centre is a turn of the
    # pose about the ray through that centre: the rotated pose reprojects onto the rotated
    # joints. About the camera z axis it would not: that is the check's sensitivity.
    batch, clip_len = 4, 2
    poses, poses2d, geometry, root, axis, size = _off_axis_clip(batch, clip_len)
    params = make_params([flip] * batch, [15.0, -15.0, 30.0, 5.0], [1.0] * batch)
    frames = torch.zeros(batch, clip_len, size, size, 3, dtype=torch.uint8)
    moved = augment_geometry(geometry, params.flip, params.zoom)
    root_seen = root * torch.tensor([-1.0 if flip else 1.0, 1.0, 1.0])

    _, out3d, out2d = apply_params(frames, poses, poses2d, params, axis)
    error_px = (project_to_input(out3d + root_seen, moved) - out2d).norm(dim=-1)
    _, about_z, _ = apply_params(frames, poses, poses2d, params)
    error_z_px = (project_to_input(about_z + root_seen, moved) - out2d).norm(dim=-1)

    # What is left is second order in the 20° (the crop is a plane tilted against the axis):
    # under 4 % of the joints' ~52-px spread at a 30° turn; about z the miss is ~3x that.
    assert error_px.max() < 2.0
    assert error_px.mean() < 0.4 * error_z_px.mean()
    # Still a rotation (after the flip): bone lengths are kept.
    expected = bone_lengths(flip_poses(poses.numpy()) if flip else poses.numpy())
    np.testing.assert_allclose(bone_lengths(out3d.numpy()), expected, rtol=1e-5, atol=1e-6)


def test_the_z_axis_is_the_default_rotation_axis():
    rng = np.random.default_rng(3)
    poses = torch.from_numpy(np.stack([[random_pose(rng)] * 2 for _ in range(3)]))
    params = make_params([False, True, False], [20.0, -40.0, 0.0], [1.0] * 3)
    frames = torch.zeros(3, 2, HEIGHT, WIDTH, 3, dtype=torch.uint8)
    z_axis = torch.tensor([0.0, 0.0, 1.0]).expand(3, 2, 3)
    _, given, _ = apply_params(frames, poses, None, params, z_axis)
    _, default, _ = apply_params(frames, poses, None, params)
    torch.testing.assert_close(given, default)
    swapped = poses[:, :, FLIP_PERMUTATION]
    kept_depths = torch.where(params.flip.view(-1, 1, 1), swapped[..., 2], poses[..., 2])
    torch.testing.assert_close(default[..., 2], kept_depths)  # a turn about z keeps depths


def test_positive_angle_turns_the_picture_clockwise_on_screen():
    # A point right of the centre goes down the screen (y grows) for a positive angle.
    poses2d = torch.zeros(1, 1, 17, 2)
    poses2d[..., 0], poses2d[..., 1] = CENTRE[0] + 10, CENTRE[1]
    poses3d = torch.zeros(1, 1, 17, 3)
    poses3d[..., 0] = 1.0
    _, out3d, out2d = apply_params(
        torch.zeros(1, 1, HEIGHT, WIDTH, 3, dtype=torch.uint8),
        poses3d,
        poses2d,
        make_params([False], [90.0], [1.0]),
    )
    np.testing.assert_allclose(out2d[0, 0, 0].numpy(), [CENTRE[0], CENTRE[1] + 10], atol=1e-4)
    np.testing.assert_allclose(out3d[0, 0, 0].numpy(), [0.0, 1.0, 0.0], atol=1e-6)


def test_flip_mirrors_x_and_swaps_left_and_right_in_3d():
    rng = np.random.default_rng(0)
    pose = random_pose(rng)
    poses3d = torch.from_numpy(np.stack([pose, pose]))[None]
    _, out3d, _ = apply_params(
        torch.zeros(1, 2, HEIGHT, WIDTH, 3, dtype=torch.uint8),
        poses3d,
        None,
        make_params([True], [0.0], [1.0]),
    )
    for left, right in zip(LEFT_JOINTS, RIGHT_JOINTS, strict=True):
        expected = pose[right] * np.array([-1, 1, 1])
        np.testing.assert_allclose(out3d[0, 0, left].numpy(), expected, atol=1e-7)
    assert (FLIP_PERMUTATION[FLIP_PERMUTATION] == np.arange(17)).all()


def test_bone_lengths_are_preserved_in_3d():
    rng = np.random.default_rng(1)
    poses3d = torch.from_numpy(np.stack([[random_pose(rng) for _ in range(4)] for _ in range(5)]))
    frames = torch.zeros(5, 4, HEIGHT, WIDTH, 3, dtype=torch.uint8)
    params = sample_params(5, AugmentConfig(flip=0.5), torch.Generator().manual_seed(4))
    assert params.flip.any() and not params.flip.all()
    _, out3d, _ = apply_params(frames, poses3d, None, params)
    # A flipped clip's left bones are the original right bones, and vice versa.
    flipped = params.flip.numpy()[:, None, None]
    expected = np.where(
        flipped, bone_lengths(flip_poses(poses3d.numpy())), bone_lengths(poses3d.numpy())
    )
    np.testing.assert_allclose(bone_lengths(out3d.numpy()), expected, rtol=1e-5, atol=1e-6)


# -- one draw per clip -------------------------------------------------------------------------


def test_all_frames_of_a_clip_share_one_transform_and_clips_differ():
    rng = np.random.default_rng(2)
    frame = torch.from_numpy(rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8))
    pose3d = torch.from_numpy(random_pose(rng))
    pose2d = torch.from_numpy(project(pose3d.numpy()).astype(np.float32))
    batch, clip_len = 4, 5
    frames = frame.expand(batch, clip_len, -1, -1, -1).contiguous()
    cfg = AugmentConfig(flip=0.5, brightness=0.1, contrast=0.2)
    out, out3d, out2d = augment_batch(
        frames,
        pose3d.expand(batch, clip_len, -1, -1).contiguous(),
        pose2d.expand(batch, clip_len, -1, -1).contiguous(),
        cfg,
        torch.Generator().manual_seed(9),
    )
    for tensor in (out, out3d, out2d):
        assert (tensor == tensor[:, :1]).all(), "frames of one clip were transformed differently"
        for a in range(batch):
            for b in range(a + 1, batch):
                assert not torch.equal(tensor[a], tensor[b]), "two clips got the same draw"


def test_colour_stays_in_range_and_dtype_is_kept():
    generator = torch.Generator().manual_seed(6)
    cfg = AugmentConfig(color=0.9, brightness=0.5, contrast=0.9)
    frames = torch.randint(0, 256, (6, 2, HEIGHT, WIDTH, 3), dtype=torch.uint8)
    out, _, _ = augment_batch(frames, torch.zeros(6, 2, 17, 3), None, cfg, generator)
    assert out.dtype == torch.uint8 and out.shape == frames.shape
    assert (out == 255).any() and (out == 0).any()  # strong jitter does hit both bounds
    floats = frames.float()
    out_float, _, _ = augment_batch(floats, torch.zeros(6, 2, 17, 3), None, cfg, generator)
    assert out_float.dtype == torch.float32
    assert out_float.min() >= 0 and out_float.max() <= 255


def test_uint8_output_feeds_the_model_normalisation_unchanged():
    preprocess = pytest.importorskip("vidpose.models.frame_input")
    frames = torch.randint(0, 256, (2, 3, HEIGHT, WIDTH, 3), dtype=torch.uint8)
    generator = torch.Generator().manual_seed(0)
    out, _, _ = augment_batch(frames, torch.zeros(2, 3, 17, 3), None, AugmentConfig(), generator)
    normalised = preprocess.normalize_frames(out)
    assert normalised.shape == (2, 3, 3, HEIGHT, WIDTH)
    assert torch.equal(normalised, preprocess.normalize_frames(out.contiguous()))


def test_colour_only_keeps_geometry_and_scales_channels_by_the_gain():
    frames = torch.full((2, 2, HEIGHT, WIDTH, 3), 100, dtype=torch.uint8)
    params = make_params([False, False], [0.0, 0.0], [1.0, 1.0], gain=[[1.1, 0.9, 1.0]] * 2)
    params.geometric = False
    out, _, _ = apply_params(frames, torch.zeros(2, 2, 17, 3), None, params)
    assert out[..., 0].unique().tolist() == [110]
    assert out[..., 1].unique().tolist() == [90]
    assert out[..., 2].unique().tolist() == [100]


def test_same_seed_same_result_other_seed_other_result():
    frames = torch.randint(0, 256, (3, 2, HEIGHT, WIDTH, 3), dtype=torch.uint8)
    poses3d, poses2d = torch.randn(3, 2, 17, 3), torch.rand(3, 2, 17, 2) * 40
    cfg = AugmentConfig()

    def run(seed):
        return augment_batch(frames, poses3d, poses2d, cfg, torch.Generator().manual_seed(seed))

    first, again, other = run(1), run(1), run(2)
    for a, b in zip(first, again, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(first[1], other[1])


# -- test-time flip --------------------------------------------------------------------------


def test_flip_twice_is_the_identity():
    frames = torch.randint(0, 256, (2, 3, HEIGHT, WIDTH, 3), dtype=torch.uint8)
    poses3d = torch.randn(2, 3, 17, 3)
    once, once3d = flip_batch(frames, poses3d)
    twice, twice3d = flip_batch(once, once3d)
    assert not torch.equal(once, frames)
    assert torch.equal(twice, frames) and torch.equal(twice3d, poses3d)
    # The training-time flip (through grid_sample) is exactly the test-time flip.
    params = make_params([True, True], [0.0, 0.0], [1.0, 1.0])
    warped, warped3d, _ = apply_params(frames, poses3d, None, params)
    assert torch.equal(warped, once) and torch.equal(warped3d, once3d)
    again, again3d, _ = apply_params(warped.contiguous(), warped3d, None, params)
    assert torch.equal(again, frames) and torch.equal(again3d, poses3d)


def test_flip_batch_channels_first_and_unflip_match_numpy_flip_poses():
    frames = torch.randn(2, 3, 3, HEIGHT, WIDTH)
    flipped, poses = flip_batch(frames, channels_first=True)
    assert poses is None
    assert torch.equal(flipped[..., 0], frames[..., -1])
    poses3d = torch.randn(2, 3, 17, 3)
    np.testing.assert_array_equal(unflip_poses3d(poses3d).numpy(), flip_poses(poses3d.numpy()))


# -- CPU and GPU agree -------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.filterwarnings("ignore:Synchronization debug mode is a prototype")
def test_cuda_matches_cpu_for_the_same_draws_without_host_syncs():
    rng = np.random.default_rng(8)
    frames = torch.from_numpy(rng.integers(0, 256, (6, 4, HEIGHT, WIDTH, 3), dtype=np.uint8))
    poses3d = torch.randn(6, 4, 17, 3)
    poses2d = torch.rand(6, 4, 17, 2) * 40
    cfg = AugmentConfig(brightness=0.1, contrast=0.2)
    params = sample_params(6, cfg, torch.Generator().manual_seed(0))
    cpu = apply_params(frames, poses3d, poses2d, params)
    gpu = apply_params(frames.cuda(), poses3d.cuda(), poses2d.cuda(), params.to("cuda"))
    # Rounding to uint8 can differ by one level where CPU and GPU arithmetic differ slightly.
    assert (cpu[0].int() - gpu[0].cpu().int()).abs().max() <= 1
    assert (cpu[0] != gpu[0].cpu()).float().mean() < 1e-3
    torch.testing.assert_close(gpu[1].cpu(), cpu[1])
    torch.testing.assert_close(gpu[2].cpu(), cpu[2])

    generator = torch.Generator(device="cuda").manual_seed(0)
    inputs = (frames.cuda(), poses3d.cuda(), poses2d.cuda())
    augment_batch(*inputs, cfg, generator)  # warm-up: caches the joint permutation on the GPU
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        out = augment_batch(*inputs, cfg, generator)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert out[0].is_cuda and out[0].dtype == torch.uint8


def test_hue_rotation_keeps_grey_and_the_grey_level_and_cycles_the_primaries():
    from vidpose.clips.clip_augment import hue_rotations

    rotation = hue_rotations(torch.tensor([2 * math.pi / 3, -2 * math.pi / 3, 0.7]))
    red, green, blue = torch.eye(3)
    assert torch.allclose(rotation[0] @ red, green, atol=1e-6)
    assert torch.allclose(rotation[0] @ green, blue, atol=1e-6)
    assert torch.allclose(rotation[1] @ red, blue, atol=1e-6)
    grey = torch.full((3,), 90.0)
    colour = torch.tensor([200.0, 40.0, 10.0])
    for matrix in rotation:
        assert torch.allclose(matrix @ grey, grey, atol=1e-4)
        assert torch.allclose((matrix @ colour).mean(), colour.mean(), atol=1e-4)
        assert torch.allclose(matrix @ matrix.T, torch.eye(3), atol=1e-6)


def test_hue_jitter_recolours_clips_not_their_poses_and_one_draw_per_clip():
    generator = torch.Generator().manual_seed(3)
    frames = torch.zeros(4, 3, HEIGHT, WIDTH, 3, dtype=torch.uint8)
    frames[..., 0] = 200  # a red picture with a grey square
    frames[:, :, 10:20, 10:20] = 120
    poses3d = torch.from_numpy(random_pose(np.random.default_rng(0))).expand(4, 3, -1, -1)
    cfg = AugmentConfig(flip=0, scale=0, rotation_deg=0, color=0, hue=1.0)
    out, out3d, _ = augment_batch(frames, poses3d.contiguous(), None, cfg, generator)
    assert torch.equal(out3d, poses3d)
    assert (out[:, :, 10:20, 10:20].int() - 120).abs().max() <= 1  # grey stays grey
    red_pixel = out[:, :, 0, 0].int()  # (4, 3 frames, 3 channels)
    assert (red_pixel == red_pixel[:, :1]).all(), "frames of one clip got different hues"
    assert len({tuple(c.tolist()) for c in red_pixel[:, 0]}) == 4, "clips share a hue"
    assert (red_pixel[:, 0, 1:] > 0).any(), "no red turned towards green or blue"


def test_hue_jitter_goes_with_the_warp():
    # The warp views the recoloured clips as (B, T·3, H, W): the hue rotation must keep the
    # layout (an einsum result did not, and every flip with hue on failed).
    frames = torch.randint(0, 256, (3, 4, HEIGHT, WIDTH, 3), dtype=torch.uint8)
    poses3d = torch.randn(3, 4, 17, 3)
    cfg = AugmentConfig(flip=1.0, scale=0.1, rotation_deg=10, color=0.3, hue=0.5)
    out, _, _ = augment_batch(frames, poses3d, None, cfg, torch.Generator().manual_seed(5))
    assert out.shape == frames.shape and out.dtype == torch.uint8
    hue_only = AugmentConfig(flip=1.0, scale=0, rotation_deg=0, color=0, hue=0.5)
    flipped, _, _ = augment_batch(frames, poses3d, None, hue_only, torch.Generator().manual_seed(5))
    recoloured, _, _ = augment_batch(
        frames.flip(3), poses3d, None, replace(hue_only, flip=0.0), torch.Generator().manual_seed(5)
    )
    assert (flipped.int() - recoloured.int()).abs().max() <= 1  # same hue draw, then mirrored


def test_configs_without_hue_draw_what_they_drew_before():
    cfg = AugmentConfig(flip=0.5, color=0.3, scale=0.1)
    params = sample_params(5, cfg, torch.Generator().manual_seed(11))
    uniform = torch.rand((5, 8), generator=torch.Generator().manual_seed(11))
    assert params.hue is None
    assert torch.equal(params.flip, uniform[:, 0] < 0.5)
    assert torch.allclose(params.gain, 1 + (uniform[:, 3:6] * 2 - 1) * 0.3)
    with_hue = sample_params(5, AugmentConfig(hue=0.5), torch.Generator().manual_seed(11))
    assert with_hue.hue.abs().max() <= math.pi / 2 and with_hue.photometric
