"""Checkpoints: one dict per file, written atomically with ``torch.save``.

Layout (version 2)::

    format        "vidpose-checkpoint"
    version       2
    kind          the track: "clips" (an image model) or "lifter"
                  (vidpose.models.settings.CLIPS / LIFTER)
    model_config  dict of the model section's fields (ModelConfig or LifterConfig)
    model         state_dict of the unwrapped model (incl. target_mean / target_std)
    clip_frames   clips only: int, frames per clip T the model was trained on
    image_size    clips only: int, side of the square model input, pixels
    fps           float, frame rate of the training data (store fps / frame stride)
    config        the full resolved run config (dict)
    training      optimizer, scheduler, position, step, rng states, best metric, ... (only in
                  the trainer's last.pt / best.pt; see vidpose.engine.training_state)

Version 1 had no ``kind`` (a lifter's ``model_config`` names its ``lifter``), stored a lifter's
receptive field as ``clip_frames`` and an ``image_size`` of 0, and kept the integral head's
loss weights in ``config["train"]``; :func:`read_checkpoint` returns a version-1 file in the
structure above.

Inference needs only :func:`load_model`; the trainer also uses :func:`rng_state` and
:func:`restore_rng_state` so a resumed run draws the same random numbers.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import random
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidpose.infra.atomic import atomic_path
from vidpose.infra.errors import UserError
from vidpose.models import build_model
from vidpose.models.settings import (
    CLIPS,
    LIFTER,
    MODEL_CONFIGS,
    MOVED_FROM_TRAIN,
    LifterConfig,
    ModelConfig,
    load_model_section,
    model_kind,
)

FORMAT_NAME = "vidpose-checkpoint"
FORMAT_VERSION = 2
#: The versions this vidpose reads (see the module docstring).
READABLE_VERSIONS = (1, 2)
#: What a checkpoint of each kind records about the model's input, besides the common fields.
KIND_FIELDS: dict[str, tuple[str, ...]] = {CLIPS: ("clip_frames", "image_size"), LIFTER: ()}
#: What each kind of checkpoint is called in messages, and what its model reads (the tracks'
#: ``model_noun`` too, vidpose.tracks).
KIND_NOUNS = {CLIPS: ("an image model", "frames"), LIFTER: ("a lifter", "2D keypoint sequences")}


def save_checkpoint(path: str | os.PathLike, checkpoint: dict[str, Any]) -> None:
    """Write ``checkpoint`` to ``path`` atomically (a crash never leaves a partial file).

    A failed write (a full disk, a vanished folder) is a ``UserError`` naming ``path`` and, for
    a full disk, the space it needs; an older file at ``path`` stays as it was.
    """
    path = Path(path)
    target = None
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            target = _KeepWriteError(handle)
            torch.save(checkpoint, target)
    except (OSError, RuntimeError) as exc:
        cause = target.error if target is not None and target.error is not None else exc
        raise _save_failure(path, checkpoint, cause) from None


class _KeepWriteError:
    """A binary file that remembers the ``OSError`` a write raised: torch's serializer replaces
    it with a RuntimeError without the errno ("basic_ios::clear: iostream error" when given a
    path), and the errno tells a full disk from other failures."""

    def __init__(self, handle: Any) -> None:
        self.handle, self.error = handle, None

    def write(self, data: Any) -> int:
        try:
            return self.handle.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        self.handle.flush()


def _save_failure(path: Path, checkpoint: dict[str, Any], exc: Exception) -> UserError:
    kept = f"; the previous {path.name} is unchanged" if path.is_file() else ""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        tensors = [t for t in _leaves(checkpoint) if isinstance(t, torch.Tensor)]
        space = f"needs about {sum(t.numel() * t.element_size() for t in tensors) / 1e6:.1f} MB"
        with contextlib.suppress(OSError):
            space += f", {shutil.disk_usage(path.parent).free / 1e6:.1f} MB free"
        return UserError(f"{path}: no space left on the device for the checkpoint ({space}){kept}")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _first_line(exc)
    return UserError(f"{path}: cannot save the checkpoint ({reason}){kept}")


def _leaves(value: Any) -> Iterator[Any]:
    """Every leaf of nested dicts, lists and tuples."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _damage(path: Path, exc: Exception) -> str:
    """What is wrong with a file torch.load failed on, in a few words."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not head:
        return "the file is empty"
    if head != b"PK\x03\x04":
        return "not a file torch.save wrote: no zip archive in it"
    if not zipfile.is_zipfile(path):
        return "damaged: its zip archive is cut short or corrupt"
    return f"damaged: {type(exc).__name__}: {_first_line(exc).split('. ')[0]}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def make_checkpoint(
    model: torch.nn.Module,
    *,
    fps: float,
    config: dict[str, Any],
    training: dict[str, Any] | None = None,
    **fields: int,
) -> dict[str, Any]:
    """The checkpoint dict for an (unwrapped) model built by ``build_model``: ``fields`` are
    those its kind records (``KIND_FIELDS``: an image model's ``clip_frames`` and
    ``image_size``; none for a lifter)."""
    kind = model.config.kind
    if set(fields) != set(KIND_FIELDS[kind]):
        raise TypeError(
            f"a {kind!r} checkpoint records {sorted(KIND_FIELDS[kind])}, got {sorted(fields)}"
        )
    checkpoint = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "kind": kind,
        "model_config": model.config.to_dict(),
        "model": {key: value.detach().cpu() for key, value in model.state_dict().items()},
        **{name: int(value) for name, value in fields.items()},
        "fps": float(fps),
        "config": config,
    }
    if training is not None:
        checkpoint["training"] = training
    return checkpoint


def read_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """The checkpoint dict in ``path``; ``UserError`` unless it is a vidpose checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: checkpoint not found")
    try:
        # weights_only keeps loading safe; our dicts hold only tensors and plain values.
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        # torch's message suggests weights_only=False, which is wrong advice for a damaged file
        # and unsafe for a foreign one.
        raise UserError(
            f"{path}: not a readable vidpose checkpoint (damaged, or it holds objects other "
            "than tensors and plain values)"
        ) from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - a damaged file fails in any of torch's layers
        raise UserError(
            f"{path}: not a readable vidpose checkpoint ({_damage(path, exc)})"
        ) from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT_NAME:
        raise UserError(f"{path}: not a vidpose checkpoint")
    if checkpoint.get("version") not in READABLE_VERSIONS:
        raise UserError(
            f"{path}: checkpoint version {checkpoint.get('version')!r} unsupported "
            f"(this vidpose reads versions {', '.join(map(str, READABLE_VERSIONS))})"
        )
    if not isinstance(checkpoint.get("model_config"), dict):
        raise UserError(f"{path}: invalid checkpoint (no model_config)")
    return _current_structure(checkpoint) if checkpoint["version"] == 1 else checkpoint


