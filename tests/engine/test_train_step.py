"""The training step's inputs: augmentation really reaches the model, with matching targets."""

import numpy as np
import torch

from vidpose.clips.batch import ClipBatch
from vidpose.clips.clip_augment import unflip_poses3d
from vidpose.clips.clip_store import open_store
from vidpose.engine.data_order import epoch_order, train_step_indices
from vidpose.engine.losses import bone_loss
from vidpose.engine.train_step import Objective, StepInputs
from vidpose.models.crop_geometry import crop_axis
from vidpose.models.frame_input import normalize_frames
from vidpose.models.integral_losses import depth_map_loss, heatmap_loss
from vidpose.models.targets import PoseOutput
from vidpose.pose.skeleton import PARENTS
from vidpose.runs.run_config import TrainConfig, load_config
from vidpose.tracks import trainer as make_trainer

FLIP_ONLY = [
    "augment.flip=1.0",
    "augment.scale=0",
    "augment.rotation_deg=0",
    "augment.color=0",
]


class _Spy(torch.nn.Module):
    """Records what the training loop feeds the model, then runs it."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.inputs = []

    def forward(self, frames, geometry=None, return_aux=False):
        self.inputs.append(frames.detach().clone())
        return self.model(frames, geometry, return_aux=return_aux)


def test_a_flip_only_config_feeds_the_model_mirrored_clips(tiny_data, tiny_overrides, tmp_path):
    config = load_config(None, [*tiny_overrides, *FLIP_ONLY])
    trainer = make_trainer(config, tiny_data, tmp_path / "run", device="cpu", stop_after_steps=1)
    spy = _Spy(trainer.model)
    trainer.train_model = spy
    targets = []
    objective = trainer.objective
    trainer.objective = lambda outputs, batch, model: (
        targets.append(batch.poses3d.clone()) or objective(outputs, batch, model)
    )
    assert trainer.run().status == "stopped"

    order = epoch_order(trainer.data.train_size, config.seed, 0)
    indices = train_step_indices(order, 0, config.train.batch_size, 0, 1)
    store = open_store(tiny_data / "train")
    frames = torch.from_numpy(np.asarray(store.frames[indices]))
    expected = normalize_frames(frames.flip(-2), size=config.data.image_size)
    torch.testing.assert_close(spy.inputs[0], expected, atol=1e-5, rtol=0)
    poses = torch.from_numpy(store.poses3d[indices])
    torch.testing.assert_close(targets[0], unflip_poses3d(poses))


def test_no_augment_section_leaves_the_batch_alone(tiny_data, tiny_config):
    store = open_store(tiny_data / "train")
    from vidpose.clips.clip_source import ClipDataset

    inputs = StepInputs(tiny_config.augment, 32, torch.device("cpu"), seed=0)
    read = ClipDataset(store).get_batch(np.array([3, 1]))
    batch = inputs.prepare(read)
    torch.testing.assert_close(batch.inputs, normalize_frames(read.inputs, size=32))
    assert batch.poses3d is read.poses3d and batch.geometry is None
    # The 2D joints are carried to model-input pixels (24 px stored, 32 px input).
    torch.testing.assert_close(batch.poses2d, read.poses2d * (32 / 24))


def test_augmentation_draws_are_seeded_and_resumable(tiny_data, tiny_config):
    from vidpose.clips.clip_augment import AugmentConfig
    from vidpose.clips.clip_source import ClipDataset

    source = ClipDataset(open_store(tiny_data / "train"))
    augment = AugmentConfig(rotation_deg=20.0)
    first = StepInputs(augment, 24, torch.device("cpu"), seed=5)
    read = source.get_batch(np.array([0, 2, 4]))
    poses = read.poses3d
    first.prepare(read)
    state = first.state_dict()
    second = StepInputs(augment, 24, torch.device("cpu"), seed=99)
    second.load_state_dict(state)
    a = first.prepare(read)
    b = second.prepare(read)
    torch.testing.assert_close(a.inputs, b.inputs)
    torch.testing.assert_close(a.poses3d, b.poses3d)
    assert not torch.allclose(a.poses3d, poses)  # rotated about the camera axis


def test_a_turned_picture_turns_the_poses_about_the_crop_axis(tiny_data_with_geometry):
    from vidpose.clips.clip_augment import AugmentConfig
    from vidpose.clips.clip_source import ClipDataset

    source = ClipDataset(open_store(tiny_data_with_geometry / "train"))
    turn_only = AugmentConfig(
        flip=0.0, scale=0.0, rotation_deg=30.0, color=0.0, brightness=0.0, contrast=0.0, hue=0.0
    )
    inputs = StepInputs(turn_only, 24, torch.device("cpu"), seed=1)
    read = source.get_batch(np.array([0, 1, 2]))
    poses = read.poses3d
    batch = inputs.prepare(read)
    axis = crop_axis(batch.geometry)[..., None, :]  # no flip or zoom: the stored crops' axes

    def along_axis(p):
        return (p * axis).sum(dim=-1)

    torch.testing.assert_close(along_axis(batch.poses3d), along_axis(poses))
    assert not torch.allclose(batch.poses3d, poses, atol=1e-3)
    # The crops are off the optical axis, so a turn about camera z would keep Z instead.
    assert (batch.poses3d[..., 2] - poses[..., 2]).abs().max() > 1e-3


def _first_step(config, data, tmp_path):
    """Train one step of ``config``; (its objective, and the outputs, batch and model it saw)."""
    trainer = make_trainer(config, data, tmp_path / "run", device="cpu", stop_after_steps=1)
    seen = []
    objective = trainer.objective
    trainer.objective = lambda outputs, batch, model: (
        seen.append((outputs, batch, model)) or objective(outputs, batch, model)
    )
    assert trainer.run().status == "stopped"
    return objective, *seen[0]


def _without_head_terms(model) -> None:
    """``model`` with its integral head's loss weights at 0."""
    model.head.loss_weights = {**model.head.loss_weights, "heatmap_weight": 0.0}
    model.head.loss_weights.update(depth_map_weight=0.0, loss_2d_weight=0.0)


