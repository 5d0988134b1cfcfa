import math

import torch

from vidpose.engine.distributed import Context
from vidpose.engine.step_metrics import StepMetrics

CONTEXT = Context(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))


def test_steps_are_read_back_in_one_block_as_clip_weighted_rows():
    metrics = StepMetrics(CONTEXT, every=2)
    metrics.add(torch.tensor(0.5), torch.tensor(0.1), 3, epoch=1, step=1, lr=1e-3, elapsed_s=0.2)
    assert not metrics.due and len(metrics) == 1
    metrics.add(torch.tensor(0.25), torch.tensor(0.2), 1, epoch=1, step=2, lr=5e-4, elapsed_s=0.4)
    assert metrics.due
    back = metrics.read_back(stop_requested=True)
    assert back.stop and back.finite and len(metrics) == 0
    assert [(r.epoch, r.step, r.lr, r.elapsed_s) for r in back.rows] == [
        (1, 1, 1e-3, 0.2),
        (1, 2, 5e-4, 0.4),
    ]
    assert [r.loss for r in back.rows] == [0.5, 0.25]
    assert math.isclose(back.rows[0].mpjpe_mm, 100.0, rel_tol=1e-6)
    torch.testing.assert_close(back.step_sums.sum(0)[[0, 2]], torch.tensor([1.75, 4.0]).double())


def test_a_non_finite_step_is_reported():
    metrics = StepMetrics(CONTEXT)
    metrics.add(
        torch.tensor(float("nan")), torch.tensor(0.1), 2, epoch=1, step=1, lr=1.0, elapsed_s=0.0
    )
    back = metrics.read_back()
    assert not back.finite and not back.stop and math.isnan(back.rows[0].loss)


def test_nothing_pending_reads_back_empty():
    back = StepMetrics(CONTEXT).read_back()
    assert back.rows == [] and back.step_sums.shape == (0, 3) and back.finite