def _current_structure(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """A version-1 checkpoint in the current structure (module docstring)."""
    checkpoint = dict(checkpoint, version=FORMAT_VERSION)
    kind = checkpoint["kind"] = model_kind(checkpoint["model_config"])
    for fields in KIND_FIELDS.values():
        for name in set(fields) - set(KIND_FIELDS[kind]):
            checkpoint.pop(name, None)
    config = checkpoint.get("config")
    train = config.get("train") if isinstance(config, dict) else None
    if isinstance(train, dict):  # (a lifter's model section drops them again)
        moved = {key: train[key] for key in MOVED_FROM_TRAIN if key in train}
        checkpoint["model_config"] = {**moved, **checkpoint["model_config"]}
    return checkpoint


def load_weights(model: torch.nn.Module, checkpoint: dict[str, Any], path: Any) -> None:
    """Load the checkpoint's weights into ``model``; ``UserError`` when they don't fit."""
    try:
        model.load_state_dict(checkpoint["model"])
    except (RuntimeError, KeyError) as exc:
        lines = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in lines[:2])
        if len(detail) > 300:
            detail = detail[:300] + "..."
        raise UserError(f"{path}: weights do not fit the model ({detail})") from None


def checkpoint_model_config(checkpoint: dict[str, Any], path: Any) -> ModelConfig | LifterConfig:
    """The model section of ``checkpoint`` (:func:`read_checkpoint`'s, from ``path``) as its
    kind's config class; options removed since, at their "off" value, are moot. One that does
    not load is a one-line ``UserError``."""
    try:
        return load_model_section(
            MODEL_CONFIGS[checkpoint["kind"]],
            dict(checkpoint["model_config"]),
            "model",
            saved_in=str(path),
        )
    except (KeyError, TypeError, UserError) as exc:
        raise UserError(f"{path}: invalid model_config in checkpoint ({exc})") from None