def test_the_heatmap_term_adds_its_weighted_kl_to_the_loss(tiny_data, tiny_overrides, tmp_path):
    integral = ["model.head=integral", "model.heatmap_stride=4", "model.heatmap_weight=0.5"]
    config = load_config(None, [*tiny_overrides, *integral, "model.heatmap_sigma=1.5"])
    objective, outputs, batch, model = _first_step(config, tiny_data, tmp_path)
    assert batch.poses2d is not None  # the store's 2D joints, loaded for this term alone
    size = int(batch.inputs.shape[-1])
    with_term = objective(outputs, batch, model)
    _without_head_terms(model)
    expected = objective(outputs, batch, model) + 0.5 * heatmap_loss(
        outputs["log_heatmaps"], batch.poses2d, size, sigma_cells=1.5
    )
    torch.testing.assert_close(with_term, expected)


def test_the_depth_map_term_adds_its_weighted_error_to_the_loss(
    tiny_data_with_geometry, tiny_overrides, tmp_path
):
    integral = ["model.head=integral", "model.heatmap_stride=4", "model.relative_depth=parent"]
    config = load_config(None, [*tiny_overrides, *integral, "model.depth_map_weight=2"])
    objective, outputs, batch, model = _first_step(config, tiny_data_with_geometry, tmp_path)
    assert batch.poses2d is not None and batch.geometry is not None
    size = int(batch.inputs.shape[-1])
    # The term grades each bone's camera depth, computed here from the batch's own poses.
    depth = batch.poses3d[..., 2]
    targets = depth - depth[..., torch.tensor(PARENTS).clamp_min(0)]
    term = depth_map_loss(outputs["depth_maps"], targets, batch.poses2d, size)
    with_term = objective(outputs, batch, model)
    _without_head_terms(model)
    expected = objective(outputs, batch, model) + 2.0 * term
    torch.testing.assert_close(with_term, expected)
    assert float(term.detach()) > 0


def test_the_bone_term_adds_its_weighted_bone_error_to_the_loss():
    pred, gt = torch.randn(2, 3, 17, 3), torch.randn(2, 3, 17, 3)
    batch = ClipBatch(torch.zeros(2, 3, 3, 8, 8), gt)
    outputs = {"poses3d": pred}
    plain = TrainConfig(loss="l1")
    with_bones = TrainConfig(loss="l1", bone_weight=2.0)
    model = PoseOutput()  # owns no terms of its own
    expected = Objective(plain)(outputs, batch, model) + 2.0 * bone_loss(pred, gt)
    torch.testing.assert_close(Objective(with_bones)(outputs, batch, model), expected)
