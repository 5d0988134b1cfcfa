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

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from vidpose import metrics
from vidpose.atomic import write_text_atomic
from vidpose.config import RunConfig, dump_config
from vidpose.data.order import epoch_order, train_step_indices, train_steps_per_epoch
from vidpose.data.source import ClipDataset
from vidpose.engine import distributed, performance, run_folder
from vidpose.engine.batches import place_training_data
from vidpose.engine.divergence import (
    TrainingDiverged,  # noqa: F401 - raised by train(); callers import it from here
    training_diverged,
)
from vidpose.engine.optim import WeightAverage, build_optimizer, build_scheduler
from vidpose.engine.predict import predict_source
from vidpose.engine.run_log import truncate_metrics
from vidpose.engine.run_report import RunReport
from vidpose.engine.run_setup import (
    build_training_model,
    check_same_clip_length,
    open_split,
    seed_everything,
    training_modules,
)
from vidpose.engine.step_metrics import READ_BACK_EVERY, ReadBack, StepMetrics
from vidpose.engine.stop_request import StopRequest, agree_to_stop, stop_now
from vidpose.engine.train_step import Objective, StepInputs
from vidpose.engine.training_state import (
    TrainingState,
    effective_fps,
    make_training_checkpoint,
    restore_training_state,
    save_training_checkpoint,
)
from vidpose.models.preprocess import normalize_frames
from vidpose.progress import progress_bar


