"""The run config: dataclasses loaded from YAML, with ``--set a.b=value`` overrides.

Each track has its own run config; the ``optim``, ``train`` and ``eval`` sections and the seed
are the same for both::

             ClipRunConfig (image models)       LifterRunConfig (lifters)
    model:   ModelConfig                        LifterConfig           (vidpose.models.settings)
    data:    DataConfig                         LifterDataConfig       what the model reads
    augment: AugmentConfig (vidpose.clips.clip_augment)    KeypointAugmentConfig  (vidpose.lifting.keypoint_augment)
    optim:   OptimConfig   optimizer, learning-rate schedule, gradient clipping, EMA
    train:   TrainConfig   epochs, batch size, loss, logging
    eval:    EvalConfig    test-time settings
    seed:    int

A config file's model section tells its track: a lifter's names ``model.lifter``
(:func:`run_config`). ``augment`` is off when the section is absent, on when it is given
(unless ``enabled: false``).

Every key a user can get wrong is checked when the config is loaded, every section the same
way (``vidpose.infra.config_sections.load_section``: types and ranges from the fields, then the
section's rules between fields, then the run config's rules between sections); a mistake is
one ``UserError`` naming the key and what is allowed (``optim.name: 'adamx' is not one of
adam, adamw, sgd``). Configs saved by earlier versions load: the integral head's loss weights,
once ``train:`` keys, move under ``model:`` (``MOVED_FROM_TRAIN``), and the other track's keys
of the one model section both tracks shared are dropped at the values they then held. The
resolved config is saved in every run folder with ``to_dict``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from vidpose.clips.clip_augment import AugmentConfig
from vidpose.infra.config_sections import at_least, choices, load_section
from vidpose.infra.errors import UserError, read_utf8, reject_unknown_keys
from vidpose.lifting.keypoint_augment import KeypointAugmentConfig
from vidpose.models.settings import (
    CLIPS,
    LIFTER,
    MOVED_FROM_TRAIN,
    LifterConfig,
    ModelConfig,
    model_kind,
)


class _NumberLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading every number Python's ``float()`` accepts as a number.

    PyYAML follows YAML 1.1, where a float needs a dot and a signed exponent, so ``5e-4``,
    ``1e3`` or ``1E-3`` would be strings; YAML 1.2, JSON and Python all read them as numbers.
    """


_PYTHON_FLOAT = re.compile(
    r"""^[-+]?(?:(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9][0-9_]*)?
    |inf|infinity|nan)$""",
    re.IGNORECASE | re.VERBOSE,
)
# Checked after PyYAML's own resolvers, so 12 stays an int and 1.5 a float as before.
_NumberLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", _PYTHON_FLOAT, list("-+0123456789.iInN")
)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_NumberLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass
class DataConfig:
    """What an image model sees (the clip track).

    - ``clip_frames``: frames per clip; ``null`` takes the stores' clip length, a number must
      match it (the report's clips are 8 frames).
    - ``image_size``: side of the square model input in pixels; stored frames of another size
      are resized on the fly (bilinear, antialiased).
    """

    #: The lifter keys of the data section both tracks once shared, at their unused values.
    FOREIGN_KEYS: ClassVar[dict[str, Any]] = {
        "keypoints": None,
        "sample_stride": 1,
        "output_frames": None,
    }
    FOREIGN_NOTE: ClassVar[str] = "only applies to lifters (model.lifter)"

    clip_frames: int | None = field(default=None, metadata=at_least(1))
    image_size: int = field(default=224, metadata=at_least(8))


@dataclass
class LifterDataConfig:
    """What a lifter reads from its sequence stores (the lifting track; vidpose.lifting).

    - ``keypoints``: the store's named 2D source to lift (``gt``, ``cpn``, ...; ``null``: the
      store's default).
    - ``sample_stride``: training samples start at every n-th frame of every sequence (the
      50-fps frames are nearly repeated; evaluation always covers every frame).
    - ``output_frames``: consecutive frames each training sample predicts (``null``: 1 for the
      tcn and mlp, as VideoPose3D trains; the window for the transformer). The velocity loss
      needs at least 2.
    """

    #: The image-model keys of the data section both tracks once shared, at their defaults.
    FOREIGN_KEYS: ClassVar[dict[str, Any]] = {"clip_frames": None, "image_size": 224}
    FOREIGN_NOTE: ClassVar[str] = (
        "only applies to image models; a lifter reads whole sequences: set "
        "model.receptive_field (and data.output_frames) instead, or null"
    )

    keypoints: str | None = None
    sample_stride: int = field(default=1, metadata=at_least(1))
    output_frames: int | None = field(default=None, metadata=at_least(1))


