"""The training loop: one plain PyTorch loop for CPU, one GPU, or many under torchrun (DDP).

Per step: a batch of uint8 clips → normalised input → model → loss (``train.loss``, metres) →
backward → optimizer and per-step schedule. Every step logs its training loss and MPJPE; every
epoch ends with a pass over the whole test store, the epoch rows of ``metrics.csv``, ``best.pt``
when the test MPJPE improved and ``last.pt``.

Resuming is exact: ``last.pt`` holds the optimizer and schedule, every process's random states,
and the position ``(epoch, step in epoch)`` in the seeded data order (vidpose.data.order), so a
run stopped anywhere — by ``train.stop_after_steps``, Ctrl-C, or at an epoch end — and resumed
ends with the same weights as one that never stopped.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from vidpose import checkpoint as ckpt
from vidpose import metrics
from vidpose.atomic import write_atomic, write_text_atomic
from vidpose.config import RunConfig, dump_config
from vidpose.data.order import epoch_order, train_step_indices, train_steps_per_epoch
from vidpose.data.source import ClipDataset
from vidpose.engine import distributed, performance, run_folder
from vidpose.engine.batches import (
    DeviceBatches,
    FrameNormalizer,
    memory_budget_bytes,
    resolve_data_path,
)
from vidpose.engine.optim import WeightAverage, build_optimizer, build_scheduler
from vidpose.engine.predict import predict_source
from vidpose.engine.run_log import MetricsLog, truncate_metrics
from vidpose.engine.step_metrics import READ_BACK_EVERY, ReadBack, StepMetrics
from vidpose.engine.train_step import Objective, StepInputs
from vidpose.errors import UserError
from vidpose.models import build_model
from vidpose.store import ClipStore, open_store


class TrainingDiverged(UserError):
    """The loss became NaN or inf; the run stopped and kept its last good checkpoint."""


@dataclass
class TrainResult:
    status: str  # "finished", "stopped" (train.stop_after_steps) or "interrupted" (Ctrl-C)
    run_dir: Path
    epochs_done: int
    step: int
    test_mpjpe_mm: float | None  # after the last completed epoch
    best_mpjpe_mm: float | None


class _StopRequest:
    """First Ctrl-C asks the loop to stop after the current step; a second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _StopRequest:
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: Ctrl-C keeps its default behaviour
            self._previous = None
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def open_split(data_dir: Path, split: str) -> ClipStore:
    return open_store(data_dir / split)


def _effective_fps(store: ClipStore) -> float:
    return float(store.meta.get("fps", 50.0)) / max(1, int(store.meta.get("frame_stride", 1)))


def _seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - third-party code may use the global RNG
    torch.manual_seed(seed)


