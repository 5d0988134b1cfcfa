"""The state of a training run, and its checkpoints ``last.pt`` and ``best.pt``.

:class:`TrainingState` holds everything an exact resume needs: the trained weights (and, with
``optim.ema_decay``, their EMA average), the optimizer and schedule, the augmentation
generator, every process's random states, the position ``(epoch, step in epoch)`` in the
seeded data order, the partial epoch sums and the scores so far. ``state_dict()`` and
``load_state_dict()`` carry the parts that are not weights; :func:`make_training_checkpoint`
builds the one checkpoint dict (vidpose.runs.checkpoint's structure, with the evaluated weights as
``model`` and the rest under ``training``) and :func:`restore_training_state` reads it back,
refusing a checkpoint it cannot continue exactly.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from vidpose.engine import distributed
from vidpose.infra.atomic import user_error_on_write, write_atomic
from vidpose.infra.errors import UserError
from vidpose.runs import checkpoint as ckpt
from vidpose.runs.run_config import RunConfig


class TrainingState:
    """What the training loop changes and a resume restores (module docstring).

    ``model`` is the trained module (not a DDP or compiled wrapper), ``ema`` its
    ``WeightAverage`` or None, ``augment`` anything with ``state_dict``/``load_state_dict``
    (the step's augmentation generator).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        ema: Any,
        optimizer: torch.optim.Optimizer,
        scheduler: Any,
        augment: Any,
        context: distributed.Context,
    ) -> None:
        self.model, self.ema = model, ema
        self.optimizer, self.scheduler, self.augment = optimizer, scheduler, augment
        self.context = context
        self.epoch = 0  # epochs completed
        self.step_in_epoch = 0
        self.step = 0  # optimizer steps in all
        self.best_mpjpe_mm: float | None = None
        self.last_test_mpjpe_mm: float | None = None
        self.elapsed_before = 0.0  # training seconds of the runs this one resumes
        self.epoch_sums = torch.zeros(3, dtype=torch.float64)  # loss·clips, mpjpe_m·clips, clips
        self._started = time.monotonic()

    @property
    def eval_model(self) -> torch.nn.Module:
        """The weights that are evaluated and saved as the checkpoint's ``model``: the EMA
        average when ``optim.ema_decay`` is on, else the trained weights themselves."""
        return self.model if self.ema is None else self.ema.module

    def start_clock(self) -> None:
        self._started = time.monotonic()

    def elapsed_s(self) -> float:
        """Training wall time so far, seconds, including the runs this one resumes."""
        return self.elapsed_before + time.monotonic() - self._started

    def state_dict(self) -> dict[str, Any]:
        """Everything but the evaluated weights; every process must call it (it gathers the
        random states of all of them)."""
        context = self.context
        training = {
            "augment_rng": distributed.gather_objects(self.augment.state_dict(), context),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "position": {"epoch": self.epoch, "step_in_epoch": self.step_in_epoch},
            "step": self.step,
            "rng": distributed.gather_objects(ckpt.rng_state(), context),
            "world_size": context.world_size,
            "best_mpjpe_mm": self.best_mpjpe_mm,
            "last_test_mpjpe_mm": self.last_test_mpjpe_mm,
            "elapsed_s": self.elapsed_s(),
            "epoch_sums": self.epoch_sums.clone(),
        }
        if self.ema is not None:
            training["ema_updates"] = self.ema.updates
            raw = self.model.state_dict()
            training["raw_model"] = {key: value.detach().cpu() for key, value in raw.items()}
        return training

    def load_state_dict(self, training: dict[str, Any]) -> None:
        """Continue from ``training`` (a :meth:`state_dict`); the weights are loaded by
        :func:`restore_training_state`."""
        rank = self.context.rank
        self.optimizer.load_state_dict(training["optimizer"])
        self.scheduler.load_state_dict(training["scheduler"])
        self.epoch = training["position"]["epoch"]
        self.step_in_epoch = training["position"]["step_in_epoch"]
        self.step = training["step"]
        self.best_mpjpe_mm = training["best_mpjpe_mm"]
        self.last_test_mpjpe_mm = training["last_test_mpjpe_mm"]
        self.elapsed_before = training["elapsed_s"]
        self.epoch_sums = training["epoch_sums"].clone()
        ckpt.restore_rng_state(training["rng"][rank])
        self.augment.load_state_dict(training["augment_rng"][rank])


