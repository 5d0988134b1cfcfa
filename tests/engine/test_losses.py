import pytest
import torch

from vidpose.engine.losses import (
    LOSSES,
    SMOOTH_L1_BETA,
    bone_loss,
    mpjpe_loss,
    velocity_loss,
)


def _poses(offset):
    """gt zeros and pred = gt + ``offset`` (a 3-vector) on every joint of 2 clips × 3 frames."""
    gt = torch.zeros(2, 3, 17, 3)
    return gt + torch.tensor(offset), gt


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mse", (0.03**2 + 0.04**2) / 3),  # mean of squared coordinate errors
        ("l1", (0.03 + 0.04) / 3),
        ("mpjpe", 0.05),  # |(0.03, 0.04, 0)| = 0.05 m on every joint
        # Huber per coordinate: both errors exceed beta = 1 cm → |e| - beta/2
        ("smooth_l1", ((0.03 - SMOOTH_L1_BETA / 2) + (0.04 - SMOOTH_L1_BETA / 2)) / 3),
    ],
)
def test_pose_losses_in_metres_have_their_closed_form(name, expected):
    pred, gt = _poses([0.03, 0.04, 0.0])
    assert float(LOSSES[name](pred, gt)) == pytest.approx(expected, rel=1e-5)


def test_smooth_l1_is_quadratic_below_beta():
    pred, gt = _poses([0.004, 0.0, 0.0])
    expected = 0.5 * 0.004**2 / SMOOTH_L1_BETA / 3
    assert float(LOSSES["smooth_l1"](pred, gt)) == pytest.approx(expected, rel=1e-5)


def test_normalized_units_divide_each_coordinate_by_its_scale():
    pred, gt = _poses([0.03, 0.04, 0.0])
    scale = torch.full((17, 3), 0.01)
    assert float(LOSSES["l1"](pred, gt, scale)) == pytest.approx((3 + 4) / 3, rel=1e-5)
    assert float(LOSSES["mpjpe"](pred, gt, scale)) == pytest.approx(5.0, rel=1e-5)


def test_mpjpe_loss_gradient_is_finite_at_a_perfect_joint():
    pred = torch.zeros(1, 2, 17, 3, requires_grad=True)
    mpjpe_loss(pred, torch.zeros(1, 2, 17, 3)).backward()
    assert torch.isfinite(pred.grad).all()


def test_velocity_loss_sees_only_motion_errors():
    gt = torch.zeros(1, 4, 17, 3)
    gt[:, :, :, 0] = torch.arange(4.0).view(1, 4, 1) * 0.1  # moves 0.1 m per frame in x
    shifted = gt + 0.05  # a constant offset has the right velocity
    assert float(velocity_loss(shifted, gt)) == pytest.approx(0.0, abs=1e-7)
    still = torch.zeros_like(gt)  # does not move: x velocity error 0.1 on every joint
    assert float(velocity_loss(still, gt, kind="l1")) == pytest.approx(0.1 / 3, rel=1e-5)
    assert float(velocity_loss(still, gt, kind="l2")) == pytest.approx(0.01 / 3, rel=1e-5)
    assert float(velocity_loss(still[:, :1], gt[:, :1])) == 0.0  # one frame: no velocity


def test_bone_loss_grades_each_bone_not_each_joint():
    gt = torch.randn(1, 2, 17, 3)
    shifted = gt + torch.tensor([0.3, -0.2, 0.1])  # every joint off, every bone right
    assert float(bone_loss(shifted, gt)) == pytest.approx(0.0, abs=1e-6)
    bent = gt.clone()
    bent[..., 2, 2] += 0.16  # the right knee 16 cm deeper: two bones (hip-knee, knee-ankle)
    # 2 bones × 0.16 m in one coordinate, over 16 bones × 3 coordinates
    assert float(bone_loss(bent, gt)) == pytest.approx(2 * 0.16 / 48, rel=1e-5)


def test_n_mpjpe_loss_ignores_a_uniform_scale():
    from vidpose.engine.losses import mpjpe_loss, n_mpjpe_loss

    gt = torch.randn(2, 3, 17, 3)
    assert n_mpjpe_loss(2.5 * gt, gt).item() < 1e-5
    pred = gt + 0.1 * torch.randn_like(gt)
    assert n_mpjpe_loss(pred, gt) <= mpjpe_loss(pred, gt) + 1e-6
