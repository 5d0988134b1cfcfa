"""The two tracks, each one object behind one interface; a command picks the track once.

- ``clips`` (:data:`vidpose.tracks.clip_track.CLIP_TRACK`): clip stores of RGB frames
  (vidpose.clips.clip_store) and image models (``PoseModel``, ``ClipRunConfig``);
- ``lifter`` (:data:`vidpose.tracks.lifter_track.LIFTER_TRACK`): pose-sequence stores of 2D
  keypoints and 3D poses (vidpose.sequences) and lifters (``LiftingModel``, ``LifterRunConfig``).

A store tells its track by the format in its meta.json, a checkpoint by its ``kind``, a config
file by its model section (``model.lifter``: a lifter's); :func:`track_of` reads the first two.
Every track has:

- ``kind``, ``store_format``, ``store_noun`` and ``model_noun``: what it is called;
- ``open_store(path)``: a validated store of its kind;
- ``training_class(config, data_dir, context)``: the ``TrainingData`` the engine's trainer
  runs on (vidpose.engine.trainer);
- ``evaluate(model, checkpoint, checkpoint_path, store_path, ...)``: the evaluation report of
  a model of its kind on a store of its kind (vidpose.pose.evaluation);
- ``describe(store_path, train_path)`` and ``format_info(info)``: ``vidpose info``;
- ``contact_sheet(store, rows, tile)``: ``vidpose show``;
- ``render_clip(store, index, ...)``: ``vidpose render``.

Nothing outside the two track modules (and the modules only one track uses) asks which track
it is in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vidpose.infra.errors import UserError
from vidpose.runs.checkpoint import read_checkpoint
from vidpose.runs.run_config import RunConfig
from vidpose.tracks.clip_track import CLIP_TRACK
from vidpose.tracks.lifter_track import LIFTER_TRACK
from vidpose.tracks.track import Track, store_format

#: Each track by its kind (a checkpoint's or run config's ``kind``).
TRACKS: dict[str, Track] = {track.kind: track for track in (CLIP_TRACK, LIFTER_TRACK)}
#: Each track by the format its stores' meta.json names.
STORE_FORMATS: dict[str, Track] = {track.store_format: track for track in TRACKS.values()}


def store_track(path: str | os.PathLike) -> Track:
    """The track of the store at ``path`` (a split's folder), from its meta.json; anything
    else is a one-line ``UserError``."""
    path = Path(path)
    if not path.is_dir():
        what = "it is a file" if path.exists() else "does not exist"
        raise UserError(f"{path}: not a store directory ({what})")
    found = store_format(path)
    if found not in STORE_FORMATS:
        known = " or ".join(repr(name) for name in STORE_FORMATS)
        where = path / "meta.json"
        raise UserError(f"{where}: format {found!r} is not a vidpose store's ({known})")
    return STORE_FORMATS[found]


def checkpoint_track(checkpoint: dict[str, Any]) -> Track:
    """The track of a checkpoint dict (``vidpose.runs.checkpoint.read_checkpoint``'s)."""
    return TRACKS[checkpoint["kind"]]


def track_of(path: str | os.PathLike) -> Track:
    """The track of a store folder or a checkpoint file; anything else is a one-line
    ``UserError``."""
    path = Path(path)
    if path.is_file():
        return checkpoint_track(read_checkpoint(path))
    return store_track(path)


def config_track(config: RunConfig) -> Track:
    """The track of a run config."""
    return TRACKS[config.kind]


def train(config: RunConfig, data_dir: str | os.PathLike, run_dir: str | os.PathLike, **options):
    """Train ``config`` on its track's stores ``data_dir``/{train,test} into ``run_dir``
    (``options``: resume, device, stop_after_steps; vidpose.engine.trainer.train)."""
    return config_track(config).train(config, data_dir, run_dir, **options)


def trainer(config: RunConfig, data_dir: str | os.PathLike, run_dir: str | os.PathLike, **options):
    """The engine's ``Trainer`` of ``config`` on its track's stores (``options``: those of
    ``Trainer``), for code that drives the loop itself (benchmarks, tests)."""
    return config_track(config).trainer(config, data_dir, run_dir, **options)


def require_same_track(have: Track, need: Track, have_what: str, need_what: str) -> None:
    """``UserError`` unless ``have`` (the track of ``have_what``: a checkpoint or a config) is
    ``need`` (the track of ``need_what``: the store it is to run on)."""
    if have is not need:
        raise UserError(
            f"{need_what}: a {need.store_noun}, but {have_what} is {have.model_noun}, which "
            f"reads {have.store_noun}s ({have.store_hint})"
        )


__all__ = [
    "STORE_FORMATS",
    "TRACKS",
    "Track",
    "checkpoint_track",
    "config_track",
    "require_same_track",
    "store_track",
    "track_of",
    "train",
    "trainer",
]
