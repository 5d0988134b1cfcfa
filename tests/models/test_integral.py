"""The integral head: soft-argmax coordinates, the metric lift, geometry, temporal context."""

from __future__ import annotations

import math

import pytest
import torch

from vidpose.models import ModelConfig, build_model
from vidpose.models.geometry import (
    Geometry,
    crop_axis,
    default_geometry,
    heatmap_coordinates,
    project_to_input,
)
from vidpose.models.integral import bone_fusion_matrices
from vidpose.skeleton import PARENTS, ROOT

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


def _depth_axis(depth_axis: str, geometry: dict) -> torch.Tensor:
    """The unit vector the head measures depths along for ``geometry``: (B|1, T|1, 3)."""
    if depth_axis == "crop":
        return crop_axis(geometry)
    return torch.tensor([0.0, 0.0, 1.0]).expand(1, 1, 3)


@pytest.mark.parametrize("depth_axis", ["camera", "crop"])
def test_lifted_pose_reprojects_onto_the_2d_joints_and_uses_the_depths(depth_axis):
    model = _model(temporal="gru", depth_axis=depth_axis)
    _randomise_temporal_layers(model)
    with torch.no_grad():
        model.head.depths.weight.normal_(0, 0.1)
        geometry = _geometry(2, 3)
        out = model.forward_with_aux(torch.randn(2, 3, 3, SIDE, SIDE), geometry)
    camera = out["poses3d"] + out["root"][..., None, :]
    torch.testing.assert_close(project_to_input(camera, geometry), out["poses2d_input_px"])
    depth = out["root_depth"][..., None] + out["depth_rel"]
    along = (camera * _depth_axis(depth_axis, geometry)[..., None, :]).sum(dim=-1)
    torch.testing.assert_close(along, depth)
    if depth_axis == "crop":  # the crop here is ~6 degrees off the optical axis
        assert (camera[..., 2] - depth).abs().max() > 1e-3
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


@pytest.mark.parametrize(
    ("relative_depth", "depth_axis"),
    [("root", "camera"), ("parent", "camera"), ("both", "camera"), ("parent", "crop")],
)
def test_depth_maps_holding_their_targets_give_the_true_depths(relative_depth, depth_axis):
    """What ``depth_map_targets`` asks of the maps is what makes the head's depths right."""
    model = _model(relative_depth=relative_depth, depth_axis=depth_axis)
    poses = torch.randn(2, 3, 17, 3) * 0.3
    poses = poses - poses[..., ROOT : ROOT + 1, :]
    geometry = _geometry(2, 3)
    axis = crop_axis(geometry).expand(2, 3, 3) if depth_axis == "crop" else None
    targets = model.head.depth_map_targets(poses, axis)  # (2, 3, 17)
    depth = (poses * _depth_axis(depth_axis, geometry)[..., None, :]).sum(dim=-1)
    with torch.no_grad():  # the maps read the targets wherever the heatmaps are
        model.head.depths.weight.zero_()
        model.head.depths.bias.zero_()
    hook = model.head.depths.register_forward_hook(
        lambda module, args, out: out + targets.flatten(0, 1)[..., None, None]
    )
    with torch.no_grad():
        aux = model(torch.randn(2, 3, 3, SIDE, SIDE), geometry, return_aux=True)
    hook.remove()
    # The forward reports the axis its depths are along (what the depth-map term needs).
    if axis is None:
        assert "depth_axis" not in aux
    else:
        torch.testing.assert_close(aux["depth_axis"], axis)
    torch.testing.assert_close(aux["depth_rel"], depth)
    torch.testing.assert_close(aux["depth_maps"][..., 0, 0], targets)
    if relative_depth == "parent":
        torch.testing.assert_close(targets[..., 1:], depth[..., 1:] - depth[..., PARENTS[1:]])
    if relative_depth == "both":  # root-relative maps, then per-bone maps
        assert targets.shape[-1] == 34
        torch.testing.assert_close(targets[..., :17], depth)
        torch.testing.assert_close(targets[..., 18:], depth[..., 1:] - depth[..., PARENTS[1:]])
    if depth_axis == "crop":  # along the optical axis the maps would differ
        assert (model.head.depth_map_targets(poses) - targets).abs().max() > 1e-3


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


def _assert_starts_as_the_plain_head(model, frames, geometry):
    """``model`` with the plain model's weights for its shared layers predicts what it does."""
    plain = _model()
    model.load_state_dict(plain.state_dict(), strict=False)
    with torch.no_grad():
        torch.testing.assert_close(model(frames, geometry), plain(frames, geometry))


def test_an_untrained_depth_lifter_changes_nothing():
    frames, geometry = torch.randn(1, 3, 3, SIDE, SIDE), _geometry(1, 3)
    _assert_starts_as_the_plain_head(_model(depth_lifter=8), frames, geometry)


