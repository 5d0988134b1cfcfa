"""The trainer's checkpoints, ``last.pt`` and ``best.pt``: assembling the full training state,
writing it, and restoring it for ``--resume``.

Besides the evaluated weights (vidpose.checkpoint's layout), ``training`` holds what an exact
resume needs: the optimizer and schedule, every process's random states (global and
augmentation), the position ``(epoch, step in epoch)`` in the seeded data order, the partial
epoch sums and, with ``optim.ema_decay``, the raw trained weights beside the EMA average.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidpose import checkpoint as ckpt
from vidpose.atomic import user_error_on_write, write_atomic
from vidpose.engine import distributed
from vidpose.errors import UserError
from vidpose.store import ClipStore

if TYPE_CHECKING:
    from vidpose.engine.trainer import Trainer


def effective_fps(store: ClipStore) -> float:
    """Frames per second of the store's clips: the recording's fps over the frame stride."""
    return float(store.meta.get("fps", 50.0)) / max(1, int(store.meta.get("frame_stride", 1)))


def training_checkpoint(trainer: Trainer) -> dict[str, Any]:
    """The checkpoint dict of ``trainer`` now; every process must call it (it gathers the
    random states of all of them)."""
    context = trainer.context
    rng_states = distributed.gather_objects(ckpt.rng_state(), context)
    augment_rngs = distributed.gather_objects(trainer.step_inputs.state_dict(), context)
    training = {
        "augment_rng": augment_rngs,
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict(),
        "position": {"epoch": trainer.epoch, "step_in_epoch": trainer.step_in_epoch},
        "step": trainer.step,
        "rng": rng_states,
        "world_size": context.world_size,
        "best_mpjpe_mm": trainer.best_mpjpe_mm,
        "last_test_mpjpe_mm": trainer.last_test_mpjpe_mm,
        "elapsed_s": trainer.elapsed_s(),
        "epoch_sums": trainer.epoch_sums.clone(),
    }
    if trainer.ema is not None:
        training["ema_updates"] = trainer.ema.updates
        raw = trainer.model.state_dict()
        training["raw_model"] = {key: value.detach().cpu() for key, value in raw.items()}
    checkpoint = ckpt.make_checkpoint(
        trainer.eval_model,
        clip_frames=trainer.clip_frames,
        image_size=trainer.image_size,
        fps=effective_fps(trainer.train_store),
        config=trainer.config.to_dict(),
        training=training,
    )
    checkpoint["epoch"], checkpoint["step"] = trainer.epoch, trainer.step
    return checkpoint


def save_training_checkpoint(trainer: Trainer, *names: str) -> None:
    """Write the checkpoint to each of ``names`` in the run folder (main process only)."""
    checkpoint = training_checkpoint(trainer)  # every process joins the RNG gather
    if trainer.context.is_main:
        first, *others = names
        ckpt.save_checkpoint(trainer.run_dir / first, checkpoint)
        for name in others:  # the same bytes: serialise once (~140 MB for a ResNet-18 run)
            with user_error_on_write(trainer.run_dir / name):
                link_or_copy(trainer.run_dir / first, trainer.run_dir / name)
    distributed.barrier(trainer.context)


def restore_training_state(trainer: Trainer, path: Path) -> None:
    """Continue ``trainer`` from ``path``, refusing a checkpoint it cannot continue exactly."""
    config, context = trainer.config, trainer.context
    checkpoint = ckpt.read_checkpoint(path)
    saved_model = checkpoint.get("model_config")
    if saved_model != config.model.to_dict():
        raise UserError(
            f"{path}: checkpoint is from a different model "
            f"({_model_difference(saved_model, config.model.to_dict())})"
        )
    training = checkpoint.get("training")
    if not isinstance(training, dict):
        raise UserError(f"{path}: holds weights only, no training state to resume from")
    _restore_weights(trainer, checkpoint, training, path)
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
    trainer.optimizer.load_state_dict(training["optimizer"])
    trainer.scheduler.load_state_dict(training["scheduler"])
    trainer.epoch = training["position"]["epoch"]
    trainer.step_in_epoch = training["position"]["step_in_epoch"]
    trainer.step = training["step"]
    trainer.best_mpjpe_mm = training["best_mpjpe_mm"]
    trainer.last_test_mpjpe_mm = training["last_test_mpjpe_mm"]
    trainer.elapsed_before = training["elapsed_s"]
    trainer.epoch_sums = training["epoch_sums"].clone()
    ckpt.restore_rng_state(training["rng"][context.rank])
    trainer.step_inputs.load_state_dict(training["augment_rng"][context.rank])


def _restore_weights(trainer: Trainer, checkpoint: dict, training: dict, path: Path) -> None:
    """The trained weights (and the EMA average) of a checkpoint from ``training_checkpoint``."""
    has_ema = "raw_model" in training
    if has_ema != (trainer.ema is not None):
        raise UserError(
            f"{path}: saved with optim.ema_decay {'on' if has_ema else 'off'}; resume with "
            f"it {'on' if has_ema else 'off'} too (now {trainer.config.optim.ema_decay!r})"
        )
    if trainer.ema is None:
        ckpt.load_weights(trainer.model, checkpoint, path)
        return
    ckpt.load_weights(trainer.ema.module, checkpoint, path)
    ckpt.load_weights(trainer.model, {"model": training["raw_model"]}, path)
    trainer.ema.updates = int(training["ema_updates"])


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


def _model_difference(saved: Any, wanted: dict[str, Any]) -> str:
    if not isinstance(saved, dict):
        return "no model config in the checkpoint"
    keys = [k for k in sorted(set(saved) | set(wanted)) if saved.get(k) != wanted.get(k)]
    return "; ".join(f"model.{k}: {saved.get(k)!r} there, {wanted.get(k)!r} here" for k in keys[:3])
