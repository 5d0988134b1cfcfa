"""``--device``: the one place a device name from the command line becomes a ``torch.device``."""

from __future__ import annotations

import torch

from vidpose.infra.errors import UserError

NAMES = "auto, cpu, cuda or cuda:N"


def resolve_device(name: str | None, option: str = "--device") -> torch.device:
    """``auto`` or None (CUDA when available, else CPU), ``cpu``, ``cuda`` or ``cuda:N``;
    anything else, or CUDA where there is none (or no GPU N), is a ``UserError`` naming
    ``option``. ``cuda`` keeps no index: under torchrun each process picks its own GPU."""
    if name is None or name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name != "cpu" and name != "cuda" and not name.startswith("cuda:"):
        raise UserError(f"{option}: expected {NAMES}, got {name!r}")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise UserError(f"{option}: expected {NAMES}, got {name!r}") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"{option} {name}: CUDA is not available here (use --device cpu)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError(f"{option} {name}: this machine has {torch.cuda.device_count()} GPU(s)")
    return device