def make_training_checkpoint(
    state: TrainingState, config: RunConfig, *, fps: float, **fields: int
) -> dict[str, Any]:
    """The one checkpoint dict of a run: the evaluated weights and what the model needs
    (vidpose.runs.checkpoint.make_checkpoint, with its kind's ``fields``), the run config, and
    ``training`` (the state)."""
    checkpoint = ckpt.make_checkpoint(
        state.eval_model,
        fps=fps,
        config=config.to_dict(),
        training=state.state_dict(),
        **fields,
    )
    checkpoint["epoch"], checkpoint["step"] = state.epoch, state.step
    return checkpoint


def save_training_checkpoint(
    checkpoint: dict[str, Any], run_dir: Path, names: tuple[str, ...], context
) -> None:
    """Write ``checkpoint`` to each of ``names`` in ``run_dir`` (main process only)."""
    if context.is_main:
        first, *others = names
        ckpt.save_checkpoint(run_dir / first, checkpoint)
        for name in others:  # the same bytes: serialise once (~140 MB for a ResNet-18 run)
            with user_error_on_write(run_dir / name):
                link_or_copy(run_dir / first, run_dir / name)
    distributed.barrier(context)


def restore_training_state(state: TrainingState, config: RunConfig, path: Path) -> None:
    """Continue ``state`` from the checkpoint at ``path``, refusing one it cannot continue
    exactly (another model, weights only, another number of processes, batch size or seed)."""
    context = state.context
    checkpoint = ckpt.read_checkpoint(path)
    saved_model = ckpt.checkpoint_model_config(checkpoint, path)
    if saved_model != config.model:
        raise UserError(
            f"{path}: checkpoint is from a different model "
            f"({_model_difference(saved_model.to_dict(), config.model.to_dict())})"
        )
    training = checkpoint.get("training")
    if not isinstance(training, dict):
        raise UserError(f"{path}: holds weights only, no training state to resume from")
    _restore_weights(state, config, checkpoint, training, path)
    if training["world_size"] != context.world_size:
        raise UserError(
            f"{path}: saved by {training['world_size']} process(es); resume with the same "
            f"number (now {context.world_size}) to continue exactly"
        )
    saved_config = checkpoint.get("config", {})
    for key, now in (
        ("train.batch_size", config.train.batch_size),
        ("seed", config.seed),
    ):
        section, _, name = key.rpartition(".")
        saved = (saved_config.get(section, {}) if section else saved_config).get(name)
        if saved != now:
            raise UserError(
                f"{path}: saved with {key}={saved!r}; resume with the same value (now "
                f"{now!r}) so the data order continues where it stopped"
            )
    state.load_state_dict(training)


def _restore_weights(
    state: TrainingState, config: RunConfig, checkpoint: dict, training: dict, path: Path
) -> None:
    """The trained weights (and the EMA average) of a checkpoint from
    :func:`make_training_checkpoint`."""
    has_ema = "raw_model" in training
    if has_ema != (state.ema is not None):
        raise UserError(
            f"{path}: saved with optim.ema_decay {'on' if has_ema else 'off'}; resume with "
            f"it {'on' if has_ema else 'off'} too (now {config.optim.ema_decay!r})"
        )
    if state.ema is None:
        ckpt.load_weights(state.model, checkpoint, path)
        return
    ckpt.load_weights(state.ema.module, checkpoint, path)
    ckpt.load_weights(state.model, {"model": training["raw_model"]}, path)
    state.ema.updates = int(training["ema_updates"])


def link_or_copy(source: Path, target: Path) -> None:
    """Put ``source``'s bytes at ``target`` atomically: a hard link where the file system has
    them (no copy), else a copy. ``source`` is later replaced by rename, never rewritten in
    place, so the link keeps the old contents."""

    def writer(tmp: Path) -> None:
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)

    write_atomic(target, writer)


def _model_difference(saved: dict[str, Any], wanted: dict[str, Any]) -> str:
    keys = [k for k in sorted(set(saved) | set(wanted)) if saved.get(k) != wanted.get(k)]
    return "; ".join(f"model.{k}: {saved.get(k)!r} there, {wanted.get(k)!r} here" for k in keys[:3])