class Trainer:
    #: On CPU a read-back costs nothing, so every step is read at once (as it happens).
    cpu_read_back_every = 1

    def __init__(
        self,
        config: RunConfig,
        data_dir: str | Path,
        run_dir: str | Path,
        *,
        resume: bool = False,
        device: str | None = None,
        stop_after_steps: int = 0,
        on_step: Callable[[int], None] | None = None,
    ) -> None:
        self.config = config
        self.stop_after_steps = stop_after_steps
        self.on_step = on_step  # called with the global step count after each step (benchmarks)
        self.run_dir = Path(run_dir)
        self.resume = resume
        self.context = distributed.init(device)
        run_folder.check_run_dir(self.run_dir, resume)
        data_dir = Path(data_dir)
        self.train_store = open_split(data_dir, "train")
        self.test_store = open_split(data_dir, "test")
        self.train_data = ClipDataset(self.train_store, config.data.clip_frames)
        self.test_data = ClipDataset(self.test_store, config.data.clip_frames)
        if self.test_store.frames_per_clip != self.train_store.frames_per_clip:
            raise UserError(
                f"{self.test_store.path}: {self.test_store.frames_per_clip}-frame clips, but "
                f"{self.train_store.path} holds {self.train_store.frames_per_clip}-frame clips"
            )
        self.clip_frames = self.train_store.frames_per_clip
        self.image_size = config.data.image_size
        self.batch_size = config.train.batch_size
        self.steps_per_epoch = train_steps_per_epoch(
            len(self.train_data), self.batch_size, self.context.world_size
        )
        self.total_steps = self.steps_per_epoch * config.train.epochs
        self.objective = Objective(config.train)
        self._set_up_speed()

        _seed_everything(config.seed)
        self.model = build_model(config.model)
        self.model.image_size, self.model.clip_frames = self.image_size, self.clip_frames
        if config.train.normalize_targets:
            poses = self.train_store.poses3d.reshape(-1, 17, 3).astype(np.float64)
            self.model.set_target_stats(
                torch.from_numpy(poses.mean(0)), torch.from_numpy(poses.std(0))
            )
        self.model.to(self.context.device)
        performance.prepare_model(self.model, self.speed)
        self.optimizer = build_optimizer(
            self.model.parameters(),
            config.optim,
            fused=performance.fused_optimizer_ok(self.context.device),
        )
        self.scheduler = build_scheduler(
            self.optimizer, config.optim, self.total_steps, self.steps_per_epoch
        )
        # The EMA copy is what gets evaluated and saved as the model weights (see _checkpoint).
        self.ema = None
        if config.optim.ema_decay:
            self.ema = WeightAverage(self.model, config.optim.ema_decay)
        self.step_inputs = StepInputs(
            self.train_data,
            config.augment,
            self.image_size,
            self.context.device,
            seed=config.seed * 1_000_003 + self.context.rank,
            need_poses2d=config.train.loss_2d_weight > 0,
            normalize=self.normalizer,
        )
        self.train_model: torch.nn.Module = self.model
        if self.context.distributed:
            device_ids = [self.context.local_rank] if self.context.device.type == "cuda" else None
            self.train_model = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=device_ids
            )
        # A short last batch runs eagerly: one step per epoch, where compiling it would cost a
        # second compilation of the whole model.
        self.eager_train_model = self.train_model
        self.train_model = performance.maybe_compile(self.train_model, self.speed)
        # Dropout and other randomness differ between processes; the model init above did not.
        _seed_everything(config.seed + 1_000_003 * self.context.rank)

        self.epoch, self.step_in_epoch, self.step = 0, 0, 0
        self.best_mpjpe_mm: float | None = None
        self.last_test_mpjpe_mm: float | None = None
        self.elapsed_before = 0.0
        self.epoch_sums = torch.zeros(3, dtype=torch.float64)  # loss·clips, mpjpe_m·clips, clips
        cpu = self.context.device.type == "cpu"
        every = self.cpu_read_back_every if cpu else READ_BACK_EVERY
        self.step_metrics = StepMetrics(self.context, every)
        if resume:
            self._restore(self.run_dir / "last.pt")

    def _set_up_speed(self) -> None:
        """Precision, layout, compile and the data path of each store (vidpose.engine.batches
        and .performance); ``auto`` settings resolve to the plain path on CPU."""
        train, device = self.config.train, self.context.device
        work = (
            float(self.total_steps * self.batch_size * self.context.world_size)
            * self.clip_frames
            * self.image_size**2
        )
        self.speed = performance.resolve_speed(
            device, train.precision, train.channels_last, train.compile, training_work=work
        )
        performance.configure_backends(device)
        self.normalizer = FrameNormalizer(channels_last=self.speed.channels_last)
        budget = memory_budget_bytes(device, train.gpu_memory_budget_gb)
        paths = []
        for data in (self.train_data, self.test_data):  # the training store has first claim
            nbytes = data.frames.nbytes
            path = resolve_data_path(train.data_path, device, nbytes, budget)
            budget -= nbytes if path == "resident" else 0
            paths.append(path)
        self.train_batches = DeviceBatches(self.train_data, device, paths[0])
        self.test_batches = DeviceBatches(self.test_data, device, paths[1])

    def speed_summary(self) -> dict[str, Any]:
        """The resolved speed settings (for logs and benchmarks)."""
        return {
            "precision": self.speed.precision,
            "channels_last": self.speed.channels_last,
            "compile": self.speed.compile,
            "data_path_train": self.train_batches.path,
            "data_path_test": self.test_batches.path,
            "fused_optimizer": performance.fused_optimizer_ok(self.context.device),
        }

    # -- checkpoints ---------------------------------------------------------------------------

    @property
    def eval_model(self) -> torch.nn.Module:
        """The weights that are evaluated and saved as the checkpoint's ``model``: the EMA
        average when ``optim.ema_decay`` is on, else the trained weights themselves."""
        return self.model if self.ema is None else self.ema.module

    def _checkpoint(self) -> dict[str, Any]:
        rng_states = distributed.gather_objects(ckpt.rng_state(), self.context)
        augment_rngs = distributed.gather_objects(self.step_inputs.state_dict(), self.context)
        training = {
            "augment_rng": augment_rngs,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "position": {"epoch": self.epoch, "step_in_epoch": self.step_in_epoch},
            "step": self.step,
            "rng": rng_states,
            "world_size": self.context.world_size,
            "best_mpjpe_mm": self.best_mpjpe_mm,
            "last_test_mpjpe_mm": self.last_test_mpjpe_mm,
            "elapsed_s": self._elapsed(),
            "epoch_sums": self.epoch_sums.clone(),
        }
        if self.ema is not None:
            training["ema_updates"] = self.ema.updates
            raw = self.model.state_dict()
            training["raw_model"] = {key: value.detach().cpu() for key, value in raw.items()}
        checkpoint = ckpt.make_checkpoint(
            self.eval_model,
            clip_frames=self.clip_frames,
            image_size=self.image_size,
            fps=_effective_fps(self.train_store),
            config=self.config.to_dict(),
            training=training,
        )
        checkpoint["epoch"], checkpoint["step"] = self.epoch, self.step
        return checkpoint

    def _save(self, *names: str) -> None:
        checkpoint = self._checkpoint()  # every process joins the RNG gather
        if self.context.is_main:
            first, *others = names
            ckpt.save_checkpoint(self.run_dir / first, checkpoint)
            for name in others:  # the same bytes: serialise once (~140 MB for a ResNet-18 run)
                _link_or_copy(self.run_dir / first, self.run_dir / name)
        distributed.barrier(self.context)

    def _restore(self, path: Path) -> None:
        checkpoint = ckpt.read_checkpoint(path)
        saved_model = checkpoint.get("model_config")
        if saved_model != self.config.model.to_dict():
            raise UserError(
                f"{path}: checkpoint is from a different model "
                f"({_model_difference(saved_model, self.config.model.to_dict())})"
            )
        training = checkpoint.get("training")
        if not isinstance(training, dict):
            raise UserError(f"{path}: holds weights only, no training state to resume from")
        self._restore_weights(checkpoint, training, path)
        if training["world_size"] != self.context.world_size:
            raise UserError(
                f"{path}: saved by {training['world_size']} process(es); resume with the same "
                f"number (now {self.context.world_size}) to continue exactly"
            )
        saved_config = checkpoint.get("config", {})
        for key, now in (
            ("train.batch_size", self.config.train.batch_size),
            ("seed", self.config.seed),
        ):
            section, _, name = key.rpartition(".")
            saved = (saved_config.get(section, {}) if section else saved_config).get(name)
            if saved != now:
                raise UserError(
                    f"{path}: saved with {key}={saved!r}; resume with the same value (now "
                    f"{now!r}) so the data order continues where it stopped"
                )
        self.optimizer.load_state_dict(training["optimizer"])
        self.scheduler.load_state_dict(training["scheduler"])
        self.epoch = training["position"]["epoch"]
        self.step_in_epoch = training["position"]["step_in_epoch"]
        self.step = training["step"]
        self.best_mpjpe_mm = training["best_mpjpe_mm"]
        self.last_test_mpjpe_mm = training["last_test_mpjpe_mm"]
        self.elapsed_before = training["elapsed_s"]
        self.epoch_sums = training["epoch_sums"].clone()
        ckpt.restore_rng_state(training["rng"][self.context.rank])
        self.step_inputs.load_state_dict(training["augment_rng"][self.context.rank])

    def _restore_weights(self, checkpoint: dict, training: dict, path: Path) -> None:
        """The trained weights (and the EMA average) of a checkpoint saved by ``_checkpoint``."""
        has_ema = "raw_model" in training
        if has_ema != (self.ema is not None):
            raise UserError(
                f"{path}: saved with optim.ema_decay {'on' if has_ema else 'off'}; resume with "
                f"it {'on' if has_ema else 'off'} too (now {self.config.optim.ema_decay!r})"
            )
        if self.ema is None:
            ckpt.load_weights(self.model, checkpoint, path)
            return
        ckpt.load_weights(self.ema.module, checkpoint, path)
        ckpt.load_weights(self.model, {"model": training["raw_model"]}, path)
        self.ema.updates = int(training["ema_updates"])

    # -- the loop ------------------------------------------------------------------------------

    def _elapsed(self) -> float:
        return self.elapsed_before + time.monotonic() - self._started

    def run(self) -> TrainResult:
        self._started = time.monotonic()
        main = self.context.is_main
        if main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.run_dir / "config.yaml", dump_config(self.config))
            if self.resume:
                truncate_metrics(self.run_dir / "metrics.csv", self.step, self.epoch)
        distributed.barrier(self.context)
        self.log = MetricsLog(self.run_dir / "metrics.csv") if main else None
        use_tensorboard = main and self.config.train.tensorboard
        self.tensorboard = run_folder.open_tensorboard(self.run_dir) if use_tensorboard else None
        try:
            with _StopRequest() as stop:
                status = self._loop(stop)
            if status == "finished":
                self._finish()
        finally:
            if self.log is not None:
                self.log.close()
            if self.tensorboard is not None:
                self.tensorboard.close()
        return TrainResult(
            status,
            self.run_dir,
            self.epoch,
            self.step,
            self.last_test_mpjpe_mm,
            self.best_mpjpe_mm,
        )

    def _loop(self, stop: _StopRequest) -> str:
        epochs = self.config.train.epochs
        stop_after = self.stop_after_steps
        while self.epoch < epochs:
            order = epoch_order(len(self.train_data), self.config.seed, self.epoch)
            bar = tqdm(
                total=self.steps_per_epoch,
                initial=self.step_in_epoch,
                desc=f"epoch {self.epoch + 1}/{epochs}",
                disable=not self.context.is_main,
                dynamic_ncols=True,
            )
            index_lists = [
                train_step_indices(
                    order, step, self.batch_size, self.context.rank, self.context.world_size
                )
                for step in range(self.step_in_epoch, self.steps_per_epoch)
            ]
            batches = self.train_batches.batches(index_lists)
            try:
                with bar:
                    for indices in index_lists:
                        self._train_step(indices, batches, bar)
                        stopping = stop_after and self.step >= stop_after
                        read_now = self.step_metrics.due or stopping or self._stop_now(stop)
                        if read_now and self._read_back(stop.requested, bar).stop:
                            self._save("last.pt")
                            return "interrupted"
                        if stopping:
                            self._save("last.pt")
                            return "stopped"
                    self._read_back(stop.requested, bar)
            finally:
                if isinstance(batches, Iterator):
                    batches.close()  # ends a prefetch thread
            self._end_epoch()
            if self._stop_vote(stop.requested):
                return "interrupted"
        return "finished"

    def _stop_now(self, stop: _StopRequest) -> bool:
        """A single process stops on Ctrl-C right away; several agree at the next read-back."""
        return stop.requested and not self.context.distributed

    def _stop_vote(self, requested: bool) -> bool:
        if not self.context.distributed:
            return requested
        vote = torch.tensor([float(requested)], device=self.context.device)
        return bool(distributed.all_sum(vote, self.context).item())

    def _train_step(self, indices: np.ndarray, batches: Iterator, bar: tqdm) -> None:
        """One optimizer step on clips ``indices``, whose batch is ``batches``' next. Queues GPU
        work and records the numbers on the device; nothing here waits for the GPU."""
        frames, poses = next(batches)
        batch = self.step_inputs.prepare(indices, frames, poses)
        full = len(indices) == self.batch_size
        model = self.train_model if full else self.eager_train_model
        model.train()
        with performance.autocast(self.context.device, self.speed):
            outputs = model(batch.inputs, batch.geometry, return_aux=True)
        pred = outputs["poses3d"].float()
        loss = self.objective(outputs, batch, self.model)
        with torch.no_grad():
            mpjpe_m = metrics.mpjpe(pred.detach(), batch.poses3d)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.optim.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.optim.grad_clip)
        lr = self.optimizer.param_groups[0]["lr"]
        self.optimizer.step()
        self.scheduler.step()
        if self.ema is not None:
            self.ema.update(self.model)
        self.step += 1
        self.step_in_epoch += 1
        self.step_metrics.add(
            loss,
            mpjpe_m,
            len(indices),
            epoch=self.epoch + 1,
            step=self.step,
            lr=lr,
            elapsed_s=self._elapsed(),
        )
        bar.update(1)
        if self.on_step is not None:
            self.on_step(self.step)

    def _read_back(self, stop_requested: bool, bar: tqdm | None = None) -> ReadBack:
        """Log the steps taken since the last read-back; stop on a non-finite one (the weights
        are not saved after it: every save comes after a read-back)."""
        back = self.step_metrics.read_back(stop_requested)
        for row, sums in zip(back.rows, back.step_sums, strict=True):
            if not (math.isfinite(row.loss) and math.isfinite(row.mpjpe_mm)):
                self._diverged(row.loss, row.epoch, row.step)
            self.epoch_sums += sums
            if self.log is not None:
                self.log.write(
                    "step",
                    row.epoch,
                    row.step,
                    "train",
                    row.loss,
                    row.mpjpe_mm,
                    row.lr,
                    row.elapsed_s,
                )
            if self.tensorboard is not None:
                self.tensorboard.add_scalar("train/loss", row.loss, row.step)
                self.tensorboard.add_scalar("train/mpjpe_mm", row.mpjpe_mm, row.step)
        if bar is not None and back.rows:
            average = (self.epoch_sums / self.epoch_sums[2]).tolist()
            bar.set_postfix(loss=f"{average[0]:.4g}", mpjpe_mm=f"{average[1] * 1000:.1f}")
        return back

    def _diverged(self, loss: float, epoch: int | None = None, step: int | None = None) -> None:
        """``epoch`` and ``step``: 1-based, of the diverged step (default: the next one)."""
        epoch = self.epoch + 1 if epoch is None else epoch
        step = self.step + 1 if step is None else step
        last = self.run_dir / "last.pt"
        kept = (
            f"the last good checkpoint is {last} (after epoch {self.epoch})"
            if last.is_file()
            else "no checkpoint was saved yet"
        )
        raise TrainingDiverged(
            f"training diverged: loss is {loss} at epoch {epoch}, step {step}; "
            f"stopped, {kept}; try a lower optim.lr"
        )

    def _end_epoch(self) -> None:
        sums = self.epoch_sums
        train_loss, train_mpjpe_mm = (sums[0] / sums[2]).item(), (sums[1] / sums[2]).item() * 1000
        distributed.sync_buffers(self.model, self.context)
        if self.ema is not None:
            distributed.sync_buffers(self.ema.module, self.context)
        test_pred = self.predict_test()
        test_gt = self.test_store.poses3d
        test_loss = float(metrics.mse(test_pred, test_gt))
        test_mpjpe_mm = float(metrics.mpjpe_mm(test_pred, test_gt))
        if not (math.isfinite(test_loss) and math.isfinite(test_mpjpe_mm)):
            self._diverged(test_loss)
        self.epoch += 1
        self.step_in_epoch = 0
        self.epoch_sums = torch.zeros(3, dtype=torch.float64)
        self.last_test_mpjpe_mm = test_mpjpe_mm
        lr, elapsed = self.optimizer.param_groups[0]["lr"], self._elapsed()
        if self.log is not None:
            self.log.write(
                "epoch", self.epoch, self.step, "train", train_loss, train_mpjpe_mm, lr, elapsed
            )
            self.log.write(
                "epoch", self.epoch, self.step, "test", test_loss, test_mpjpe_mm, lr, elapsed
            )
            tqdm.write(
                f"epoch {self.epoch}: train loss {train_loss:.4g} MPJPE {train_mpjpe_mm:.1f} mm | "
                f"test loss {test_loss:.4g} MPJPE {test_mpjpe_mm:.1f} mm"
            )
        if self.tensorboard is not None:
            self.tensorboard.add_scalar("test/loss", test_loss, self.step)
            self.tensorboard.add_scalar("test/mpjpe_mm", test_mpjpe_mm, self.step)
        improved = self.best_mpjpe_mm is None or test_mpjpe_mm < self.best_mpjpe_mm
        if improved:
            self.best_mpjpe_mm = test_mpjpe_mm
        self._save(*(("last.pt", "best.pt") if improved else ("last.pt",)))
        self._test_predictions = test_pred

    def predict_test(self) -> np.ndarray:
        """The current model's poses for every test clip (N, T, 17, 3) metres, on every process."""
        return predict_source(
            self.eval_model,
            self.test_batches,
            batch_size=self.config.eval.batch_size,
            device=self.context.device,
            flip_test=self.config.eval.flip_test,
            image_size=self.image_size,
            context=self.context,
            progress=True,
            speed=self.speed,
            normalize=self.normalizer,
        )

    def _finish(self) -> None:
        """Final test predictions, evaluation report and curves (main process only)."""
        predictions = getattr(self, "_test_predictions", None)
        if predictions is None:  # resumed after the last epoch had already ended
            predictions = self.predict_test()
        if not self.context.is_main:
            return
        run_folder.write_predictions(self.run_dir, predictions)
        if self.config.train.final_report:
            run_folder.write_evaluation(
                self.run_dir, predictions, self.train_store, self.test_store
            )
            run_folder.plot_curves(self.run_dir)


def _link_or_copy(source: Path, target: Path) -> None:
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


def train(
    config: RunConfig,
    data_dir: str | Path,
    run_dir: str | Path,
    *,
    resume: bool = False,
    device: str | None = None,
    stop_after_steps: int = 0,
) -> TrainResult:
    """Train ``config`` on ``data_dir``/{train,test} into ``run_dir`` (see module docstring).

    ``stop_after_steps`` > 0 stops once the run has taken that many steps in all, saving
    ``last.pt`` for ``--resume`` (for debugging and for tests of resuming). Joins torchrun's
    process group when launched by it, and leaves it at the end.
    """
    try:
        trainer = Trainer(
            config,
            data_dir,
            run_dir,
            resume=resume,
            device=device,
            stop_after_steps=stop_after_steps,
        )
        return trainer.run()
    finally:
        distributed.shutdown()
