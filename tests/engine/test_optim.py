import math

import pytest
import torch

from vidpose.config import OptimConfig
from vidpose.engine.optim import build_optimizer, build_scheduler, lr_factor


def test_constant_schedule_with_warmup():
    config = OptimConfig(warmup_steps=4)
    assert [lr_factor(s, 100, config) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_cosine_schedule_decays_to_zero_at_the_end():
    config = OptimConfig(schedule="cosine", warmup_steps=10)
    assert lr_factor(9, 110, config) == 1.0
    assert lr_factor(10, 110, config) == 1.0
    assert lr_factor(60, 110, config) == pytest.approx(0.5)
    assert lr_factor(110, 110, config) == pytest.approx(0.0, abs=1e-12)
    assert all(lr_factor(s, 110, config) >= lr_factor(s + 1, 110, config) for s in range(10, 110))


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_optimizers_follow_the_schedule(name):
    weight = torch.nn.Parameter(torch.ones(3))
    config = OptimConfig(name=name, lr=0.1, schedule="cosine")
    optimizer = build_optimizer([weight], config)
    scheduler = build_scheduler(optimizer, config, total_steps=4)
    lrs = []
    for _ in range(4):
        lrs.append(optimizer.param_groups[0]["lr"])
        weight.sum().backward()
        optimizer.step()
        scheduler.step()
    assert lrs[0] == pytest.approx(0.1)
    assert lrs[2] == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert float(weight.detach().max()) < 1.0