@dataclass
class OptimConfig:
    """Optimizer, learning-rate schedule (stepped once per optimizer step), clipping and EMA.

    - ``schedule``: ``constant``; ``cosine`` (decays to 0 at the last step after warm-up);
      ``linear`` (the same, along a straight line);
      ``step`` (multiplies the lr by ``step_gamma`` at each epoch in ``step_milestones``).
    - ``warmup_steps`` or ``warmup_epochs`` (one of them, not both): linear warm-up from
      lr/warm-up length to lr; epochs may be fractional.
    - ``grad_clip``: max global gradient norm, 0 = off.
    - ``ema_decay``: exponential moving average of the weights, 0 = off. When on, the EMA
      weights are evaluated every epoch and are the ``model`` weights of ``best.pt`` and
      ``last.pt``; the raw weights stay in ``last.pt``'s training state for resuming.
    """

    name: str = field(default="adam", metadata=choices("adam", "adamw", "sgd"))
    lr: float = field(default=1e-3, metadata={"min_exclusive": 0.0})
    weight_decay: float = field(default=0.0, metadata=at_least(0.0))
    momentum: float = field(default=0.9, metadata=at_least(0.0))  # sgd only
    schedule: str = field(
        default="constant", metadata=choices("constant", "cosine", "linear", "step")
    )
    warmup_steps: int = field(default=0, metadata=at_least(0))
    warmup_epochs: float = field(default=0.0, metadata=at_least(0.0))
    step_milestones: list = field(default_factory=list)  # epochs, increasing
    step_gamma: float = field(default=0.1, metadata={"min_exclusive": 0.0, "max": 1.0})
    grad_clip: float = field(default=0.0, metadata=at_least(0.0))
    ema_decay: float = field(default=0.0, metadata={"min": 0.0, "max_exclusive": 1.0})

    def validate(self, prefix: str = "optim") -> None:
        """The rules between the fields: one warm-up length; increasing milestones, at least
        one for the ``step`` schedule."""
        if self.warmup_steps and self.warmup_epochs:
            raise UserError(
                f"{prefix}.warmup_epochs: {self.warmup_epochs!r} given with {prefix}.warmup_steps "
                f"{self.warmup_steps!r}; set only one of them"
            )
        milestones = self.step_milestones
        epochs = (not isinstance(m, bool) and isinstance(m, (int, float)) for m in milestones)
        if not all(epochs) or any(m <= 0 for m in milestones):
            raise UserError(
                f"{prefix}.step_milestones: expected a list of epochs > 0, got {milestones!r}"
            )
        if list(milestones) != sorted(set(milestones)):
            raise UserError(
                f"{prefix}.step_milestones: expected increasing epochs, got {milestones!r}"
            )
        if self.schedule == "step" and not milestones:
            raise UserError(f"{prefix}.step_milestones: schedule 'step' needs at least one epoch")