def load_model(
    path: str | os.PathLike, map_location: Any = "cpu"
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """(The model in eval mode with the checkpoint's weights, the checkpoint dict): a
    ``PoseModel`` or a ``LiftingModel`` as the checkpoint's ``kind`` says.

    The model also carries its kind's ``KIND_FIELDS`` as attributes (an image model's
    ``image_size`` and ``clip_frames``, which :func:`vidpose.engine.clip_inference.predict_store`
    uses to resize frames).
    """
    checkpoint = read_checkpoint(path, map_location=map_location)
    kind = checkpoint["kind"]
    model_config = checkpoint_model_config(checkpoint, path)
    # The weights are in the checkpoint; a backbone's weights file need not exist any more.
    model = build_model(model_config.without_pretrained(), load_pretrained=False)
    load_weights(model, checkpoint, path)
    for name in KIND_FIELDS[kind]:
        setattr(model, name, int(checkpoint[name]))
    if isinstance(map_location, (str, torch.device)):
        model.to(map_location)
    model.eval()
    return model, checkpoint


def require_kind(model: torch.nn.Module, kind: str, path: Any, command: str) -> None:
    """``UserError`` unless ``model`` (from the checkpoint at ``path``) is of ``kind``."""
    if model.config.kind != kind:
        have, have_input = KIND_NOUNS[model.config.kind]
        want, want_input = KIND_NOUNS[kind]
        raise UserError(
            f"{path}: {have} checkpoint ({have_input} in), but {command} needs {want} "
            f"({want_input} in)"
        )


def save_inference_checkpoint(source: str | os.PathLike, out: str | os.PathLike) -> Path:
    """The checkpoint at ``source`` (a trainer's ``last.pt``) written to ``out`` without its
    training state: the model, its config and the run's config, about 4 bytes a parameter
    (what the package ships and ``load_model`` needs)."""
    model, checkpoint = load_model(source)
    fields = {name: int(checkpoint[name]) for name in KIND_FIELDS[model.config.kind]}
    slim = make_checkpoint(
        model, fps=float(checkpoint["fps"]), config=checkpoint.get("config", {}), **fields
    )
    save_checkpoint(out, slim)
    return Path(out)


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch (CPU and CUDA) random states, as checkpoint-safe values."""
    numpy_state = np.random.get_state()  # noqa: NPY002 - saving the legacy global RNG
    return {
        "python": repr(random.getstate()),
        "numpy": {
            "keys": torch.from_numpy(numpy_state[1].astype(np.int64)),
            "pos": int(numpy_state[2]),
            "has_gauss": int(numpy_state[3]),
            "cached_gaussian": float(numpy_state[4]),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Undo :func:`rng_state`: the next random numbers are those the saved run would draw."""
    import ast

    python_state = ast.literal_eval(state["python"])
    random.setstate(python_state)
    numpy_state = state["numpy"]
    np.random.set_state(  # noqa: NPY002
        (
            "MT19937",
            numpy_state["keys"].numpy().astype(np.uint32),
            numpy_state["pos"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
