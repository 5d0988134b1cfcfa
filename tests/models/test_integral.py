"""The integral head: soft-argmax coordinates, the metric lift, geometry, temporal context."""

from __future__ import annotations

import math

import pytest
import torch

from vidpose.models import ModelConfig, build_model
from vidpose.models.crop_geometry import (
    Geometry,
    default_geometry,
    heatmap_coordinates,
    project_to_input,
)
from vidpose.models.integral import bone_fusion_matrices
from vidpose.pose.skeleton import PARENTS, ROOT

SIDE = 32


def _model(**overrides) -> torch.nn.Module:
    torch.manual_seed(0)
    values = {"head": "integral", "hidden_size": 16, "feature_dim": 16, "head_channels": 16}
    return build_model(ModelConfig(**{**values, **overrides})).eval()


def _geometry(batch: int, frames: int, side: float = 400.0) -> Geometry:
    crop = torch.tensor([250.0, 200.0, side]).expand(batch, frames, 3).clone()
    crop[..., 0] += torch.arange(frames) * 10.0  # the crop follows the person
    intrinsics = torch.tensor([[1150.0, 1140.0, 510.0, 495.0]]).expand(batch, 4).clone()
    return Geometry(crop, intrinsics, SIDE)


def _randomise_temporal_layers(model: torch.nn.Module) -> None:
    # They start at zero (the head begins as a per-frame regressor); training moves them.
    with torch.no_grad():
        for layer in (model.head.film, model.head.depth_bias, model.head.root_correction):
            layer.weight.normal_(0, 0.3)


@pytest.mark.parametrize(("backbone", "stride", "cells"), [("tinycnn", 4, 8), ("seedcnn", 2, 16)])
def test_heatmaps_have_the_configured_stride_and_sum_to_one(backbone, stride, cells):
    model = _model(backbone=backbone, heatmap_stride=stride)
    assert model.head.skip is not None  # both have a stride-8 map
    with torch.no_grad():
        out = model.forward_with_aux(torch.randn(2, 3, 3, SIDE, SIDE))
    assert out["heatmaps"].shape == (2, 3, 17, cells, cells)
    torch.testing.assert_close(out["heatmaps"].sum(dim=(-2, -1)), torch.ones(2, 3, 17))
    torch.testing.assert_close(out["log_heatmaps"].exp(), out["heatmaps"])


def test_joints_are_the_expected_heatmap_coordinates():
    model = _model()
    with torch.no_grad():
        out = model.forward_with_aux(torch.randn(2, 3, 3, SIDE, SIDE))
    heatmaps = out["heatmaps"]
    coords = heatmap_coordinates(heatmaps.shape[-1], SIDE)
    expected_u = (heatmaps * coords).sum(dim=(-2, -1))
    expected_v = (heatmaps * coords[:, None]).sum(dim=(-2, -1))
    torch.testing.assert_close(out["poses2d_input_px"], torch.stack([expected_u, expected_v], -1))


def test_uniform_heatmaps_put_every_joint_at_the_input_centre():
    model = _model()
    with torch.no_grad():
        model.head.heatmaps.weight.zero_()
        model.head.heatmaps.bias.zero_()
        out = model.forward_with_aux(torch.randn(1, 2, 3, SIDE, SIDE))
    centre = torch.full((1, 2, 17, 2), (SIDE - 1) / 2)
    torch.testing.assert_close(out["poses2d_input_px"], centre)


def test_lifted_pose_reprojects_onto_the_2d_joints_and_uses_the_depths():
    model = _model(temporal="gru")
    _randomise_temporal_layers(model)
    with torch.no_grad():
        model.head.depths.weight.normal_(0, 0.1)
        geometry = _geometry(2, 3)
        out = model.forward_with_aux(torch.randn(2, 3, 3, SIDE, SIDE), geometry)
    camera = out["poses3d"] + out["root"][..., None, :]
    torch.testing.assert_close(project_to_input(camera, geometry), out["poses2d_input_px"])
    depth = out["root_depth"][..., None] + out["depth_rel"]
    torch.testing.assert_close(camera[..., 2], depth)
    assert torch.equal(out["poses3d"][..., ROOT, :], torch.zeros(2, 3, 3))
    assert out["depth_rel"].abs().max() > 1e-3


def test_root_depth_is_the_size_prior_times_the_learned_factor():
    model = _model()
    geometry = _geometry(2, 3, side=458.0)
    frames = torch.randn(2, 3, 3, SIDE, SIDE)
    prior = math.sqrt(1150.0 * 1140.0) * 2.0 / 458.0
    with torch.no_grad():
        torch.testing.assert_close(
            model.forward_with_aux(frames, geometry)["root_depth"], torch.full((2, 3), prior)
        )
        model.head.log_root_scale.fill_(math.log(1.1))
        out = model.forward_with_aux(frames, geometry)
    torch.testing.assert_close(out["root_depth"], torch.full((2, 3), 1.1 * prior))