@dataclass
class TrainConfig:
    """The training loop.

    - ``batch_size``: clips per step and per process (under torchrun the global batch is
      ``batch_size × processes``).
    - ``loss``: ``mse`` (the report's eq. 1), ``l1``, ``mpjpe`` (mean joint distance) or
      ``smooth_l1`` (Huber, 1 cm / 1 std wide); see vidpose.engine.losses.
    - ``loss_units``: ``metres`` (the errors as they are) or ``normalized`` (each coordinate's
      error divided by the training set's per-joint std, so every joint weighs alike).
    - ``normalize_targets``: the network predicts poses in units of the training set's per-joint
      mean and std (saved in the model as ``target_mean``/``target_std``).
    - ``velocity_weight``: weight of a term on the first differences along time (``l1`` or
      ``l2`` by ``velocity_loss``), in the units of ``loss_units``; 0 = off.
    - ``n_mpjpe_weight``: weight of an MPJPE term after a per-frame least-squares scale of the
      prediction (N-MPJPE, metres; MotionBERT uses 0.5); 0 = off.
    - ``bone_weight``: weight of an L1 term on the bone vectors (child minus parent joint),
      metres whatever ``loss_units``; 0 = off. (The integral head's own terms are keys of
      ``model:``, ``ModelConfig``.)
    - ``final_report``: at the end, write ``evaluation.json`` and the curves PNGs.

    Speed (vidpose.engine.batches and vidpose.engine.performance; none of them changes what is
    learnt beyond floating-point rounding; ``auto`` is the plain fp32 path on CPU):

    - ``data_path``: ``auto`` keeps the stores' frames on the GPU when they fit the budget and
      streams them otherwise; ``gpu_resident`` insists; ``stream`` always streams (a reader
      thread filling pinned buffers).
    - ``gpu_memory_budget_gb``: GPU memory the resident frames may take (null: half the GPU).
    - ``precision``: ``auto`` (bf16 autocast on CUDA, fp32 on CPU), ``fp32`` or ``bf16``.
    - ``compile``: ``torch.compile`` the model; ``auto`` does on CUDA for runs long enough to
      repay the compile time (tens of seconds).
    - ``channels_last``: NHWC convolutions; ``auto`` on CUDA.
    """

    epochs: int = field(default=10, metadata=at_least(1))
    batch_size: int = field(default=2, metadata=at_least(1))
    loss: str = field(default="mse", metadata=choices("mse", "l1", "mpjpe", "smooth_l1"))
    loss_units: str = field(default="metres", metadata=choices("metres", "normalized"))
    normalize_targets: bool = True
    velocity_weight: float = field(default=0.0, metadata=at_least(0.0))
    velocity_loss: str = field(default="l1", metadata=choices("l1", "l2"))
    n_mpjpe_weight: float = field(default=0.0, metadata=at_least(0.0))
    bone_weight: float = field(default=0.0, metadata=at_least(0.0))
    tensorboard: bool = True
    final_report: bool = True
    data_path: str = field(default="auto", metadata=choices("auto", "gpu_resident", "stream"))
    gpu_memory_budget_gb: float | None = field(default=None, metadata={"min_exclusive": 0.0})
    precision: str = field(default="auto", metadata=choices("auto", "fp32", "bf16"))
    compile: bool | str = field(default="auto", metadata=choices("auto", True, False))
    channels_last: bool | str = field(default="auto", metadata=choices("auto", True, False))


@dataclass
class EvalConfig:
    """Test-time settings (the per-epoch test pass and the final predictions)."""

    batch_size: int = field(default=16, metadata=at_least(1))
    flip_test: bool = False


class _RunConfig:
    """What both tracks' run configs do alike (the dataclasses below hold the sections)."""

    kind: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Any):
        """Build and validate from a plain dict; any mistake is a ``UserError`` naming the key."""
        if not isinstance(values, dict):
            raise UserError(f"config: expected a mapping of sections, got {values!r}")
        values = with_moved_keys(values)
        reject_unknown_keys(values, [f.name for f in dataclasses.fields(cls)])
        kinds = typing.get_type_hints(cls)
        sections: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            given = values.get(spec.name)
            if spec.name == "seed" or given is None:
                continue
            sections[spec.name] = load_section(kinds[spec.name], given, spec.name)
        seed = values.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise UserError(f"seed: expected an integer >= 0, got {seed!r}")
        config = cls(seed=seed, **sections)
        config.validate()
        return config

    def validate(self) -> None:
        """Rules that involve more than one section (none unless a track has some)."""


@dataclass
class ClipRunConfig(_RunConfig):
    """The run config of an image model on clip stores (module docstring)."""

    kind: ClassVar[str] = CLIPS

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=lambda: AugmentConfig(enabled=False))
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    seed: int = 0


