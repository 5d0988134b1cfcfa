"""The integral head's own loss terms, against closed forms."""

import math

import pytest
import torch

from vidpose.models.integral_losses import depth_map_loss, heatmap_loss, loss_2d


def test_2d_loss_is_in_units_of_the_input_side():
    pred = torch.full((1, 2, 17, 2), 10.0)
    assert float(loss_2d(pred, torch.full_like(pred, 6.0), input_size=64)) == pytest.approx(
        4.0 / 64
    )
    assert math.isclose(float(loss_2d(pred, pred, 64)), 0.0)


def _gaussian_log_heatmap(centre_px, cells, input_size, sigma_cells):
    """log of a normalised Gaussian on a cells × cells grid tiling the input (a reference built
    independently of heatmap_loss: from the cell centres written out by hand)."""
    step = input_size / cells
    centres = torch.tensor([(i + 0.5) * step - 0.5 for i in range(cells)])
    sigma = sigma_cells * step
    weights = torch.exp(-0.5 * ((centres[:, None] - centre_px[1]) ** 2) / sigma**2) * torch.exp(
        -0.5 * ((centres[None, :] - centre_px[0]) ** 2) / sigma**2
    )
    return (weights / weights.sum()).log()


def test_heatmap_loss_is_zero_for_the_target_and_log_cells_minus_entropy_for_uniform():
    cells, size = 16, 64
    joint = torch.tensor([20.0, 30.0])
    gt = joint.expand(1, 2, 17, 2)
    target = _gaussian_log_heatmap(joint, cells, size, 1.5).expand(1, 2, 17, cells, cells)
    assert float(heatmap_loss(target, gt, size, sigma_cells=1.5)) == pytest.approx(0.0, abs=1e-5)
    uniform = torch.full((1, 2, 17, cells, cells), -math.log(cells * cells))
    entropy = -(target.exp() * target).sum(dim=(-2, -1)).mean()
    expected = math.log(cells * cells) - float(entropy)  # KL(g || uniform)
    assert float(heatmap_loss(uniform, gt, size, 1.5)) == pytest.approx(expected, rel=1e-5)


def test_heatmap_loss_prefers_one_peak_at_the_joint_to_two_around_it():
    """Two blobs either side of the joint have the right soft-argmax (so loss_2d is 0) but
    not the right shape."""
    cells, size = 16, 64
    joint = torch.tensor([30.0, 30.0])
    left = _gaussian_log_heatmap(joint - torch.tensor([12.0, 0.0]), cells, size, 1.0).exp()
    right = _gaussian_log_heatmap(joint + torch.tensor([12.0, 0.0]), cells, size, 1.0).exp()
    two_peaks = (0.5 * (left + right)).log().expand(1, 1, 17, cells, cells)
    one_peak = _gaussian_log_heatmap(joint, cells, size, 1.0).expand(1, 1, 17, cells, cells)
    gt = joint.expand(1, 1, 17, 2)
    assert float(heatmap_loss(two_peaks, gt, size)) > 1.0 > float(heatmap_loss(one_peak, gt, size))


def test_heatmap_loss_leaves_out_joints_outside_the_input():
    cells, size = 8, 32
    inside, outside = torch.tensor([10.0, 12.0]), torch.tensor([-5.0, 12.0])
    log_heatmaps = torch.randn(1, 1, 17, cells, cells).flatten(-2).log_softmax(-1)
    log_heatmaps = log_heatmaps.view(1, 1, 17, cells, cells)
    only_inside = heatmap_loss(log_heatmaps[:, :, :1], inside.expand(1, 1, 1, 2), size)
    gt = torch.cat([inside.expand(1, 1, 1, 2), outside.expand(1, 1, 16, 2)], dim=2)
    assert float(heatmap_loss(log_heatmaps, gt, size)) == pytest.approx(float(only_inside))
    assert float(heatmap_loss(log_heatmaps, outside.expand(1, 1, 17, 2), size)) == 0.0


def test_heatmap_loss_has_a_gradient_where_the_softmax_underflows():
    logits = torch.full((1, 1, 17, 8, 8), -200.0)
    logits[..., 0, 0] = 200.0  # all mass in a corner, the joint elsewhere
    logits.requires_grad_(True)
    log_heatmaps = logits.flatten(-2).log_softmax(-1).view_as(logits)
    loss = heatmap_loss(log_heatmaps, torch.full((1, 1, 17, 2), 20.0), 32)
    loss.backward()
    assert torch.isfinite(loss) and float(loss.detach()) > 100
    assert float(logits.grad[..., 5, 5].min()) < 0  # pushes mass towards the joint


def test_depth_map_loss_is_the_error_under_the_gaussian_at_the_true_joint():
    cells, size = 16, 64
    joint = torch.tensor([20.0, 30.0])
    gt_px = joint.expand(1, 2, 17, 2)
    targets = torch.linspace(-0.3, 0.3, 17).expand(1, 2, 17)
    exact = targets[..., None, None].expand(1, 2, 17, cells, cells)
    assert float(depth_map_loss(exact, targets, gt_px, size)) == pytest.approx(0.0, abs=1e-7)
    assert float(depth_map_loss(exact + 0.05, targets, gt_px, size)) == pytest.approx(0.05)
    # a map wrong by 1 m everywhere except within two cells of the joint: the Gaussian
    # (1 cell wide) weighs the far cells by exp(-2) at most, so the error is well under 1 m
    weights = _gaussian_log_heatmap(joint, cells, size, 1.0).exp()
    far = (weights < weights.max() * math.exp(-2.0)).to(exact.dtype)
    wrong_far = exact + far
    expected = float((weights * far).sum())
    assert float(depth_map_loss(wrong_far, targets, gt_px, size)) == pytest.approx(expected)
    assert expected < 0.2


def test_depth_map_loss_grades_each_set_of_17_maps_at_its_joints():
    cells, size = 8, 32
    generator = torch.Generator().manual_seed(1)
    maps = torch.randn(1, 2, 34, cells, cells, generator=generator)
    targets = torch.randn(1, 2, 34, generator=generator)
    gt = torch.rand(1, 2, 17, 2, generator=generator) * size
    first = depth_map_loss(maps[:, :, :17], targets[..., :17], gt, size)
    second = depth_map_loss(maps[:, :, 17:], targets[..., 17:], gt, size)
    both = depth_map_loss(maps, targets, gt, size)
    assert float(both) == pytest.approx((float(first) + float(second)) / 2)
    assert float(first) != pytest.approx(float(second))
    # A map count that is not a whole number of sets is a wiring error, not a smaller set.
    with pytest.raises(RuntimeError):
        depth_map_loss(maps[:, :, :20], targets[..., :20], gt, size)


def test_depth_map_loss_leaves_out_joints_outside_the_input():
    cells, size = 8, 32
    inside, outside = torch.tensor([10.0, 12.0]), torch.tensor([40.0, 12.0])
    maps, targets = torch.randn(1, 1, 17, cells, cells), torch.randn(1, 1, 17)
    only_inside = depth_map_loss(maps[:, :, :1], targets[..., :1], inside.expand(1, 1, 1, 2), size)
    gt = torch.cat([inside.expand(1, 1, 1, 2), outside.expand(1, 1, 16, 2)], dim=2)
    assert float(depth_map_loss(maps, targets, gt, size)) == pytest.approx(float(only_inside))
    assert float(depth_map_loss(maps, targets, outside.expand(1, 1, 17, 2), size)) == 0.0
