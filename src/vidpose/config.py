"""The run config: dataclasses loaded from YAML, with ``--set a.b=value`` overrides.

A run config has six sections and a seed::

    model:   ModelConfig   (vidpose.models.config): backbone → temporal module → head
    data:    DataConfig    what the model sees (clip length, input size)
    augment: AugmentConfig (vidpose.augment): training augmentation; off when the section is
             absent, on when it is given (unless ``enabled: false``); for lifters
             KeypointAugmentConfig (vidpose.lifting.augment)
    optim:   OptimConfig   optimizer, learning-rate schedule, gradient clipping, EMA
    train:   TrainConfig   epochs, batch size, loss, logging
    eval:    EvalConfig    test-time settings
    seed:    int

Every key a user can get wrong is checked when the config is loaded, every section the same
way (:func:`load_section`: types and ranges from the fields, then the section's rules between
fields); a mistake is one ``UserError`` naming the key and what is allowed
(``optim.name: 'adamx' is not one of adam, adamw, sgd``). The resolved config is saved in
every run folder with :meth:`RunConfig.to_dict`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vidpose.augment import AugmentConfig
from vidpose.errors import UserError, read_utf8, reject_unknown_keys
from vidpose.lifting.augment import KeypointAugmentConfig
from vidpose.models.config import ModelConfig


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


def _choices(*names: str) -> dict[str, Any]:
    return {"choices": names}


def _at_least(low: float) -> dict[str, Any]:
    return {"min": low}


@dataclass
class DataConfig:
    """What the model sees.

    - ``clip_frames``: frames per clip; ``null`` takes the stores' clip length, a number must
      match it (the report's clips are 8 frames).
    - ``image_size``: side of the square model input in pixels; stored frames of another size
      are resized on the fly (bilinear, antialiased).

    Lifters (``model.lifter``) read sequence stores instead (vidpose.lifting):

    - ``keypoints``: the store's named 2D source to lift (``gt``, ``cpn``, ...; ``null``: the
      store's default).
    - ``sample_stride``: training samples start at every n-th frame of every sequence (the
      50-fps frames are nearly repeated; evaluation always covers every frame).
    - ``output_frames``: consecutive frames each training sample predicts (``null``: 1 for the
      tcn and mlp, as VideoPose3D trains; the window for the transformer). The velocity loss
      needs at least 2.
    """

    clip_frames: int | None = field(default=None, metadata=_at_least(1))
    image_size: int = field(default=224, metadata=_at_least(8))
    keypoints: str | None = None
    sample_stride: int = field(default=1, metadata=_at_least(1))
    output_frames: int | None = field(default=None, metadata=_at_least(1))


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

    name: str = field(default="adam", metadata=_choices("adam", "adamw", "sgd"))
    lr: float = field(default=1e-3, metadata={"min_exclusive": 0.0})
    weight_decay: float = field(default=0.0, metadata=_at_least(0.0))
    momentum: float = field(default=0.9, metadata=_at_least(0.0))  # sgd only
    schedule: str = field(
        default="constant", metadata=_choices("constant", "cosine", "linear", "step")
    )
    warmup_steps: int = field(default=0, metadata=_at_least(0))
    warmup_epochs: float = field(default=0.0, metadata=_at_least(0.0))
    step_milestones: list = field(default_factory=list)  # epochs, increasing
    step_gamma: float = field(default=0.1, metadata={"min_exclusive": 0.0, "max": 1.0})
    grad_clip: float = field(default=0.0, metadata=_at_least(0.0))
    ema_decay: float = field(default=0.0, metadata={"min": 0.0, "max_exclusive": 1.0})


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
      metres whatever ``loss_units``; 0 = off.
    - ``loss_2d_weight``: integral head only: weight of an L1 term between its soft-argmax 2D
      joints and the store's ``poses2d``, both in model-input pixels divided by the input size.
    - ``heatmap_weight``: integral head only: weight of the KL divergence from a Gaussian at the
      store's ``poses2d`` to each joint's heatmap (one sharp peak at the joint), nats;
      ``heatmap_sigma`` is that Gaussian's width in heatmap cells.
    - ``depth_map_weight``: integral head only: weight of an L1 term on its depth maps around
      the store's ``poses2d`` (the same Gaussian), metres; 0 = off.
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

    epochs: int = field(default=10, metadata=_at_least(1))
    batch_size: int = field(default=2, metadata=_at_least(1))
    loss: str = field(default="mse", metadata=_choices("mse", "l1", "mpjpe", "smooth_l1"))
    loss_units: str = field(default="metres", metadata=_choices("metres", "normalized"))
    normalize_targets: bool = True
    velocity_weight: float = field(default=0.0, metadata=_at_least(0.0))
    velocity_loss: str = field(default="l1", metadata=_choices("l1", "l2"))
    n_mpjpe_weight: float = field(default=0.0, metadata=_at_least(0.0))
    bone_weight: float = field(default=0.0, metadata=_at_least(0.0))
    loss_2d_weight: float = field(default=0.0, metadata=_at_least(0.0))
    heatmap_weight: float = field(default=0.0, metadata=_at_least(0.0))
    heatmap_sigma: float = field(default=1.0, metadata={"min_exclusive": 0.0})
    depth_map_weight: float = field(default=0.0, metadata=_at_least(0.0))
    tensorboard: bool = True
    final_report: bool = True
    data_path: str = field(default="auto", metadata=_choices("auto", "gpu_resident", "stream"))
    gpu_memory_budget_gb: float | None = field(default=None, metadata={"min_exclusive": 0.0})
    precision: str = field(default="auto", metadata=_choices("auto", "fp32", "bf16"))
    compile: bool | str = field(default="auto", metadata=_choices("auto", True, False))
    channels_last: bool | str = field(default="auto", metadata=_choices("auto", True, False))


@dataclass
class EvalConfig:
    """Test-time settings (the per-epoch test pass and the final predictions)."""

    batch_size: int = field(default=16, metadata=_at_least(1))
    flip_test: bool = False


@dataclass
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig | KeypointAugmentConfig = field(
        default_factory=lambda: AugmentConfig(enabled=False)
    )
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Any) -> RunConfig:
        """Build and validate from a plain dict; any mistake is a ``UserError`` naming the key."""
        if not isinstance(values, dict):
            raise UserError(f"config: expected a mapping of sections, got {values!r}")
        reject_unknown_keys(values, [f.name for f in dataclasses.fields(cls)])
        sections: dict[str, Any] = {}
        for name, section_cls in (
            ("model", ModelConfig),
            ("data", DataConfig),
            ("optim", OptimConfig),
            ("train", TrainConfig),
            ("eval", EvalConfig),
        ):
            sections[name] = load_section(section_cls, values.get(name) or {}, name)
        augment = values.get("augment")
        kind = AugmentConfig if sections["model"].lifter is None else KeypointAugmentConfig
        sections["augment"] = (
            kind(enabled=False) if augment is None else load_section(kind, augment, "augment")
        )
        seed = values.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise UserError(f"seed: expected an integer >= 0, got {seed!r}")
        config = cls(seed=seed, **sections)
        _check_combinations(config)
        return config


def load_section(cls: type, values: Any, prefix: str) -> Any:
    """A config section (any of the dataclasses above, ``ModelConfig``, ``AugmentConfig``) from a
    plain dict, the one way every section is checked: each field's type and range from its
    annotation and metadata (``choices``, ``min``, ``max``, ...), then the section's own
    ``validate(prefix)`` for the rules between its fields. Any mistake is a ``UserError``
    naming ``prefix.key``."""
    section = _section_from_dict(cls, values, prefix)
    validate = getattr(section, "validate", None)
    if validate is not None:
        validate(prefix)
    return section


def _check_combinations(config: RunConfig) -> None:
    """Rules that involve more than one key."""
    optim = config.optim
    if optim.warmup_steps and optim.warmup_epochs:
        raise UserError(
            f"optim.warmup_epochs: {optim.warmup_epochs!r} given with optim.warmup_steps "
            f"{optim.warmup_steps!r}; set only one of them"
        )
    milestones = optim.step_milestones
    if any(isinstance(m, bool) or not isinstance(m, (int, float)) or m <= 0 for m in milestones):
        raise UserError(f"optim.step_milestones: expected a list of epochs > 0, got {milestones!r}")
    if list(milestones) != sorted(set(milestones)):
        raise UserError(f"optim.step_milestones: expected increasing epochs, got {milestones!r}")
    if optim.schedule == "step" and not milestones:
        raise UserError("optim.step_milestones: schedule 'step' needs at least one epoch")
    if config.model.lifter is not None:
        _check_lifter(config)
    else:
        for name, plain in (("keypoints", None), ("sample_stride", 1), ("output_frames", None)):
            if getattr(config.data, name) != plain:
                raise UserError(f"data.{name}: only applies to lifters (model.lifter)")
    for name in ("loss_2d_weight", "heatmap_weight", "depth_map_weight"):
        weight = getattr(config.train, name)
        if weight > 0 and config.model.head != "integral":
            raise UserError(
                f"train.{name}: {weight!r} needs model.head: integral "
                f"(the {config.model.head!r} head predicts no 2D joints); set it to 0"
            )


def _check_lifter(config: RunConfig) -> None:
    """A lifter reads sequence stores: the clip keys do not apply; the velocity loss needs
    several output frames per sample."""
    data, model = config.data, config.model
    if data.clip_frames is not None:
        raise UserError(
            f"data.clip_frames: {data.clip_frames!r}, but a lifter reads whole sequences; "
            "set model.receptive_field (and data.output_frames) instead, or null"
        )
    if model.lifter == "transformer" and data.output_frames not in (None, model.receptive_field):
        raise UserError(
            f"data.output_frames: the transformer predicts its whole window of "
            f"{model.receptive_field} frames (model.receptive_field); got {data.output_frames!r}"
        )
    if config.train.velocity_weight > 0 and output_frames(config) < 2:
        raise UserError(
            f"train.velocity_weight: {config.train.velocity_weight!r} needs at least 2 output "
            f"frames per training sample; set data.output_frames (now "
            f"{output_frames(config)})"
        )


def output_frames(config: RunConfig) -> int:
    """Frames each training sample of a lifter predicts (``data.output_frames`` resolved)."""
    if config.data.output_frames is not None:
        return config.data.output_frames
    return config.model.receptive_field if config.model.lifter == "transformer" else 1


def _describe(kind: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    names[list] = "a list"
    return " or ".join("null" if k is type(None) else names.get(k, str(k)) for k in _options(kind))


def _is_union(kind: Any) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType)


def _matches(value: Any, kind: Any) -> bool:
    if _is_union(kind):
        return any(_matches(value, option) for option in typing.get_args(kind))
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


def _section_from_dict(cls: type, values: Any, prefix: str) -> Any:
    if not isinstance(values, dict):
        raise UserError(f"{prefix}: expected a mapping of settings, got {values!r}")
    reject_unknown_keys(values, [f.name for f in dataclasses.fields(cls)], prefix)
    hints = typing.get_type_hints(cls)
    checked: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        if spec.name not in values:
            continue
        value, key = values[spec.name], f"{prefix}.{spec.name}"
        if not _matches(value, hints[spec.name]):
            raise UserError(f"{key}: expected {_describe(hints[spec.name])}, got {value!r}")
        options = _options(hints[spec.name])
        if type(value) is int and float in options and int not in options:
            value = float(value)  # YAML reads "1" as an int; the field holds a float
        if isinstance(value, float) and not math.isfinite(value):
            raise UserError(f"{key}: expected a finite number, got {value!r}")
        choices = spec.metadata.get("choices")
        if choices and value not in choices:
            names = (str(c).lower() if isinstance(c, bool) else str(c) for c in choices)
            raise UserError(f"{key}: {value!r} is not one of {', '.join(names)}")
        if value is not None and "min" in spec.metadata and value < spec.metadata["min"]:
            raise UserError(f"{key}: expected a value >= {spec.metadata['min']}, got {value!r}")
        if (
            value is not None
            and "min_exclusive" in spec.metadata
            and value <= spec.metadata["min_exclusive"]
        ):
            low = spec.metadata["min_exclusive"]
            raise UserError(f"{key}: expected a value > {low}, got {value!r}")
        if "max" in spec.metadata and value > spec.metadata["max"]:
            raise UserError(f"{key}: expected a value <= {spec.metadata['max']}, got {value!r}")
        if "max_exclusive" in spec.metadata and value >= spec.metadata["max_exclusive"]:
            high = spec.metadata["max_exclusive"]
            raise UserError(f"{key}: expected a value < {high}, got {value!r}")
        checked[spec.name] = value
    return cls(**checked)


def _options(kind: Any) -> tuple:
    return typing.get_args(kind) if _is_union(kind) else (kind,)


def apply_overrides(values: dict, overrides: list[str]) -> dict:
    """Apply ``a.b=value`` strings to a nested dict (values parsed as YAML); returns a copy.

    Key names are checked later by :meth:`RunConfig.from_dict`, which names the full key.
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
    return RunConfig.from_dict(apply_overrides(values, overrides or []))


def dump_config(config: RunConfig) -> str:
    """YAML text of the resolved config (what ``RUN_DIR/config.yaml`` holds)."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