def test_geometry_matters_none_means_the_default_camera_and_direct_ignores_it():
    model = _model()
    frames = torch.randn(2, 3, 3, SIDE, SIDE)
    with torch.no_grad():
        # With zero depths the lift is scale-free (x̂ · Z_root with Z_root ∝ 1 / side); depths
        # make the off-axis view matter.
        model.head.depths.weight.normal_(0, 0.1)
        default = model(frames)
        torch.testing.assert_close(model(frames, default_geometry(SIDE)), default)
        assert (model(frames, _geometry(2, 3)) - default).abs().max() > 1e-3
        direct = _model(head="direct")
        torch.testing.assert_close(direct(frames, _geometry(2, 3)), direct(frames))


def test_a_geometry_for_another_input_size_is_refused():
    model = _model()
    geometry = _geometry(1, 2).at_size(64)
    with pytest.raises(ValueError, match="geometry input_size 64 does not match"):
        model(torch.randn(1, 2, 3, SIDE, SIDE), geometry)


def test_normalized_output_is_the_metric_output_in_target_units():
    model = _model()
    model.set_target_stats(torch.randn(17, 3) * 0.1, torch.rand(17, 3) * 0.2 + 0.05)
    frames = torch.randn(2, 3, 3, SIDE, SIDE)
    with torch.no_grad():
        metres = model(frames)
        normalized = model.forward_normalized(frames)
        aux = model(frames, return_aux=True)
    torch.testing.assert_close(normalized, (metres - model.target_mean) / model.target_std)
    torch.testing.assert_close(aux["poses3d"], metres)
    torch.testing.assert_close(aux["poses3d_normalized"], normalized)


@pytest.mark.parametrize(("temporal", "depends"), [("lstm", True), ("none", False)])
def test_temporal_context_reaches_the_integral_output(temporal, depends):
    model = _model(temporal=temporal)
    _randomise_temporal_layers(model)
    frames = torch.randn(1, 4, 3, SIDE, SIDE)
    changed = frames.clone()
    changed[:, 0] = torch.randn(3, SIDE, SIDE)
    with torch.no_grad():
        difference = (model(frames)[:, -1] - model(changed)[:, -1]).abs().max()
    assert (difference > 1e-6) == depends


def test_group_norm_integral_model_treats_clips_independently_in_train_mode():
    model = _model(norm="group", temporal="tcn").train()
    _randomise_temporal_layers(model)
    frames = torch.randn(3, 2, 3, SIDE, SIDE)
    geometry = _geometry(3, 2)
    together = model(frames, geometry)
    alone = model(
        frames[1:2],
        geometry.select(slice(1, 2)),
    )
    torch.testing.assert_close(together[1:2], alone, atol=1e-5, rtol=1e-4)


def test_a_few_steps_fit_one_batch():
    # The whole chain (heatmaps → soft-argmax → lift) is trainable end to end.
    torch.manual_seed(0)
    model = _model(norm="group", temporal="none").train()
    frames = torch.randn(2, 2, 3, SIDE, SIDE)
    geometry = _geometry(2, 2)
    target = torch.randn(2, 2, 17, 3) * 0.2
    target[..., ROOT, :] = 0
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        loss = (model(frames, geometry) - target).norm(dim=-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0]


@pytest.mark.parametrize("relative_depth", ["root", "parent", "both"])
def test_bf16_autocast_keeps_the_coordinates_in_float32(relative_depth):
    model = _model(relative_depth=relative_depth)
    frames = torch.randn(1, 2, 3, SIDE, SIDE)
    geometry = _geometry(1, 2).to(None, torch.float64)
    with torch.no_grad():
        reference = model.forward_with_aux(frames, geometry)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model.forward_with_aux(frames, geometry)
    for key in ("poses3d", "poses2d_input_px", "depth_rel", "root_depth"):
        assert low[key].dtype == torch.float32, key
    # bf16 features move the heatmaps a little; the lift itself adds no bf16 rounding.
    assert (low["poses2d_input_px"] - reference["poses2d_input_px"]).abs().max() < 0.5