@dataclass
class LifterRunConfig(_RunConfig):
    """The run config of a lifter on pose-sequence stores (module docstring)."""

    kind: ClassVar[str] = LIFTER

    model: LifterConfig = field(default_factory=LifterConfig)
    data: LifterDataConfig = field(default_factory=LifterDataConfig)
    augment: KeypointAugmentConfig = field(
        default_factory=lambda: KeypointAugmentConfig(enabled=False)
    )
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    seed: int = 0

    @property
    def output_frames(self) -> int:
        """Frames each training sample predicts (``data.output_frames`` resolved)."""
        if self.data.output_frames is not None:
            return self.data.output_frames
        return self.model.receptive_field if self.model.lifter == "transformer" else 1

    def validate(self) -> None:
        """The transformer predicts its whole window; the velocity loss needs several output
        frames per sample."""
        data, model = self.data, self.model
        if model.lifter == "transformer" and data.output_frames not in (
            None,
            model.receptive_field,
        ):
            raise UserError(
                f"data.output_frames: the transformer predicts its whole window of "
                f"{model.receptive_field} frames (model.receptive_field); got "
                f"{data.output_frames!r}"
            )
        if self.train.velocity_weight > 0 and self.output_frames < 2:
            raise UserError(
                f"train.velocity_weight: {self.train.velocity_weight!r} needs at least 2 "
                f"output frames per training sample; set data.output_frames (now "
                f"{self.output_frames})"
            )


#: Either track's run config (for annotations and ``isinstance``).
RunConfig = ClipRunConfig | LifterRunConfig
#: The run config class of each track.
RUN_CONFIGS: dict[str, type] = {CLIPS: ClipRunConfig, LIFTER: LifterRunConfig}


def run_config(values: Any) -> RunConfig:
    """The run config in the plain dict ``values``, of the track its model section names
    (``model.lifter``: a lifter's), validated."""
    model = values.get("model") if isinstance(values, dict) else None
    kind = model_kind(model) if isinstance(model, dict) else CLIPS
    return RUN_CONFIGS[kind].from_dict(values)


def with_moved_keys(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a run config dict) with the keys that moved between sections in their new
    place (``train.heatmap_weight`` → ``model.heatmap_weight``, ...); a key given in both
    places is a ``UserError``. Returns a copy when anything moved."""
    train, model = values.get("train"), values.get("model")
    if not isinstance(train, dict) or not any(key in train for key in MOVED_FROM_TRAIN):
        return values
    if model is not None and not isinstance(model, dict):
        return values  # reported as the model section's mistake
    train, model = dict(train), dict(model or {})
    for key in MOVED_FROM_TRAIN:
        if key not in train:
            continue
        if key in model:
            raise UserError(f"train.{key}: moved to model.{key}; set only model.{key}")
        model[key] = train.pop(key)
    return {**values, "train": train, "model": model}


def apply_overrides(values: dict, overrides: list[str]) -> dict:
    """Apply ``a.b=value`` strings to a nested dict (values parsed as YAML); returns a copy.

    Key names are checked later by :func:`run_config`, which names the full key.
    """
    result = _deep_copy(values)
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise UserError(f"--set {item!r}: expected KEY=VALUE, e.g. optim.lr=0.0005")
        try:
            value = _load_yaml(text) if text.strip() else None
        except yaml.YAMLError:
            raise UserError(f"--set {item!r}: the value is not valid YAML") from None
        node = result
        parts = key.split(".")
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise UserError(f"--set {item!r}: {where} is a value, not a section")
            node = child
        node[parts[-1]] = value
    return result


def _deep_copy(values: Any) -> Any:
    if isinstance(values, dict):
        return {key: _deep_copy(value) for key, value in values.items()}
    return values


def read_yaml(path: str | os.PathLike) -> dict:
    """A YAML mapping from ``path``; a missing, unreadable or non-mapping file is a UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: config file not found")
    try:
        values = _load_yaml(read_utf8(path))
    except (OSError, yaml.YAMLError) as exc:
        problem = getattr(exc, "problem", None) or exc
        raise UserError(f"{path}: not a valid YAML file ({problem})") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise UserError(f"{path}: expected a mapping of config sections at the top level")
    return values


def load_config(path: str | os.PathLike | None, overrides: list[str] | None = None) -> RunConfig:
    """The config in ``path`` (defaults when None) with ``overrides`` applied, validated."""
    values = {} if path is None else read_yaml(path)
    return run_config(apply_overrides(values, overrides or []))


def dump_config(config: RunConfig) -> str:
    """YAML text of the resolved config (what ``RUN_DIR/config.yaml`` holds)."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
