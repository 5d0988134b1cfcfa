"""Crop/camera geometry: the lift inverts the store's projection exactly; flips and zooms."""

from __future__ import annotations

import numpy as np
import torch

from vidpose.models.crop_geometry import (
    Geometry,
    augment_geometry,
    crop_axis,
    default_geometry,
    flip_geometry,
    heatmap_coordinates,
    lift_to_camera,
    make_geometry,
    poses2d_to_input,
    prior_root_depth,
    project_to_input,
)
from vidpose.pose import camera
from vidpose.synth import studio_cameras as synth_camera

STORED, INPUT = 112, 64


def _camera_points(rng: np.random.Generator, n: int = 3, t: int = 4) -> np.ndarray:
    """(n, t, 17, 3) joints in camera coordinates, metres: bodies ~4-6 m away, off-axis."""
    root = np.stack(
        [rng.uniform(-1.5, 1.5, (n, t)), rng.uniform(-0.5, 0.5, (n, t)), rng.uniform(4, 6, (n, t))],
        axis=-1,
    )
    relative = rng.normal(0, 0.3, (n, t, 17, 3))
    relative[..., 0, :] = 0
    return root[..., None, :] + relative


def _intrinsics(rng: np.random.Generator, n: int) -> np.ndarray:
    focal = rng.uniform(1100, 1200, (n, 2))
    return np.concatenate([focal, rng.uniform(480, 520, (n, 2))], axis=1)


def test_lifting_store_poses2d_with_the_true_root_depth_gives_the_camera_points():
    # Independent route: synth's projection, crop rule and stored-pixel mapping (the store's
    # convention), then poses2d rescaled to the model input and lifted back.
    rng = np.random.default_rng(0)
    points = _camera_points(rng)
    intrinsics = _intrinsics(rng, len(points))
    pixels = np.stack([camera.project(p, k) for p, k in zip(points, intrinsics, strict=True)])
    crop = synth_camera.crop_boxes(pixels)
    poses2d = synth_camera.to_stored(pixels, crop, STORED)

    geometry = Geometry(torch.from_numpy(crop), torch.from_numpy(intrinsics), INPUT)
    uv = poses2d_to_input(torch.from_numpy(poses2d), STORED, INPUT)
    lifted = lift_to_camera(uv, torch.from_numpy(points[..., 2]), geometry)
    torch.testing.assert_close(lifted, torch.from_numpy(points), atol=1e-9, rtol=0)
    torch.testing.assert_close(project_to_input(lifted, geometry), uv, atol=1e-9, rtol=0)


def test_root_relative_lift_with_true_root_depth_is_exact():
    # What the integral head does: Z_j = Z_root + d_j, lift, subtract the root.
    rng = np.random.default_rng(1)
    points = torch.from_numpy(_camera_points(rng))
    geometry = make_geometry(
        np.tile([[[300.0, 250.0, 450.0]]], (3, 4, 1)), _intrinsics(rng, 3), INPUT
    )
    geometry = geometry.to(None, torch.float64)
    uv = project_to_input(points, geometry)
    root_depth, depth_rel = points[..., 0, 2], points[..., 2] - points[..., :1, 2]
    lifted = lift_to_camera(uv, root_depth[..., None] + depth_rel, geometry)
    relative = lifted - lifted[..., :1, :]
    torch.testing.assert_close(relative, points - points[..., :1, :], atol=1e-9, rtol=0)


def _store_geometry(points: np.ndarray, intrinsics: np.ndarray) -> tuple[Geometry, torch.Tensor]:
    """The synth crop of camera points (n, t, 17, 3) as a geometry at INPUT px, and the
    points' 2D joints in input pixels (n, t, 17, 2)."""
    pixels = np.stack([camera.project(p, k) for p, k in zip(points, intrinsics, strict=True)])
    crop = synth_camera.crop_boxes(pixels)
    geometry = Geometry(torch.from_numpy(crop), torch.from_numpy(intrinsics), INPUT)
    uv = poses2d_to_input(
        torch.from_numpy(synth_camera.to_stored(pixels, crop, STORED)), STORED, INPUT
    )
    return geometry, uv


def test_lift_along_the_crop_axis_with_the_true_depths_along_it_gives_the_camera_points():
    rng = np.random.default_rng(4)
    points = _camera_points(rng)
    geometry, uv = _store_geometry(points, _intrinsics(rng, len(points)))
    axis = crop_axis(geometry)
    torch.testing.assert_close(axis.norm(dim=-1), torch.ones(axis.shape[:-1], dtype=axis.dtype))
    depth = (torch.from_numpy(points) * axis[..., None, :]).sum(dim=-1)
    lifted = lift_to_camera(uv, depth, geometry, axis)
    torch.testing.assert_close(lifted, torch.from_numpy(points), atol=1e-9, rtol=0)
    # Depths along the axis are not camera Z off the image centre: the bodies here are up to
    # 1.5 m sideways, so the two differ by centimetres.
    assert (depth - torch.from_numpy(points[..., 2])).abs().max() > 0.05


