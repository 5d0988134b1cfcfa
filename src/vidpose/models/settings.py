"""The ``model:`` section of a run config, one class per track, with validation.

``ModelConfig`` is an image model's (the clip track: per-frame backbone → temporal module →
head), ``LifterConfig`` a lifter's (the lifting track: 2D keypoint sequences → 3D). Both
import no model code. Like every config section, their fields carry their type and range
(checked by ``vidpose.infra.config_sections.load_section``) and ``validate`` holds the rules
between fields; the names of the backbone, temporal module, head and lifter are checked where
the model is built (``vidpose.models.build_model``, against the registries and timm, as timm's
``create_model`` does). Every mistake is a one-line ``UserError`` naming the key, e.g.
``model.temporal: 'lstmm' is not one of lstm, gru, rnn, tcn, transformer, none``.

:func:`model_config` loads either from a plain dict (a YAML section or a checkpoint's
``model_config``), the ``lifter`` key telling which, and accepts what earlier versions wrote:
the one ``model:`` section both tracks shared, and the options removed since.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from vidpose.infra.config_sections import load_section
from vidpose.infra.errors import UserError

#: The two tracks, as checkpoints and run configs name them (``kind``).
CLIPS = "clips"
LIFTER = "lifter"
#: Normalisation layers (``model.norm``); see ``vidpose.models.norms``.
NORMS: tuple[str, ...] = ("batch", "group", "frozen_batch")
#: What the integral head's depth maps are relative to (``model.relative_depth``).
RELATIVE_DEPTHS: tuple[str, ...] = ("root", "parent", "both")
#: ``model.pretrained`` value asking for timm's own pretrained weights (``true`` means the same).
PRETRAINED_HUB = "imagenet"
#: Integral-head options that lost their ablations and were removed (benchmarks/README.md has
#: the evidence), with the value that meant "off": a saved config holding that value still
#: loads (the key is dropped); any other value cannot be rebuilt.
REMOVED_KEYS: dict[str, Any] = {
    "depth_axis": "camera",
    "depth_bins": 0,
    "depth_convs": 0,
    "depth_lifter": 0,
    "head_temporal_convs": 0,
    "skip_stride": 8,
}
#: The integral head's loss weights, ``train:`` keys before they moved under ``model:``.
MOVED_FROM_TRAIN: tuple[str, ...] = (
    "loss_2d_weight",
    "heatmap_weight",
    "heatmap_sigma",
    "depth_map_weight",
)


def _is_power_of_three(value: int) -> bool:
    """3, 9, 27, ... (not 1: the TCN has at least its first width-3 layer)."""
    if value < 3:
        return False
    while value % 3 == 0:
        value //= 3
    return value == 1


@dataclass
class ModelConfig:
    """An image model (the clip track): per-frame backbone → temporal module → head.

    - ``backbone``: a built-in CNN (``tinycnn``, ``seedcnn``) or any timm model name.
    - ``pretrained``: ``false``; ``imagenet`` (or ``true``): a timm backbone's own pretrained
      weights, through timm's hub cache (downloaded once when the machine is online; offline,
      the cache must already hold them); or the path of a local weights file for the backbone
      (a ``state_dict``, or a dict holding one under ``"state_dict"`` or ``"model"``).
    - ``temporal``: ``lstm`` (the report's), ``gru``, ``rnn``, ``tcn``, ``transformer``, ``none``.
    - ``temporal_layers``: stacked RNN layers, TCN residual blocks or transformer layers.
    - ``hidden_size``: width of the temporal module.
    - ``bidirectional``: for ``lstm``/``gru``/``rnn`` only (the report's LSTM is unidirectional).
    - ``transformer_heads``: attention heads; must divide ``hidden_size``.
    - ``max_frames``: the longest clip the transformer's positional encoding covers.
    - ``head``: ``direct`` (a linear regression to 17×3 per frame) or ``integral`` (2D
      soft-argmax heatmaps plus root-relative depth, lifted to metric 3D with the crop and
      camera geometry; see ``vidpose.models.integral``).
    - ``dropout``: in [0, 1); between temporal layers and before the head.
    - ``feature_dim``: per-frame feature size of the built-in CNNs (timm models have their own).
    - ``norm``: ``batch``, ``group`` or ``frozen_batch`` (see ``vidpose.models.norms``); built
      into the built-in CNNs, converted from BatchNorm in timm backbones.
    - ``head_channels``: width of the integral head's upsampling stage.
    - ``heatmap_stride``: input pixels per heatmap cell of the integral head (a power of two).
    - ``relative_depth``: what each joint's depth map measures, for the integral head:
      ``root`` (its depth relative to the pelvis) or ``parent`` (relative to its parent joint;
      the depths are then summed along the kinematic tree, so each map answers a local
      question: which way does this one bone point) or ``both`` (a map of each kind per joint,
      the joint depths fused from the two by least squares; see
      ``vidpose.models.integral.bone_fusion_matrices``).

    The integral head's own training terms (0 = off; ``vidpose.models.integral_losses``):

    - ``loss_2d_weight``: an L1 term between its soft-argmax 2D joints and the store's
      ``poses2d``, both in model-input pixels divided by the input size.
    - ``heatmap_weight``: the KL divergence from a Gaussian at the store's ``poses2d`` to each
      joint's heatmap (one sharp peak at the joint), nats; ``heatmap_sigma`` is that
      Gaussian's width in heatmap cells.
    - ``depth_map_weight``: an L1 term on its depth maps around the store's ``poses2d`` (the
      same Gaussian), metres.
    """

    kind: ClassVar[str] = CLIPS
    #: What the lifter keys (of the section both tracks once shared) held in an image model's
    #: config: a saved config with these values loads, the keys dropped.
    FOREIGN_KEYS: ClassVar[dict[str, Any]] = {
        "lifter": None,
        "receptive_field": 27,
        "causal": False,
        "input_confidence": False,
    }
    FOREIGN_NOTE: ClassVar[str] = "only applies to lifters (model.lifter), not to image models"

    backbone: str = "tinycnn"
    pretrained: bool | str = False
    temporal: str = "lstm"
    temporal_layers: int = field(default=1, metadata={"min": 1})
    hidden_size: int = field(default=256, metadata={"min": 1})
    bidirectional: bool = False
    transformer_heads: int = field(default=4, metadata={"min": 1})
    max_frames: int = field(default=1024, metadata={"min": 1})
    head: str = "direct"
    dropout: float = field(default=0.0, metadata={"min": 0.0, "max_exclusive": 1.0})
    feature_dim: int = field(default=256, metadata={"min": 1})
    norm: str = field(default="batch", metadata={"choices": NORMS})
    head_channels: int = field(default=64, metadata={"min": 1})
    heatmap_stride: int = field(default=4, metadata={"min": 1})
    relative_depth: str = field(default="root", metadata={"choices": RELATIVE_DEPTHS})
    loss_2d_weight: float = field(default=0.0, metadata={"min": 0.0})
    heatmap_weight: float = field(default=0.0, metadata={"min": 0.0})
    heatmap_sigma: float = field(default=1.0, metadata={"min_exclusive": 0.0})
    depth_map_weight: float = field(default=0.0, metadata={"min": 0.0})

    @property
    def pretrained_from_hub(self) -> bool:
        """Whether ``pretrained`` asks for timm's own weights (``imagenet`` or ``true``)."""
        return self.pretrained is True or self.pretrained == PRETRAINED_HUB

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (what checkpoints store as ``model_config``)."""
        return dataclasses.asdict(self)

    def validate(self, prefix: str = "model") -> None:
        """The rules that involve more than one field, or more than a type and a range (those
        are the fields' metadata, checked with every config section's by
        ``vidpose.infra.config_sections.load_section``); ``UserError`` naming ``prefix.field``. The
        names of the backbone, temporal module and head are checked where the model is built."""

        def fail(name: str, problem: str) -> None:
            raise UserError(f"{prefix}.{name}: {problem}")

        for name in ("backbone", "temporal", "head"):
            if not getattr(self, name):
                fail(name, "expected a name, got an empty string")
        if self.relative_depth != "root" and self.head != "integral":
            fail("relative_depth", f"only applies to the integral head, not {self.head!r}")
        if self.heatmap_stride & (self.heatmap_stride - 1):
            fail("heatmap_stride", f"expected a power of two, got {self.heatmap_stride!r}")
        if self.bidirectional and self.temporal not in ("lstm", "gru", "rnn"):
            fail("bidirectional", f"only applies to lstm, gru and rnn, not {self.temporal!r}")
        if self.temporal == "transformer" and self.hidden_size % self.transformer_heads:
            fail(
                "transformer_heads",
                f"{self.transformer_heads} does not divide hidden_size {self.hidden_size}",
            )
        if isinstance(self.pretrained, str) and not self.pretrained:
            fail("pretrained", "empty path; give a weights file path, imagenet or false")
        for name in ("loss_2d_weight", "heatmap_weight", "depth_map_weight"):
            weight = getattr(self, name)
            if weight > 0 and self.head != "integral":
                fail(
                    name,
                    f"{weight!r} needs model.head: integral (the {self.head!r} head predicts "
                    "no 2D joints); set it to 0",
                )

    def without_pretrained(self) -> ModelConfig:
        """This config with ``pretrained: false``: for a model whose weights come from a
        checkpoint (the backbone's weights file need not exist any more)."""
        return dataclasses.replace(self, pretrained=False)

    @property
    def loss_weights(self) -> dict[str, float]:
        """The integral head's loss weights and Gaussian width, by name."""
        return {name: getattr(self, name) for name in MOVED_FROM_TRAIN}


@dataclass
class LifterConfig:
    """A lifter (the lifting track): 2D keypoint sequences in, see ``vidpose.models.lifter``.

    - ``lifter``: ``tcn``, ``transformer`` or ``mlp``.
    - ``receptive_field``: input frames per output frame: a power of 3 for the ``tcn``
      (27, 81, 243), the window length of the ``transformer``, 1 for the ``mlp``.
    - ``causal``: ``tcn`` only: each output frame sees only itself and the past (for live
      use), instead of being centred in its receptive field.
    - ``input_confidence``: the lifter reads each joint's 2D confidence as a third input
      channel (detector keypoints); otherwise x, y only.
    - ``hidden_size``: TCN channels, transformer features, MLP width.
    - ``temporal_layers``: transformer layer pairs, MLP residual blocks (the TCN's depth
      follows its receptive field).
    - ``transformer_heads``: the transformer's attention heads; must divide ``hidden_size``.
    - ``dropout``: in [0, 1).
    """

    kind: ClassVar[str] = LIFTER
    #: What the image-model keys (of the section both tracks once shared) held in a lifter's
    #: config, their defaults then: a saved config with these values loads, the keys dropped.
    FOREIGN_KEYS: ClassVar[dict[str, Any]] = {
        "backbone": "tinycnn",
        "pretrained": False,
        "temporal": "lstm",
        "bidirectional": False,
        "max_frames": 1024,
        "head": "direct",
        "feature_dim": 256,
        "norm": "batch",
        "head_channels": 64,
        "heatmap_stride": 4,
        "relative_depth": "root",
        "loss_2d_weight": 0.0,
        "heatmap_weight": 0.0,
        "heatmap_sigma": 1.0,
        "depth_map_weight": 0.0,
    }
    FOREIGN_NOTE: ClassVar[str] = "only applies to image models, not to lifters (model.lifter)"

    lifter: str = "tcn"
    receptive_field: int = field(default=27, metadata={"min": 1})
    causal: bool = False
    input_confidence: bool = False
    hidden_size: int = field(default=256, metadata={"min": 1})
    temporal_layers: int = field(default=1, metadata={"min": 1})
    transformer_heads: int = field(default=4, metadata={"min": 1})
    dropout: float = field(default=0.0, metadata={"min": 0.0, "max_exclusive": 1.0})

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (what checkpoints store as ``model_config``)."""
        return dataclasses.asdict(self)

    def without_pretrained(self) -> LifterConfig:
        """This config (lifters have no pretrained weights; see ``ModelConfig``'s)."""
        return self

    def validate(self, prefix: str = "model") -> None:
        """The rules between fields (the lifter's name is checked where it is built)."""

        def fail(name: str, problem: str) -> None:
            raise UserError(f"{prefix}.{name}: {problem}")

        if not self.lifter:
            fail("lifter", f"expected a lifter name, got {self.lifter!r}")
        field = self.receptive_field
        if self.lifter == "tcn" and not _is_power_of_three(field):
            fail("receptive_field", f"the tcn needs a power of 3 (27, 81, 243), got {field!r}")
        if self.lifter == "mlp" and field != 1:
            fail("receptive_field", f"the mlp sees single frames: set it to 1, not {field!r}")
        if self.causal and self.lifter != "tcn":
            fail("causal", f"only the tcn has a causal form, not {self.lifter!r}")
        if self.lifter == "transformer" and self.hidden_size % self.transformer_heads:
            fail(
                "transformer_heads",
                f"{self.transformer_heads} does not divide hidden_size {self.hidden_size}",
            )


#: The model section's class of each track.
MODEL_CONFIGS: dict[str, type] = {CLIPS: ModelConfig, LIFTER: LifterConfig}


def model_kind(values: dict[str, Any]) -> str:
    """The track a plain model section belongs to: a lifter's names its ``lifter``."""
    return CLIPS if values.get("lifter") is None else LIFTER


def model_config(
    values: Any, prefix: str = "model", *, saved_in: str | None = None
) -> ModelConfig | LifterConfig:
    """The model section in the plain dict ``values``, checked: a ``LifterConfig`` when it
    names a ``lifter``, else a ``ModelConfig`` (see :func:`load_model_section`)."""
    if not isinstance(values, dict):
        raise UserError(f"{prefix}: expected a mapping of settings, got {values!r}")
    return load_model_section(MODEL_CONFIGS[model_kind(values)], values, prefix, saved_in)


def load_model_section(
    cls: type, values: Any, prefix: str = "model", saved_in: str | None = None
) -> ModelConfig | LifterConfig:
    """The model section ``cls`` from ``values``, checked (``load_section``: keys of the other
    track load where they hold what they held when both tracks shared one section).
    ``saved_in`` names the checkpoint whose ``model_config`` ``values`` is: there the other
    track's keys are dropped whatever they held (they were never used), and options removed
    since (``REMOVED_KEYS``) load where they were off."""
    if saved_in is not None and isinstance(values, dict):
        values = without_removed_keys(values, saved_in)
        for key in cls.FOREIGN_KEYS:
            values.pop(key, None)
    return load_section(cls, values, prefix)


def without_removed_keys(values: dict[str, Any], source: str) -> dict[str, Any]:
    """A model config saved by this or an earlier version (a checkpoint's ``model_config``)
    without the options removed since, where they held their "off" value; one that used a
    removed option is a ``UserError`` naming ``source``."""
    values = dict(values)
    for key, off in REMOVED_KEYS.items():
        if key in values and values.pop(key) != off:
            raise UserError(
                f"{source}: uses model.{key}, an option removed from vidpose (it lost its "
                "ablation; benchmarks/README.md); this version cannot rebuild that model"
            )
    return values
