"""Writing converted motions as the ``--motion`` npz that :mod:`vidpose.synth.motion_file` reads:
``positions_<name>`` (F, 17, 3) float32 metres, world frame z up, plus ``subject_<name>`` and
``action_<name>`` strings, written atomically."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from vidpose.infra.atomic import write_npz_atomic

_CMU_TAKE = re.compile(r"^(\d+)_(\d+)$")


def sequence_name(stem: str, taken: set[str]) -> str:
    """A key-safe, unused name for the file stem ``stem`` (letters, digits, _ and -)."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "take"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name


def label(text: str) -> str:
    """A label motion_file accepts: no commas, quotes or line breaks, not empty."""
    cleaned = re.sub(r'[,"\r\n]+', " ", text).strip()
    return cleaned or "unknown"


def default_subject(stem: str) -> str:
    """CMU takes are named <subject>_<take>: the subject number; otherwise 'unknown'."""
    match = _CMU_TAKE.match(stem)
    return f"cmu{int(match.group(1)):02d}" if match else "unknown"


def write_motion_npz(path: str | os.PathLike, sequences: list[tuple[str, str, str, np.ndarray]]):
    """Write (name, subject, action, positions (F, 17, 3) metres) sequences to ``path``."""
    path = Path(path)
    arrays = {}
    for name, subject, action, positions in sequences:
        arrays[f"positions_{name}"] = np.asarray(positions, dtype=np.float32)
        arrays[f"subject_{name}"] = np.asarray(label(subject))
        arrays[f"action_{name}"] = np.asarray(label(action))
    write_npz_atomic(path, arrays, compressed=True)