def test_depth_lifter_reads_neighbouring_frames_and_leaves_the_2d_alone():
    lifter = _model(depth_lifter=8).head.lifter
    with torch.no_grad():
        lifter.out.weight.normal_(0, 0.3)
    uv = (torch.rand(1, 5, 17, 2) * SIDE).requires_grad_()
    temporal = torch.randn(1, 5, 16)
    out = lifter(uv, temporal, SIDE)
    assert out.shape == (1, 5, 17)
    moved = uv.detach().clone()
    moved[:, 1, 3] += 4.0  # one joint of frame 1
    changed = (lifter(moved, temporal, SIDE) - out).abs().amax(dim=-1)[0]
    # two kernel-3 convolutions: each frame sees two neighbours each way
    assert (changed[:4] > 0).all() and (changed[4:] == 0).all()
    out.sum().backward()
    assert uv.grad is None  # the depth loss does not move the 2D joints


def test_depth_convs_give_depth_its_own_branch_and_leave_the_heatmaps_alone():
    model = _model(depth_convs=2)
    assert len(model.head.depth_branch) == 2 and len(_model().head.depth_branch) == 0
    with torch.no_grad():
        model.head.depths.weight.normal_(0, 0.3)
    frames, geometry = torch.randn(1, 3, 3, SIDE, SIDE), _geometry(1, 3)
    with torch.no_grad():
        before = model.forward_with_aux(frames, geometry)
        model.head.depth_branch[0][0].weight.mul_(-1.5)
        after = model.forward_with_aux(frames, geometry)
    torch.testing.assert_close(after["poses2d_input_px"], before["poses2d_input_px"])
    assert (after["depth_rel"] - before["depth_rel"]).abs().max() > 1e-4


def test_depth_bins_start_at_zero_and_read_the_expected_bin_centre():
    model = _model(depth_bins=5, relative_depth="parent")
    assert model.head.depths.out_channels == 17 * 5
    frames, geometry = torch.randn(1, 2, 3, SIDE, SIDE), _geometry(1, 2)
    with torch.no_grad():
        start = model.forward_with_aux(frames, geometry)
        assert float(start["depth_maps"].abs().max()) < 1e-7  # uniform over symmetric bins
        # every cell of joint j certain of bin 4 (+1 m), the others of bin 2 (0 m)
        model.head.depths.bias.view(17, 5)[:, 2] = 50.0
        model.head.depths.bias.view(17, 5)[3, 4] = 100.0
        certain = model.forward_with_aux(frames, geometry)
    maps = certain["depth_maps"]
    torch.testing.assert_close(maps[:, :, 3], torch.ones_like(maps[:, :, 3]))
    torch.testing.assert_close(maps[:, :, 4], torch.zeros_like(maps[:, :, 4]))
    # joint 3 (right ankle) is 1 m behind its parent, so behind the pelvis by that plus its
    # ancestors' bones, which read 0
    torch.testing.assert_close(certain["depth_rel"][..., 3], torch.ones(1, 2))


def test_head_temporal_convs_start_as_the_identity_and_then_see_the_next_frame():
    mixed = _model(head_temporal_convs=1)
    frames, geometry = torch.randn(1, 4, 3, SIDE, SIDE), _geometry(1, 4)
    _assert_starts_as_the_plain_head(mixed, frames, geometry)
    with torch.no_grad():
        mixed.head.temporal_mix[0].scale.fill_(1.0)
        before = mixed.forward_with_aux(frames, geometry)["poses2d_input_px"]
        changed = frames.clone()
        changed[:, 2] = torch.randn(3, SIDE, SIDE)  # frame 2 only
        after = mixed.forward_with_aux(changed, geometry)["poses2d_input_px"]
    moved = (after - before).abs().amax(dim=(-2, -1))[0]
    # frame 2 itself and its neighbours 1 and 3 move; frame 0 is two frames away
    assert float(moved[0]) == 0.0 and (moved[1:] > 0).all()


def test_head_temporal_convs_learn_from_a_zero_scale():
    model = _model(head_temporal_convs=1).train()
    aux = model.forward_with_aux(torch.randn(1, 3, 3, SIDE, SIDE), _geometry(1, 3))
    aux["poses2d_input_px"].square().sum().backward()
    assert float(model.head.temporal_mix[0].scale.grad.abs().sum()) > 0


def test_skip_stride_4_feeds_resfpn_stride_4_stage_to_the_heatmaps():
    model = _model(backbone="resfpn", skip_stride=4)
    assert model.head.skip_index == 0 and model.head.skip_after == 1
    assert _model(backbone="resfpn").head.skip is None  # stride 8: resfpn's own map
    frames, geometry = torch.randn(1, 2, 3, SIDE, SIDE), _geometry(1, 2)
    with torch.no_grad():
        before = model.forward_with_aux(frames, geometry)["poses2d_input_px"]
        model.head.skip[0].weight.mul_(-2.0)
        after = model.forward_with_aux(frames, geometry)["poses2d_input_px"]
    assert (after - before).abs().max() > 1e-4
