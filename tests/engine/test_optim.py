import math

import pytest
import torch

from vidpose.engine.optim import WeightAverage, build_optimizer, build_scheduler, lr_factor
from vidpose.runs.run_config import OptimConfig


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


def test_linear_schedule_falls_along_a_straight_line_to_zero():
    config = OptimConfig(schedule="linear", warmup_steps=10)
    assert lr_factor(9, 110, config) == 1.0
    assert lr_factor(10, 110, config) == 1.0
    # a quarter of the way down it is 0.75, where the cosine is still 0.85
    assert lr_factor(35, 110, config) == pytest.approx(0.75)
    assert lr_factor(60, 110, config) == pytest.approx(0.5)
    assert lr_factor(85, 110, config) == pytest.approx(0.25)
    assert lr_factor(110, 110, config) == 0.0
    cosine = OptimConfig(schedule="cosine", warmup_steps=10)
    assert lr_factor(35, 110, cosine) == pytest.approx(0.854, abs=1e-3)


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


def test_step_schedule_multiplies_by_gamma_at_each_milestone_epoch():
    config = OptimConfig(schedule="step", step_milestones=[2, 3.5], step_gamma=0.5)
    steps_per_epoch = 10
    factors = {s: lr_factor(s, 50, config, steps_per_epoch) for s in (0, 19, 20, 34, 35, 49)}
    assert factors == {0: 1.0, 19: 1.0, 20: 0.5, 34: 0.5, 35: 0.25, 49: 0.25}


def test_warmup_in_epochs_counts_steps_per_epoch():
    config = OptimConfig(schedule="cosine", warmup_epochs=0.5)
    # 0.5 epoch of 8 steps = 4 warm-up steps, then the cosine over the remaining 36
    assert [lr_factor(s, 40, config, 8) for s in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert lr_factor(4 + 18, 40, config, 8) == pytest.approx(0.5)


def test_weight_average_follows_the_ema_formula():
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    average = WeightAverage(model, decay=0.9)
    expected = 0.0
    for n, value in enumerate([1.0, 2.0, 3.0, 4.0]):
        with torch.no_grad():
            model.weight.fill_(value)
        decay = min(0.9, (1 + n) / (10 + n))  # the ramp over the first updates
        expected = decay * expected + (1 - decay) * value
        average.update(model)
        assert average.current_decay() == pytest.approx(min(0.9, (2 + n) / (11 + n)))
        assert float(average.module.weight) == pytest.approx(expected, rel=1e-6)
    assert float(model.weight.detach()) == 4.0  # the model itself is untouched
    assert not average.module.weight.requires_grad


def test_weight_average_state_round_trips():
    model = torch.nn.BatchNorm1d(2)
    average = WeightAverage(model, decay=0.5)
    model(torch.randn(4, 2))  # moves the running stats and the batch counter
    average.update(model)
    restored = WeightAverage(torch.nn.BatchNorm1d(2), decay=0.5)
    restored.load_state_dict(average.state_dict())
    assert restored.updates == 1
    for key, value in average.module.state_dict().items():
        assert torch.equal(restored.module.state_dict()[key], value), key
    assert int(restored.module.num_batches_tracked) == 1  # integer buffers are copied


def test_weight_average_keeps_following_after_the_model_loads_weights():
    # load_state_dict copies in place, so the average must still track the live tensors.
    model = torch.nn.Linear(2, 1)
    average = WeightAverage(model, decay=0.0)  # decay 0 (ramp aside: min(0, ...) = 0): copy
    average.update(model)
    model.load_state_dict({"weight": torch.full((1, 2), 7.0), "bias": torch.full((1,), -1.0)})
    average.update(model)
    assert torch.equal(average.module.weight, torch.full((1, 2), 7.0))
    assert torch.equal(average.module.bias, torch.full((1,), -1.0))
