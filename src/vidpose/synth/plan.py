"""Planning a synthetic dataset: presets, and the units of work that render it.

A *unit* is one take (a subject performing an action, or one sequence of a ``--motion``
file) seen from one of four cameras, rendering a few clips. Units carry everything needed to
render them, including the seed, so any worker can render any unit with the same result.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.pose import skeleton
from vidpose.synth import studio_cameras as cameras
from vidpose.synth.motion import ACTIONS, FPS, RENDERED_ACTIONS
from vidpose.synth.motion_file import MotionSequence, load_motion_file


@dataclass(frozen=True)
class Preset:
    size: int  # stored frame side, pixels
    frames: int  # frames per clip, T
    stride: int  # source frames (50 fps) between consecutive clip frames
    train_clips: int
    test_clips: int
    seconds: float  # length of each procedural take
    takes: int  # takes per subject and action (Human3.6M has two)
    supersample: int  # draw at this multiple of the size, then shrink (smoother small frames)


PRESETS: dict[str, Preset] = {
    "tiny": Preset(64, 8, 2, 40, 16, 2.0, 1, 2),
    "small": Preset(112, 8, 4, 1500, 400, 6.0, 2, 2),
    "h36m": Preset(224, 8, 4, 5964, 1368, 10.0, 2, 1),
}


@dataclass(frozen=True)
class Unit:
    """One take seen from one camera, rendering ``num_clips`` clips."""

    split: str
    subject: str
    action: str
    sequence: str
    take_key: tuple[int, ...]
    camera: int
    num_clips: int
    num_frames: int
    preset: Preset
    seed: int
    positions: np.ndarray | None = None  # world joints (F, 17, 3) of a motion file, or None


def seed_sequence(*parts: int) -> np.random.SeedSequence:
    """The random stream named by ``parts`` (seed, purpose, take key, ...)."""
    return np.random.SeedSequence([int(p) for p in parts])


def name_key(text: str) -> int:
    """A stable integer for a name (subject, split, sequence), part of a take's seed."""
    return zlib.crc32(text.encode())


def _spread(total: int, count: int, rng: np.random.Generator) -> list[int]:
    """``total`` clips over ``count`` units, as evenly as possible, extras in random units."""
    base = np.full(count, total // count)
    base[rng.permutation(count)[: total % count]] += 1
    return base.tolist()


def procedural_units(p: Preset, seed: int) -> dict[str, list[Unit]]:
    num_frames = int(round(p.seconds * FPS))
    units: dict[str, list[Unit]] = {}
    for split, subjects, total in (
        ("train", skeleton.TRAIN_SUBJECTS, p.train_clips),
        ("test", skeleton.TEST_SUBJECTS, p.test_clips),
    ):
        plan = [
            (subject, action, take, cam)
            for subject in subjects
            for action in RENDERED_ACTIONS
            for take in range(1, p.takes + 1)
            for cam in range(len(cameras.CAMERA_IDS))
        ]
        counts = _spread(
            total, len(plan), np.random.default_rng(seed_sequence(seed, 4, name_key(split)))
        )
        units[split] = [
            Unit(
                split=split,
                subject=subject,
                action=action,
                sequence=f"{action} {take}",
                take_key=(name_key(subject), list(ACTIONS).index(action), take),
                camera=cam,
                num_clips=count,
                num_frames=num_frames,
                preset=p,
                seed=seed,
            )
            for (subject, action, take, cam), count in zip(plan, counts, strict=True)
            if count > 0
        ]
    return units


def split_sequences(sequences: list[MotionSequence], span: int) -> dict[str, list]:
    """Test subjects (S9, S11) go to test; without a subject split, the last fifth of the
    sequences does, and a single sequence is cut in time (first 80 % train)."""
    test = [s for s in sequences if s.subject in skeleton.TEST_SUBJECTS]
    train = [s for s in sequences if s.subject not in skeleton.TEST_SUBJECTS]
    if test and train:
        return {"train": train, "test": test}
    if len(sequences) >= 2:
        held = max(1, round(0.2 * len(sequences)))
        return {"train": sequences[:-held], "test": sequences[-held:]}
    only = sequences[0]
    cut = int(0.8 * len(only.positions))
    if cut < span or len(only.positions) - cut < span:
        raise UserError(
            f"motion '{only.name}': {len(only.positions)} frames cannot be split into train and "
            f"test parts of at least {span} frames each (give more frames or more sequences)"
        )
    return {
        "train": [replace(only, positions=only.positions[:cut])],
        "test": [replace(only, positions=only.positions[cut:])],
    }


def motion_file_units(path: str | os.PathLike, p: Preset, seed: int) -> dict[str, list[Unit]]:
    """Units rendering every non-overlapping clip of each file sequence from each camera."""
    span = (p.frames - 1) * p.stride + 1
    sequences = load_motion_file(path, min_frames=span)
    units: dict[str, list[Unit]] = {}
    for split, group in split_sequences(sequences, span).items():
        units[split] = [
            Unit(
                split=split,
                subject=seq.subject,
                action=seq.action,
                sequence=seq.name,
                take_key=(name_key(split), name_key(seq.name), len(seq.positions)),
                camera=cam,
                num_clips=len(seq.positions) // span,
                num_frames=len(seq.positions),
                preset=p,
                seed=seed,
                positions=seq.positions,
            )
            for seq in group
            for cam in range(len(cameras.CAMERA_IDS))
        ]
    return units


def resolve_preset(preset: str, **overrides: Any) -> Preset:
    """The named preset with ``overrides`` (Preset field names; None means keep), validated."""
    if preset not in PRESETS:
        raise UserError(f"preset {preset!r} unknown; choose one of {', '.join(PRESETS)}")
    known = {f.name for f in fields(Preset)}
    unknown = set(overrides) - known
    if unknown:
        raise UserError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(known)}")
    p = replace(PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None})
    checks = {
        "size": (16, 2048),
        "frames": (1, 512),
        "stride": (1, 100),
        "train_clips": (1, 10_000_000),
        "test_clips": (1, 10_000_000),
        "seconds": (0.02, 3600),
        "takes": (1, 100),
        "supersample": (1, 4),
    }
    for name, (low, high) in checks.items():
        value = getattr(p, name)
        if not low <= value <= high:
            raise UserError(f"{name} = {value} is out of range [{low}, {high}]")
    span = (p.frames - 1) * p.stride + 1
    if span > round(p.seconds * FPS):
        raise UserError(
            f"a clip of {p.frames} frames at stride {p.stride} spans {span} source frames, "
            f"longer than a {p.seconds:g} s take ({round(p.seconds * FPS)} frames): "
            "use fewer frames or a smaller stride"
        )
    return p