def _aux_and_raw_depth_maps(model) -> tuple[dict, torch.Tensor]:
    """One forward pass with random depth-map weights: the outputs, and the depth maps as the
    1×1 conv wrote them (B·T, maps, h, w), before any fusion or summing."""
    with torch.no_grad():
        model.head.depths.weight.normal_(0, 0.3)
    depth_maps = []
    model.head.depths.register_forward_hook(lambda module, args, out: depth_maps.append(out))
    with torch.no_grad():
        aux = model(torch.randn(1, 2, 3, SIDE, SIDE), _geometry(1, 2), return_aux=True)
    return aux, depth_maps[0]


def test_parent_relative_depth_maps_measure_each_bone():
    model = _model(relative_depth="parent")
    aux, depth_maps = _aux_and_raw_depth_maps(model)
    # each map, read under its joint's heatmap, is that joint's depth minus its parent's
    per_joint = (aux["heatmaps"].flatten(0, 1) * depth_maps).flatten(2).sum(-1)
    depth_rel = aux["depth_rel"].flatten(0, 1)
    bones = depth_rel[:, 1:] - depth_rel[:, PARENTS[1:]]
    torch.testing.assert_close(bones, per_joint[:, 1:])
    assert bones.abs().min() > 0  # the check is not 0 == 0
    assert "head.chain" not in model.state_dict()  # derived from the config, not saved


@pytest.mark.parametrize("relative_depth", ["root", "parent", "both"])
def test_depth_maps_holding_their_targets_give_the_true_depths(relative_depth):
    """What ``depth_map_targets`` asks of the maps is what makes the head's depths right."""
    model = _model(relative_depth=relative_depth)
    poses = torch.randn(2, 3, 17, 3) * 0.3
    poses = poses - poses[..., ROOT : ROOT + 1, :]
    geometry = _geometry(2, 3)
    targets = model.head.depth_map_targets(poses)  # (2, 3, 17·S)
    depth = poses[..., 2]
    with torch.no_grad():  # the maps read the targets wherever the heatmaps are
        model.head.depths.weight.zero_()
        model.head.depths.bias.zero_()
    hook = model.head.depths.register_forward_hook(
        lambda module, args, out: out + targets.flatten(0, 1)[..., None, None]
    )
    with torch.no_grad():
        aux = model(torch.randn(2, 3, 3, SIDE, SIDE), geometry, return_aux=True)
    hook.remove()
    torch.testing.assert_close(aux["depth_rel"], depth)
    torch.testing.assert_close(aux["depth_maps"][..., 0, 0], targets)
    if relative_depth == "parent":
        torch.testing.assert_close(targets[..., 1:], depth[..., 1:] - depth[..., PARENTS[1:]])
    if relative_depth == "both":  # root-relative maps, then per-bone maps
        assert targets.shape[-1] == 34
        torch.testing.assert_close(targets[..., :17], depth)
        torch.testing.assert_close(targets[..., 18:], depth[..., 1:] - depth[..., PARENTS[1:]])


def test_bone_fusion_is_the_least_squares_depth_of_both_estimates():
    fuse_root, fuse_bone = bone_fusion_matrices()
    generator = torch.Generator().manual_seed(0)
    root_relative, per_bone = torch.randn(2, 17, generator=generator).double()
    depth = (fuse_root.double() @ root_relative + fuse_bone.double() @ per_bone).requires_grad_()
    parents = torch.tensor(PARENTS[1:])

    def disagreement(z):
        bones = z[1:] - z[parents]
        return (z - root_relative).square().sum() + (bones - per_bone[1:]).square().sum()

    (gradient,) = torch.autograd.grad(disagreement(depth), depth)
    assert gradient.abs().max() < 1e-5  # the minimum: no direction lowers it
    # Two estimates that agree give that estimate back, whatever the root's unused bone.
    truth = root_relative - root_relative[0]
    agreeing = torch.cat([torch.tensor([5.0]).double(), truth[1:] - truth[parents]])
    fused = fuse_root.double() @ truth + fuse_bone.double() @ agreeing
    torch.testing.assert_close(fused, truth, atol=1e-6, rtol=0)


def test_both_depth_kinds_are_read_under_their_joint_and_fused():
    model = _model(relative_depth="both")
    assert model.head.depths.out_channels == 34
    aux, depth_maps = _aux_and_raw_depth_maps(model)
    heatmaps = aux["heatmaps"].flatten(0, 1)
    read = (heatmaps.repeat(1, 2, 1, 1) * depth_maps).flatten(2).sum(-1)
    fuse_root, fuse_bone = bone_fusion_matrices()
    fused = read[:, :17] @ fuse_root.T + read[:, 17:] @ fuse_bone.T
    torch.testing.assert_close(aux["depth_rel"].flatten(0, 1), fused - fused[:, :1])
    assert "head.fuse_root" not in model.state_dict()  # derived from the config, not saved