@dataclass
class TrainResult:
    status: str  # "finished", "stopped" (train.stop_after_steps) or "interrupted" (Ctrl-C)
    run_dir: Path
    epochs_done: int
    step: int
    test_mpjpe_mm: float | None  # after the last completed epoch
    best_mpjpe_mm: float | None
    train_s: float  # training wall time, seconds, including the runs this one resumed


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
        self._open_data(Path(data_dir))
        self.batch_size = config.train.batch_size
        self.steps_per_epoch = train_steps_per_epoch(
            len(self.train_data), self.batch_size, self.context.world_size
        )
        self.total_steps = self.steps_per_epoch * config.train.epochs
        self.objective = Objective(config.train)
        self._set_up_speed()

        self.model = self._build_model()
        self.optimizer = build_optimizer(
            self.model.parameters(),
            config.optim,
            fused=performance.fused_optimizer_ok(self.context.device),
        )
        self.scheduler = build_scheduler(
            self.optimizer, config.optim, self.total_steps, self.steps_per_epoch
        )
        # The EMA copy is what gets evaluated and saved as the model weights (see eval_model).
        self.ema = None
        if config.optim.ema_decay:
            self.ema = WeightAverage(self.model, config.optim.ema_decay)
        self.step_inputs = self._make_step_inputs()
        self.train_model, self.eager_train_model = training_modules(
            self.model, self.context, self.speed
        )
        # Dropout and other randomness differ between processes; the model init above did not.
        seed_everything(config.seed + 1_000_003 * self.context.rank)

        self.state = TrainingState(
            self.model, self.ema, self.optimizer, self.scheduler, self.step_inputs, self.context
        )
        cpu = self.context.device.type == "cpu"
        every = self.cpu_read_back_every if cpu else READ_BACK_EVERY
        self.step_metrics = StepMetrics(self.context, every)
        if resume:
            restore_training_state(self.state, config, self.run_dir / "last.pt")

    # -- what the run trains on: image clips here, keypoint sequences in LiftingTrainer --------

    def _open_data(self, data_dir: Path) -> None:
        """The stores and datasets of DATA/train and DATA/test, and the model's input shape."""
        config = self.config
        self.train_store = open_split(data_dir, "train")
        self.test_store = open_split(data_dir, "test")
        self.train_data = ClipDataset(self.train_store, config.data.clip_frames)
        self.test_data = ClipDataset(self.test_store, config.data.clip_frames)
        check_same_clip_length(self.train_store, self.test_store)
        self.clip_frames = self.train_store.frames_per_clip
        self.image_size = config.data.image_size

    def _build_model(self) -> torch.nn.Module:
        return build_training_model(
            self.config,
            self.train_store,
            image_size=self.image_size,
            clip_frames=self.clip_frames,
            device=self.context.device,
            speed=self.speed,
        )

    def _make_step_inputs(self) -> StepInputs:
        """What turns each stored batch into the model's input and targets (``prepare``)."""
        return StepInputs(
            self.config.augment,
            self.image_size,
            self.context.device,
            seed=self.config.seed * 1_000_003 + self.context.rank,
            normalize=self.normalizer,
        )

    def test_targets(self) -> np.ndarray:
        """Ground truth that ``predict_test``'s poses are scored against, metres."""
        return self.test_data.poses3d

    def _write_evaluation(self, predictions: np.ndarray) -> None:
        run_folder.write_evaluation(self.run_dir, predictions, self.train_store, self.test_store)

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
        self.normalizer = functools.partial(
            normalize_frames, channels_last=self.speed.channels_last
        )
        self.train_batches, self.test_batches = place_training_data(
            self.train_data, self.test_data, device, train.data_path, train.gpu_memory_budget_gb
        )

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

    @property
    def eval_model(self) -> torch.nn.Module:
        """The weights that are evaluated and saved (see ``TrainingState.eval_model``)."""
        return self.state.eval_model

    # -- the loop ------------------------------------------------------------------------------

    def elapsed_s(self) -> float:
        """Training wall time so far, seconds, including the runs this one resumes."""
        return self.state.elapsed_s()

    def save_checkpoint(self, *names: str) -> None:
        """The run's checkpoint now, written to each of ``names`` in the run folder; every
        process must call it (it gathers the random states of all of them)."""
        checkpoint = make_training_checkpoint(
            self.state,
            self.config,
            clip_frames=self.clip_frames,
            image_size=self.image_size,
            fps=effective_fps(self.train_store),
        )
        save_training_checkpoint(checkpoint, self.run_dir, names, self.context)

    def run(self) -> TrainResult:
        self.state.start_clock()
        main = self.context.is_main
        if main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.run_dir / "config.yaml", dump_config(self.config))
            if self.resume:
                truncate_metrics(self.run_dir / "metrics.csv", self.state.step, self.state.epoch)
        distributed.barrier(self.context)
        self.report = RunReport(self.run_dir, main=main, tensorboard=self.config.train.tensorboard)
        try:
            with StopRequest() as stop:
                status = self._loop(stop)
            if status == "finished":
                self._finish()
            # Leave together: a process that tears its process group down while another is
            # still writing the final reports can abort in gloo's teardown.
            distributed.barrier(self.context)
        finally:
            self.report.close()
        return TrainResult(
            status,
            self.run_dir,
            self.state.epoch,
            self.state.step,
            self.state.last_test_mpjpe_mm,
            self.state.best_mpjpe_mm,
            self.elapsed_s(),
        )

    def _loop(self, stop: StopRequest) -> str:
        epochs = self.config.train.epochs
        stop_after = self.stop_after_steps
        while self.state.epoch < epochs:
            order = epoch_order(len(self.train_data), self.config.seed, self.state.epoch)
            bar = progress_bar(
                total=self.steps_per_epoch,
                initial=self.state.step_in_epoch,
                desc=f"epoch {self.state.epoch + 1}/{epochs}",
                disable=not self.context.is_main,
                dynamic_ncols=True,
            )
            index_lists = [
                train_step_indices(
                    order, step, self.batch_size, self.context.rank, self.context.world_size
                )
                for step in range(self.state.step_in_epoch, self.steps_per_epoch)
            ]
            batches = self.train_batches.batches(index_lists)
            try:
                with bar:
                    for indices in index_lists:
                        self._train_step(indices, batches, bar)
                        stopping = stop_after and self.state.step >= stop_after
                        read_now = self.step_metrics.due or stopping or stop_now(stop, self.context)
                        if read_now and self._read_back(stop.requested, bar).stop:
                            self.save_checkpoint("last.pt")
                            return "interrupted"
                        if stopping:
                            self.save_checkpoint("last.pt")
                            return "stopped"
                    self._read_back(stop.requested, bar)
            finally:
                if isinstance(batches, Iterator):
                    batches.close()  # ends a prefetch thread
            self._end_epoch()
            if agree_to_stop(stop.requested, self.context):
                return "interrupted"
        return "finished"

    def _train_step(self, indices: np.ndarray, batches: Iterator, bar: tqdm) -> None:
        """One optimizer step on clips ``indices``, whose batch is ``batches``' next. Queues GPU
        work and records the numbers on the device; nothing here waits for the GPU."""
        batch = self.step_inputs.prepare(next(batches))
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
        self.state.step += 1
        self.state.step_in_epoch += 1
        self.step_metrics.add(
            loss,
            mpjpe_m,
            len(indices),
            epoch=self.state.epoch + 1,
            step=self.state.step,
            lr=lr,
            elapsed_s=self.elapsed_s(),
        )
        bar.update(1)
        if self.on_step is not None:
            self.on_step(self.state.step)

    def _read_back(self, stop_requested: bool, bar: tqdm | None = None) -> ReadBack:
        """Log the steps taken since the last read-back; stop on a non-finite one (the weights
        are not saved after it: every save comes after a read-back)."""
        back = self.step_metrics.read_back(stop_requested)
        for row, sums in zip(back.rows, back.step_sums, strict=True):
            if not (math.isfinite(row.loss) and math.isfinite(row.mpjpe_mm)):
                self._diverged(row.loss, row.epoch, row.step)
            self.state.epoch_sums += sums
            self.report.step(row)
        if bar is not None and back.rows:
            average = (self.state.epoch_sums / self.state.epoch_sums[2]).tolist()
            # Shown with the bar's next refresh: a refresh here would write a log line per step.
            loss, mpjpe_mm = f"{average[0]:.4g}", f"{average[1] * 1000:.1f}"
            bar.set_postfix(loss=loss, mpjpe_mm=mpjpe_mm, refresh=False)
        return back

    def _diverged(self, loss: float, epoch: int | None = None, step: int | None = None) -> None:
        """``epoch`` and ``step``: 1-based, of the diverged step (default: the next one)."""
        epoch = self.state.epoch + 1 if epoch is None else epoch
        step = self.state.step + 1 if step is None else step
        raise training_diverged(self.run_dir, self.state.epoch, loss, epoch, step)

    def _end_epoch(self) -> None:
        sums = self.state.epoch_sums
        train_loss, train_mpjpe_mm = (sums[0] / sums[2]).item(), (sums[1] / sums[2]).item() * 1000
        distributed.sync_buffers(self.model, self.context)
        if self.ema is not None:
            distributed.sync_buffers(self.ema.module, self.context)
        test_pred = self.predict_test()
        test_gt = self.test_targets()
        test_loss = float(metrics.mse(test_pred, test_gt))
        test_mpjpe_mm = float(metrics.mpjpe_mm(test_pred, test_gt))
        if not (math.isfinite(test_loss) and math.isfinite(test_mpjpe_mm)):
            self._diverged(test_loss)
        self.state.epoch += 1
        self.state.step_in_epoch = 0
        self.state.epoch_sums = torch.zeros(3, dtype=torch.float64)
        self.state.last_test_mpjpe_mm = test_mpjpe_mm
        lr, elapsed = self.optimizer.param_groups[0]["lr"], self.elapsed_s()
        self.report.epoch(
            self.state.epoch,
            self.state.step,
            train_loss=train_loss,
            train_mpjpe_mm=train_mpjpe_mm,
            test_loss=test_loss,
            test_mpjpe_mm=test_mpjpe_mm,
            lr=lr,
            elapsed_s=elapsed,
        )
        improved = self.state.best_mpjpe_mm is None or test_mpjpe_mm < self.state.best_mpjpe_mm
        if improved:
            self.state.best_mpjpe_mm = test_mpjpe_mm
        self.save_checkpoint(*(("last.pt", "best.pt") if improved else ("last.pt",)))
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
            self._write_evaluation(predictions)
            run_folder.plot_curves(self.run_dir)


def train(
    config: RunConfig,
    data_dir: str | Path,
    run_dir: str | Path,
    *,
    resume: bool = False,
    device: str | None = None,
    stop_after_steps: int = 0,
    trainer_class: type[Trainer] | None = None,
) -> TrainResult:
    """Train ``config`` on ``data_dir``/{train,test} into ``run_dir`` (see module docstring),
    with ``trainer_class`` (default :class:`Trainer`; lifters pass theirs).

    ``stop_after_steps`` > 0 stops once the run has taken that many steps in all, saving
    ``last.pt`` for ``--resume`` (for debugging and for tests of resuming). Joins torchrun's
    process group when launched by it, and leaves it at the end.
    """
    try:
        trainer = (trainer_class or Trainer)(
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
