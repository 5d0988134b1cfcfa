"""Temporal modules: per-frame features (B, T, F) → (B, T, out_features), same length T.

All are non-causal (each output frame may see the whole clip), like the report's LSTM reading
the 8-frame clip before regressing every frame.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vidpose.infra.errors import UserError
from vidpose.models.registry import TEMPORAL_MODULES
from vidpose.models.settings import ModelConfig


class RecurrentTemporal(nn.Module):
    """An ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (tanh) over the frames of each clip."""

    kinds = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

    def __init__(
        self,
        kind: str,
        in_features: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.rnn = self.kinds[kind](
            in_features,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            # PyTorch applies this between stacked layers only (and warns with one layer).
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.out_features = hidden_size * (2 if bidirectional else 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(features)
        return output


class TemporalConvNet(nn.Module):
    """Residual blocks of dilated 1-D convolutions over time (dilation 1, 2, 4, …, kernel 3,
    zero padding so the length stays T), after a linear projection to ``hidden_size``.

    No normalisation layers, so the module behaves the same at batch 2 as at batch 128.
    """

    def __init__(
        self, in_features: int, hidden_size: int, num_blocks: int = 1, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.project = nn.Linear(in_features, hidden_size)
        self.blocks = nn.ModuleList()
        for index in range(num_blocks):
            dilation = 2**index
            self.blocks.append(
                nn.Sequential(
                    nn.Conv1d(hidden_size, hidden_size, 3, padding=dilation, dilation=dilation),
                    nn.ReLU(inplace=True),
                    nn.Dropout(dropout),
                    nn.Conv1d(hidden_size, hidden_size, 1),
                )
            )
        self.out_features = hidden_size

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.project(features).transpose(1, 2)  # (B, hidden, T)
        for block in self.blocks:
            x = torch.relu(x + block(x))
        return x.transpose(1, 2)


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """The fixed sine/cosine position code of "Attention is all you need": (length, dim)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(1e4) / dim))
    code = torch.zeros(length, dim)
    code[:, 0::2] = torch.sin(position * frequency)
    code[:, 1::2] = torch.cos(position * frequency)[:, : dim // 2]
    return code


class TransformerTemporal(nn.Module):
    """A small pre-norm transformer encoder over the frames, with sinusoidal positions.

    Works for any clip length T up to ``max_frames`` (the length of the position table).
    """

    def __init__(
        self,
        in_features: int,
        hidden_size: int,
        num_layers: int = 1,
        num_heads: int = 4,
        dropout: float = 0.0,
        max_frames: int = 1024,
    ) -> None:
        super().__init__()
        self.project = nn.Linear(in_features, hidden_size)
        # Not persistent: it is a pure function of the config, so checkpoints need not carry it.
        self.register_buffer(
            "positions", sinusoidal_positions(max_frames, hidden_size), persistent=False
        )
        layer = nn.TransformerEncoderLayer(
            hidden_size,
            num_heads,
            dim_feedforward=2 * hidden_size,
            dropout=dropout,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden_size)
        self.out_features = hidden_size

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        frames = features.shape[1]
        if frames > self.positions.shape[0]:
            raise UserError(
                f"clips of {frames} frames are longer than model.max_frames "
                f"{self.positions.shape[0]} of the transformer"
            )
        x = self.project(features) + self.positions[:frames]
        return self.norm(self.encoder(x))


class NoTemporal(nn.Module):
    """Each frame on its own: the features pass through unchanged."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.out_features = in_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def _recurrent(kind: str):
    def build(in_features: int, config: ModelConfig) -> nn.Module:
        return RecurrentTemporal(
            kind,
            in_features,
            config.hidden_size,
            config.temporal_layers,
            config.bidirectional,
            config.dropout,
        )

    return build


for _kind in RecurrentTemporal.kinds:
    TEMPORAL_MODULES.register(_kind)(_recurrent(_kind))


@TEMPORAL_MODULES.register("tcn")
def build_tcn(in_features: int, config: ModelConfig) -> nn.Module:
    return TemporalConvNet(in_features, config.hidden_size, config.temporal_layers, config.dropout)


@TEMPORAL_MODULES.register("transformer")
def build_transformer(in_features: int, config: ModelConfig) -> nn.Module:
    return TransformerTemporal(
        in_features,
        config.hidden_size,
        config.temporal_layers,
        config.transformer_heads,
        config.dropout,
        config.max_frames,
    )


@TEMPORAL_MODULES.register("none")
def build_none(in_features: int, config: ModelConfig) -> nn.Module:
    return NoTemporal(in_features)