def test_crop_axis_passes_through_the_crop_centre_and_flips_and_zooms_with_the_crop():
    rng = np.random.default_rng(5)
    points = _camera_points(rng)
    geometry, _ = _store_geometry(points, _intrinsics(rng, len(points)))
    axis = crop_axis(geometry)
    # The axis projects to the input's centre pixel.
    centre = project_to_input(axis[..., None, :], geometry)[..., 0, :]
    torch.testing.assert_close(centre, torch.full_like(centre, (INPUT - 1) / 2))
    # A mirrored crop's axis is the mirrored axis (X negated); a zoom keeps it.
    batch = len(points)
    mirrored = crop_axis(flip_geometry(geometry))
    # Mirroring about cx negates the normalised x of every ray, i.e. X of the unit axis.
    torch.testing.assert_close(mirrored, axis * torch.tensor([-1.0, 1.0, 1.0], dtype=axis.dtype))
    zoomed = augment_geometry(
        geometry,
        torch.zeros(batch, dtype=torch.bool),
        torch.full((batch,), 1.3, dtype=torch.float64),
    )
    torch.testing.assert_close(crop_axis(zoomed), axis)


def test_default_geometry_broadcasts_and_puts_the_principal_point_at_the_centre():
    geometry = default_geometry(INPUT, dtype=torch.float64)
    centre = torch.full((2, 5, 1, 2), (INPUT) / 2, dtype=torch.float64)
    on_axis = lift_to_camera(centre, torch.full((2, 5, 1), 3.0, dtype=torch.float64), geometry)
    torch.testing.assert_close(on_axis, torch.tensor([0.0, 0.0, 3.0]).expand(2, 5, 1, 3).double())
    # The whole 1000-px image spans 2 m at 1145 * 2 / 1000 m.
    torch.testing.assert_close(prior_root_depth(geometry), torch.tensor([[2.29]]).double())


def test_size_prior_on_a_standing_person_is_close_to_the_truth():
    # A 1.75 m person 5 m away, cropped like the synthetic stores (1.2 x the longer side).
    rng = np.random.default_rng(2)
    intrinsics = np.array([[1145.0, 1145.0, 500.0, 500.0]])
    joints = np.zeros((1, 1, 17, 3))
    joints[..., 2] = 5.0
    joints[0, 0, :, 1] = np.linspace(-0.9, 0.85, 17)  # head to feet
    joints[0, 0, :, 0] = rng.uniform(-0.25, 0.25, 17)
    crop = synth_camera.crop_boxes(camera.project(joints, intrinsics[0]))
    prior = prior_root_depth(make_geometry(crop, intrinsics, INPUT))
    assert abs(prior.item() - 5.0) < 0.5


def test_flipped_input_with_flipped_geometry_lifts_to_the_mirrored_pose():
    rng = np.random.default_rng(3)
    points = torch.from_numpy(_camera_points(rng))
    crop = torch.from_numpy(rng.uniform([100, 100, 300], [400, 400, 500], (3, 4, 3)))
    geometry = Geometry(crop, torch.from_numpy(_intrinsics(rng, 3)), 64)
    uv = project_to_input(points, geometry)
    flipped_uv = torch.stack([INPUT - 1 - uv[..., 0], uv[..., 1]], dim=-1)
    lifted = lift_to_camera(flipped_uv, points[..., 2], flip_geometry(geometry))
    mirrored = points * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    torch.testing.assert_close(lifted, mirrored, atol=1e-9, rtol=0)


def test_zoomed_input_with_zoomed_geometry_lifts_to_the_same_points():
    # vidpose.clips.clip_augment zooms 2D about c = (S - 1) / 2 and leaves 3D unchanged.
    rng = np.random.default_rng(4)
    points = torch.from_numpy(_camera_points(rng))
    crop = torch.from_numpy(rng.uniform([100, 100, 300], [400, 400, 500], (3, 4, 3)))
    geometry = Geometry(crop, torch.from_numpy(_intrinsics(rng, 3)), 64)
    zoom = torch.tensor([0.8, 1.0, 1.25], dtype=torch.float64)
    flip = torch.tensor([True, False, True])
    uv = project_to_input(points, geometry)
    c = (INPUT - 1) / 2
    moved = c + zoom.view(-1, 1, 1, 1) * (uv - c)
    moved[..., 0] = torch.where(flip.view(-1, 1, 1), INPUT - 1 - moved[..., 0], moved[..., 0])
    lifted = lift_to_camera(moved, points[..., 2], augment_geometry(geometry, flip, zoom))
    expected = points.clone()
    expected[flip, ..., 0] *= -1
    torch.testing.assert_close(lifted, expected, atol=1e-9, rtol=0)


def test_heatmap_cell_centres_use_the_pixel_centre_convention():
    # 16 cells over 64 pixels: cell k covers pixels 4k .. 4k+3, centred at 4k + 1.5.
    torch.testing.assert_close(heatmap_coordinates(16, 64)[:3], torch.tensor([1.5, 5.5, 9.5]))
    # One cell per pixel: the pixel indices themselves.
    torch.testing.assert_close(heatmap_coordinates(8, 8), torch.arange(8.0))
