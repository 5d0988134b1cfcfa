"""How the engine runs fast on a GPU without changing what it computes: precision, memory format,
``torch.compile`` and cuDNN settings, resolved from the ``train:`` config section.

Every ``auto`` resolves to the plain fp32 eager path on CPU (nothing here may slow a CPU run
down) and to the fast path on CUDA:

- ``precision``: ``bf16`` autocast (weights, optimizer state and the loss stay fp32; bf16 has
  fp32's exponent range, so no loss scaling is needed);
- ``channels_last``: NHWC convolutions (what cuDNN's tensor-core kernels want); the input
  arrives in that memory format for free from ``normalize_frames(..., channels_last=True)``;
- ``compile``: ``torch.compile`` of the model when the run is long enough for the compile time
  (tens of seconds per input shape) to be paid back by faster steps;
- cuDNN benchmark mode and TF32 matmuls for whatever still runs in fp32.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

#: ``auto`` compiles when a run's training work, clips × frames × pixels per frame, is at least
#: this much. Compiling ResNet-18 + LSTM costs tens of seconds (forward and backward graphs of
#: the full batch; the short last batch of an epoch runs eagerly) and makes steps ~1.35× faster
#: (2,040 against 1,500 clips/s at 224 px), i.e. saves ~0.18 ms per clip: ~40 s of compile
#: pays back after ~230k clips of 8 × 224² ≈ 1e11. The report's workload (59,640 clips, 2.4e10)
#: stays eager under ``auto``; measure both with benchmarks/train_throughput.py.
COMPILE_MIN_WORK = 1e11


@dataclass(frozen=True)
class Speed:
    """The resolved settings (no ``auto`` left)."""

    autocast_dtype: torch.dtype | None  # None: full fp32
    channels_last: bool
    compile: bool

    @property
    def precision(self) -> str:
        return "bf16" if self.autocast_dtype == torch.bfloat16 else "fp32"


def resolve_speed(
    device: torch.device,
    precision: str = "auto",
    channels_last: bool | str = "auto",
    compile: bool | str = "auto",
    training_work: float = 0.0,
) -> Speed:
    """Resolve the ``auto`` settings for ``device``; ``training_work`` = clips × frames × pixels
    the run will train on (for ``compile: auto``). Explicit bf16/compile are honoured on CPU too
    (slow there, but useful for checking the code paths)."""
    cuda = device.type == "cuda"
    if precision == "auto":
        precision = "bf16" if cuda else "fp32"
    if channels_last == "auto":
        channels_last = cuda
    if compile == "auto":
        compile = cuda and training_work >= COMPILE_MIN_WORK
    return Speed(
        autocast_dtype=torch.bfloat16 if precision == "bf16" else None,
        channels_last=bool(channels_last),
        compile=bool(compile),
    )


def configure_backends(device: torch.device) -> None:
    """cuDNN picks the fastest algorithm per shape (the shapes repeat every step), and fp32
    matmuls may use TF32 tensor cores. Process-wide; a no-op on CPU."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def autocast(device: torch.device, speed: Speed) -> contextlib.AbstractContextManager:
    """The autocast region for forward passes (a no-op context in fp32)."""
    if speed.autocast_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=speed.autocast_dtype)


def prepare_model(model: torch.nn.Module, speed: Speed) -> torch.nn.Module:
    """Put the model's 4-D weights in channels_last (in place; the state_dict is unchanged in
    value, so checkpoints stay portable). Returns ``model``."""
    if speed.channels_last:
        model.to(memory_format=torch.channels_last)
    return model


def maybe_compile(module: torch.nn.Module, speed: Speed) -> torch.nn.Module:
    """``torch.compile(module)`` when ``speed.compile``; it shares ``module``'s parameters, so
    optimizer and checkpoints keep using the plain module."""
    if not speed.compile:
        return module
    # Static shapes: the trainer feeds only full batches to the compiled module, and a graph
    # specialised to them is the fastest one.
    return torch.compile(module, dynamic=False)


def fused_optimizer_ok(device: torch.device) -> bool:
    """Fused (single-kernel) Adam/AdamW/SGD steps need every parameter on a CUDA device."""
    return device.type == "cuda"
