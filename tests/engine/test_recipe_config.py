"""The config keys of the training recipe: augment:, optim schedule/EMA, losses."""

import pytest

from vidpose.infra.errors import UserError
from vidpose.runs.run_config import load_config


def test_augmentation_is_off_without_a_section_and_on_with_one():
    assert not load_config(None).augment.enabled
    config = load_config(None, ["augment.flip=1.0", "augment.scale=0"])
    assert config.augment.enabled and config.augment.flip == 1.0 and config.augment.scale == 0
    assert not load_config(None, ["augment.enabled=false"]).augment.enabled


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["augment.flip=1.5"], "augment.flip: expected a value <= 1.0, got 1.5"),
        (["augment.rotate=3"], "augment.rotate: unknown key"),
        (
            ["optim.schedule=exp"],
            "optim.schedule: 'exp' is not one of constant, cosine, linear, step",
        ),
        (["optim.warmup_epochs=-1"], "optim.warmup_epochs: expected a value >= 0"),
        (["optim.warmup_epochs=1", "optim.warmup_steps=5"], "set only one of them"),
        (["optim.schedule=step"], "optim.step_milestones: schedule 'step' needs"),
        (["optim.step_milestones=[3, 2]"], "optim.step_milestones: expected increasing"),
        (["optim.step_milestones=[0]"], "optim.step_milestones: expected a list of epochs > 0"),
        (["optim.step_milestones=2"], "optim.step_milestones: expected a list"),
        (["optim.step_gamma=0"], "optim.step_gamma: expected a value > 0"),
        (["optim.step_gamma=2"], "optim.step_gamma: expected a value <= 1"),
        (["optim.ema_decay=1"], "optim.ema_decay: expected a value < 1"),
        (["optim.ema_decay=-0.1"], "optim.ema_decay: expected a value >= 0"),
        (["train.loss=huber"], "train.loss: 'huber' is not one of mse, l1, mpjpe, smooth_l1"),
        (["train.loss_units=cm"], "train.loss_units: 'cm' is not one of metres, normalized"),
        (["train.velocity_weight=-1"], "train.velocity_weight: expected a value >= 0"),
        (["train.velocity_loss=l3"], "train.velocity_loss: 'l3' is not one of l1, l2"),
        (["model.loss_2d_weight=-1"], "model.loss_2d_weight: expected a value >= 0"),
        (["model.loss_2d_weight=1"], "model.loss_2d_weight: 1.0 needs model.head: integral"),
        (["model.heatmap_weight=0.1"], "model.heatmap_weight: 0.1 needs model.head: integral"),
        (["model.heatmap_weight=-1"], "model.heatmap_weight: expected a value >= 0"),
        (["train.bone_weight=-1"], "train.bone_weight: expected a value >= 0"),
        (["model.depth_map_weight=1"], "model.depth_map_weight: 1.0 needs model.head: integral"),
        (["model.depth_map_weight=-1"], "model.depth_map_weight: expected a value >= 0"),
        (["model.heatmap_sigma=0"], "model.heatmap_sigma: expected a value > 0"),
        (["eval.flip_test=maybe"], "eval.flip_test: expected true or false"),
    ],
)
def test_bad_recipe_values_name_the_key(overrides, message):
    with pytest.raises(UserError) as info:
        load_config(None, overrides)
    assert message in str(info.value)


def test_good_recipe_values_load():
    config = load_config(
        None,
        [
            "optim.schedule=step",
            "optim.step_milestones=[2, 3.5]",
            "optim.ema_decay=0.999",
            "train.loss=smooth_l1",
            "train.loss_units=normalized",
            "model.head=integral",
            "model.loss_2d_weight=0.5",
            "model.heatmap_weight=0.1",
            "model.heatmap_sigma=1.5",
        ],
    )
    assert config.optim.step_milestones == [2, 3.5] and config.model.loss_2d_weight == 0.5
    assert config.model.heatmap_weight == 0.1 and config.model.heatmap_sigma == 1.5
