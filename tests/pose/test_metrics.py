"""Metrics against closed-form cases, invariances, an independent P-MPJPE solver, and torch."""

import numpy as np
import pytest
import torch

from vidpose.pose import metrics


def random_poses(shape=(3, 5), seed=0) -> np.ndarray:
    """Non-degenerate 3D poses (*shape, 17, 3), ~0.3 m spread, metres."""
    return np.random.default_rng(seed).normal(scale=0.3, size=(*shape, 17, 3))


def rotation(axis, angle) -> np.ndarray:
    axis = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def horn_p_mpjpe_mm(pred: np.ndarray, gt: np.ndarray) -> float:
    """P-MPJPE by Horn's quaternion method, frame by frame: an independent solver that only
    ever yields proper rotations (unit quaternions), so reflections are excluded by design."""
    errors = []
    for p, g in zip(pred.reshape(-1, 17, 3), gt.reshape(-1, 17, 3), strict=True):
        p0, g0 = p - p.mean(0), g - g.mean(0)
        (sxx, sxy, sxz), (syx, syy, syz), (szx, szy, szz) = p0.T @ g0  # S_ab = sum p_a g_b
        n = np.array(
            [
                [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
                [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
                [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
                [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
            ]
        )
        q0, qx, qy, qz = np.linalg.eigh(n)[1][:, -1]
        r = np.array(
            [
                [q0**2 + qx**2 - qy**2 - qz**2, 2 * (qx * qy - q0 * qz), 2 * (qx * qz + q0 * qy)],
                [2 * (qy * qx + q0 * qz), q0**2 - qx**2 + qy**2 - qz**2, 2 * (qy * qz - q0 * qx)],
                [2 * (qz * qx - q0 * qy), 2 * (qz * qy + q0 * qx), q0**2 - qx**2 - qy**2 + qz**2],
            ]
        )  # rotates column vectors: g ≈ scale * r @ p
        rotated = p0 @ r.T
        scale = (rotated * g0).sum() / (p0**2).sum()
        aligned = scale * rotated + g.mean(0)
        errors.append(np.linalg.norm(aligned - g, axis=-1).mean())
    return 1000 * float(np.mean(errors))


def test_mse_and_mpjpe_closed_form():
    gt = random_poses()
    pred = gt + np.array([0.003, 0.004, 0.0])  # every joint 5 mm off
    assert metrics.mpjpe_mm(pred, gt) == pytest.approx(5.0)
    assert metrics.mpjpe(pred, gt) == pytest.approx(0.005)
    assert metrics.mse(pred, gt) == pytest.approx((0.003**2 + 0.004**2) / 3)
    assert isinstance(metrics.mpjpe_mm(pred, gt), float)


def test_mpjpe_is_the_reports_equation_2():
    gt, pred = random_poses((4, 8)), random_poses((4, 8), seed=1)
    n, t, j = gt.shape[:3]
    total = sum(
        np.sqrt(((pred[a, b, c] - gt[a, b, c]) ** 2).sum())
        for a in range(n)
        for b in range(t)
        for c in range(j)
    )
    assert metrics.mpjpe_mm(pred, gt) == pytest.approx(1000 * total / (n * t * j))
    assert metrics.mse(pred, gt) == pytest.approx(((pred - gt) ** 2).sum() / (n * t * j * 3))


def test_pure_translation():
    gt = random_poses()
    pred = gt + np.array([0.1, -0.2, 0.05])
    assert metrics.mpjpe_mm(pred, gt) == pytest.approx(1000 * np.sqrt(0.01 + 0.04 + 0.0025))
    assert metrics.p_mpjpe_mm(pred, gt) == pytest.approx(0.0, abs=1e-6)
    assert metrics.mpjve_mm(pred, gt) == pytest.approx(0.0, abs=1e-9)
    assert metrics.n_mpjpe_mm(pred, gt) > 1.0  # scale alone cannot undo a translation


def test_rotation_is_aligned_away_by_p_mpjpe_only():
    gt = random_poses()
    pred = gt @ rotation([0.2, 1.0, -0.3], 0.7).T
    assert metrics.mpjpe_mm(pred, gt) > 50
    assert metrics.p_mpjpe_mm(pred, gt) == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(metrics.align_procrustes(pred, gt), gt, atol=1e-9)


def test_uniform_scale():
    gt = random_poses()
    pred = 1.5 * gt
    expected = 500 * np.linalg.norm(gt, axis=-1).mean()
    assert metrics.mpjpe_mm(pred, gt) == pytest.approx(expected)
    assert metrics.p_mpjpe_mm(pred, gt) == pytest.approx(0.0, abs=1e-6)
    assert metrics.n_mpjpe_mm(pred, gt) == pytest.approx(0.0, abs=1e-6)


def test_reflection_is_not_aligned_away():
    gt = random_poses()
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    error = metrics.p_mpjpe_mm(mirrored, gt)
    assert error > 50  # a reflection-allowing fit would reach 0
    assert error == pytest.approx(horn_p_mpjpe_mm(mirrored, gt), abs=1e-6)
    # The fitted transform is a proper rotation: the aligned pose keeps the mirror's handedness.
    aligned = metrics.align_procrustes(mirrored, gt)
    a = aligned[..., [1, 4, 7], :] - aligned[..., :1, :]
    m = mirrored[..., [1, 4, 7], :] - mirrored[..., :1, :]
    assert (np.sign(np.linalg.det(a)) == np.sign(np.linalg.det(m))).all()


def test_p_mpjpe_matches_an_independent_solver():
    gt = random_poses((2, 6))
    pred = 0.8 * gt @ rotation([1, 2, 3], 2.0).T + random_poses((2, 6), seed=3) * 0.4 + 0.5
    assert metrics.p_mpjpe_mm(pred, gt) == pytest.approx(horn_p_mpjpe_mm(pred, gt), abs=1e-6)


def test_procrustes_alignment_is_least_squares_optimal():
    gt, pred = random_poses((1,), seed=4)[0], random_poses((1,), seed=5)[0]
    aligned = metrics.align_procrustes(pred, gt)
    best = ((aligned - gt) ** 2).sum()
    rng = np.random.default_rng(6)
    centre = aligned.mean(0)
    for _ in range(50):
        turn = rotation(rng.normal(size=3), rng.uniform(-0.05, 0.05))
        moved = (aligned - centre) @ turn.T * rng.uniform(0.95, 1.05) + centre
        moved = moved + rng.normal(scale=0.01, size=3)
        assert ((moved - gt) ** 2).sum() >= best - 1e-12


def test_similarity_invariances():
    gt = random_poses()
    pred = gt + random_poses(seed=7) * 0.2
    moved = 2.3 * pred @ rotation([0, 1, 1], 1.1).T + np.array([1.0, 2.0, 3.0])
    assert metrics.p_mpjpe_mm(moved, gt) == pytest.approx(metrics.p_mpjpe_mm(pred, gt))
    assert metrics.n_mpjpe_mm(3.0 * pred, gt) == pytest.approx(metrics.n_mpjpe_mm(pred, gt))
    # MPJVE ignores a different constant offset per clip (first differences within clips).
    offsets = np.random.default_rng(8).normal(size=(pred.shape[0], 1, 1, 3))
    assert metrics.mpjve_mm(pred + offsets, gt) == pytest.approx(metrics.mpjve_mm(pred, gt))


def test_n_mpjpe_uses_the_least_squares_scale_without_centring():
    gt = random_poses((1, 1))
    pred = 0.7 * gt + 0.05  # the offset makes centring matter
    scales = np.linspace(0.5, 2.5, 20001)
    sq_errors = [((s * pred - gt) ** 2).sum() for s in scales]
    best = scales[int(np.argmin(sq_errors))]
    expected = 1000 * np.linalg.norm(best * pred - gt, axis=-1).mean()
    assert metrics.n_mpjpe_mm(pred, gt) == pytest.approx(expected, abs=1e-2)


def test_degenerate_prediction_collapsed_to_a_point():
    gt = random_poses((2,))
    pred = np.zeros_like(gt)
    spread = 1000 * np.linalg.norm(gt - gt.mean(axis=-2, keepdims=True), axis=-1).mean()
    assert metrics.p_mpjpe_mm(pred, gt) == pytest.approx(spread)
    assert metrics.n_mpjpe_mm(pred, gt) == pytest.approx(metrics.mpjpe_mm(pred, gt))


def test_mpjve_time_axis_and_linear_drift():
    gt = random_poses((3, 8))
    step = np.array([0.0, 0.006, 0.008])  # 10 mm further every frame
    drift = gt + np.arange(8)[None, :, None, None] * step
    assert metrics.mpjve_mm(drift, gt) == pytest.approx(10.0)
    # (F, 17, 3) differences along axis 0; (N, T, 17, 3) within each clip only.
    jumpy = gt + np.arange(3)[:, None, None, None] * 1.0  # each clip shifted by 1 m
    assert metrics.mpjve_mm(jumpy, gt) == pytest.approx(0.0, abs=1e-9)
    flat = metrics.mpjve_mm(jumpy.reshape(-1, 17, 3), gt.reshape(-1, 17, 3))
    assert flat == pytest.approx(1000 * np.sqrt(3) * 2 / 23)  # 2 clip boundaries of 23 steps
    with pytest.raises(ValueError):
        metrics.mpjve_mm(gt[:, :1], gt[:, :1])


def test_frame_errors_and_per_joint():
    gt = random_poses((2, 4))
    pred = gt.copy()
    pred[..., 5, :] += [0.0, 0.0, 0.034]
    per_joint = metrics.per_joint_mpjpe_mm(pred, gt)
    assert per_joint.shape == (17,)
    np.testing.assert_allclose(per_joint, np.where(np.arange(17) == 5, 34.0, 0.0), atol=1e-9)
    frames = metrics.frame_errors_mm(pred, gt, "p1")
    assert frames.shape == (2, 4)
    np.testing.assert_allclose(frames, 2.0)
    for protocol, total in (("p2", metrics.p_mpjpe_mm), ("n", metrics.n_mpjpe_mm)):
        errors = metrics.frame_errors_mm(pred, gt, protocol)
        assert errors.shape == (2, 4)
        assert errors.mean() == pytest.approx(total(pred, gt))
    with pytest.raises(ValueError):
        metrics.frame_errors_mm(pred, gt, "p3")


def test_group_mean_frame_average_vs_group_average():
    result = metrics.group_mean([1.0, 1.0, 1.0, 4.0], ["Walk", "Walk", "Walk", "Eat"])
    assert result["groups"] == {"Eat": 4.0, "Walk": 1.0}
    assert result["frame_average"] == pytest.approx(1.75)
    assert result["group_average"] == pytest.approx(2.5)
    # Per-frame errors (N, T) grouped by per-clip labels (N,).
    values = np.array([[1.0, 3.0], [10.0, 10.0], [5.0, 7.0]])
    result = metrics.group_mean(values, ["a", "b", "a"])
    assert result["groups"] == {"a": 4.0, "b": 10.0}
    assert result["frame_average"] == pytest.approx(6.0)
    assert result["group_average"] == pytest.approx(7.0)
    with pytest.raises(ValueError):
        metrics.group_mean(values, ["a", "b"])


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        metrics.mpjpe(random_poses((2,)), random_poses((3,)))


SCALAR_METRICS = [
    metrics.mse,
    metrics.mpjpe,
    metrics.mpjpe_mm,
    metrics.p_mpjpe_mm,
    metrics.n_mpjpe_mm,
    metrics.mpjve_mm,
]


@pytest.mark.parametrize("metric", SCALAR_METRICS, ids=lambda f: f.__name__)
def test_torch_and_numpy_agree(metric):
    gt = random_poses((2, 5))
    pred = gt + random_poses((2, 5), seed=9) * 0.3
    expected = metric(pred, gt)
    as64 = metric(torch.from_numpy(pred), torch.from_numpy(gt))
    assert isinstance(as64, torch.Tensor) and as64.dtype == torch.float64
    assert as64.item() == pytest.approx(expected, rel=1e-10)
    as32 = metric(torch.from_numpy(pred).float(), torch.from_numpy(gt).float())
    assert as32.dtype == torch.float32
    assert as32.item() == pytest.approx(expected, rel=1e-4)


def test_torch_vectors_agree():
    gt = random_poses((2, 5))
    pred = gt + random_poses((2, 5), seed=10) * 0.3
    for protocol in metrics.PROTOCOLS:
        np.testing.assert_allclose(
            metrics.frame_errors_mm(torch.from_numpy(pred), torch.from_numpy(gt), protocol),
            metrics.frame_errors_mm(pred, gt, protocol),
        )
    np.testing.assert_allclose(
        metrics.per_joint_mpjpe_mm(torch.from_numpy(pred), torch.from_numpy(gt)),
        metrics.per_joint_mpjpe_mm(pred, gt),
    )


def test_torch_p_mpjpe_is_differentiable():
    gt = torch.from_numpy(random_poses((1, 2)))
    pred = (gt + torch.from_numpy(random_poses((1, 2), seed=11)) * 0.3).requires_grad_()
    assert torch.autograd.gradcheck(metrics.p_mpjpe_mm, (pred, gt))
    loss = metrics.mpjpe_mm(pred, gt)
    loss.backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0
