"""Reading ``--motion FILE.npz``: world-frame joint sequences to render instead of the built-ins.

Accepted layouts (all positions in metres, world frame, z up, 50 fps, Human3.6M joint order):

- ``positions`` (F, 17, 3), optionally with ``subject`` and ``action`` strings;
- several ``positions_<name>`` (F, 17, 3), each with optional ``subject_<name>`` and
  ``action_<name>`` strings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidpose.infra.array_files import read_npz
from vidpose.infra.errors import UserError
from vidpose.synth.body import ANKLE_HEIGHT_M


@dataclass(frozen=True)
class MotionSequence:
    """One sequence of world joints (F, 17, 3), metres, z up, with its labels."""

    name: str
    subject: str
    action: str
    positions: np.ndarray


def _label(archive, key: str, path: Path, default: str) -> str:
    if key not in archive:
        return default
    value = archive[key]
    if value.ndim != 0 and value.size != 1:
        raise UserError(f"{path}: '{key}' must be a single string, got shape {value.shape}")
    item = value.reshape(()).item()
    text = (item.decode(errors="replace") if isinstance(item, bytes) else str(item)).strip()
    if not text or any(c in text for c in ',\n\r"'):
        raise UserError(f"{path}: '{key}' must be a non-empty label without commas or quotes")
    return text


def _positions(archive, key: str, path: Path, min_frames: int) -> np.ndarray:
    array = archive[key]
    if array.ndim != 3 or array.shape[1:] != (17, 3):
        raise UserError(f"{path}: '{key}' has shape {array.shape}, expected (F, 17, 3)")
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise UserError(f"{path}: '{key}' has dtype {array.dtype}, expected real numbers")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise UserError(f"{path}: '{key}' contains NaN or inf")
    if len(array) < min_frames:
        raise UserError(
            f"{path}: '{key}' has {len(array)} frames, fewer than the {min_frames} one clip needs"
        )
    extent = np.abs(array - array.mean(axis=(0, 1))).max()
    if extent > 50:
        raise UserError(f"{path}: '{key}' spans {extent:.0f} units; positions must be in metres")
    return array


def load_motion_file(path: str | os.PathLike, min_frames: int) -> list[MotionSequence]:
    """The sequences of ``path``, validated; each has at least ``min_frames`` frames.

    The floor is put under the feet: positions are shifted so the lowest ankle of a sequence
    stands at the synthetic ankle height. Bones keep the lengths they have in the file.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: motion file does not exist")
    if not path.is_file():
        raise UserError(f"{path}: motion file is not a file")
    archive = read_npz(path)  # {name: array}; a text file, a .npy or damage: one line
    keys = list(archive)
    if "positions" in keys:
        names = [("motion", "positions", "subject", "action")]
    else:
        names = [
            (k[len("positions_") :], k, f"subject_{k[10:]}", f"action_{k[10:]}")
            for k in sorted(keys)
            if k.startswith("positions_") and len(k) > len("positions_")
        ]
    if not names:
        raise UserError(
            f"{path}: no 'positions' or 'positions_<name>' array (found {keys or 'none'})"
        )
    sequences = []
    for name, key, subject_key, action_key in names:
        positions = _positions(archive, key, path, min_frames)
        ankles = positions[:, [3, 6], 2]
        positions[..., 2] += ANKLE_HEIGHT_M - ankles.min()
        sequences.append(
            MotionSequence(
                name=name,
                subject=_label(archive, subject_key, path, "unknown"),
                action=_label(archive, action_key, path, name),
                positions=positions,
            )
        )
    return sequences
