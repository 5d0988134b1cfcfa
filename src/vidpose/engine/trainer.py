"""The training loop: one plain PyTorch loop for CPU, one GPU, or many under torchrun (DDP).

The loop is the same for both tracks; what it trains on comes from the track's
:class:`TrainingData` (vidpose.tracks: clips of frames, or keypoint windows of pose
sequences). Per step: a batch as stored → the track's step inputs (augmented, normalised) →
model → loss (``train.loss``, metres) → backward → optimizer and per-step schedule. Every step
logs its training loss and MPJPE; every epoch ends with a pass over the whole test split,
the epoch rows of ``metrics.csv``, ``best.pt`` when the test MPJPE improved and ``last.pt``.

Resuming is exact: ``last.pt`` holds the optimizer and schedule, every process's random states,
and the position ``(epoch, step in epoch)`` in the seeded data order (vidpose.engine.data_order),
so a run stopped anywhere — by ``train.stop_after_steps``, Ctrl-C, or at an epoch end — and resumed
ends with the same weights as one that never stopped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from tqdm import tqdm

from vidpose.engine import distributed, performance, run_folder
from vidpose.engine.data_order import epoch_order, train_step_indices, train_steps_per_epoch
from vidpose.engine.divergence import (
    TrainingDiverged,  # noqa: F401 - raised by train(); callers import it from here
    training_diverged,
)
from vidpose.engine.optim import WeightAverage, build_optimizer, build_scheduler
from vidpose.engine.run_log import truncate_metrics
from vidpose.engine.run_report import RunReport
from vidpose.engine.run_setup import seed_everything, training_modules
from vidpose.engine.step_metrics import READ_BACK_EVERY, ReadBack, StepMetrics
from vidpose.engine.stop_request import StopRequest, agree_to_stop, stop_now
from vidpose.engine.train_step import Objective
from vidpose.engine.training_state import (
    TrainingState,
    make_training_checkpoint,
    restore_training_state,
    save_training_checkpoint,
)
from vidpose.infra.atomic import user_error_on_write, write_text_atomic
from vidpose.infra.progress import progress_bar
from vidpose.pose import metrics
from vidpose.pose.evaluation import report_context
from vidpose.runs.run_config import RunConfig, dump_config


class TrainingData(Protocol):
    """What a run trains and tests on: each track's (``vidpose.tracks``), opened from
    DATA/train and DATA/test as ``open_data(config, data_dir, context)``, which it keeps (the
    run config and the process's ``distributed.Context``: its methods take neither).

    The trainer calls, in this order: ``set_up_speed`` (precision, memory format, compile and
    the data path), ``build_model``, ``step_inputs``; each step
    ``train_batches.batches(index_lists)`` (one batch per list of sample indices) and the step
    inputs' ``prepare(batch)``, whose
    result gives the model its arguments (``model_args``) and the targets (``poses3d``); each
    epoch ``predict_test`` against ``test_targets``; at the end ``evaluation_report``.
    """

    train_size: int  # training samples: the data order permutes 0 .. train_size - 1
    fps: float  # frame rate of the training data (the checkpoint's fps)
    train_batches: Any  # .batches(index_lists) -> iterator of batches; .path: its data path
    test_targets: np.ndarray  # what predict_test's poses are scored against, metres

    def set_up_speed(self, total_steps: int) -> performance.Speed: ...

    def build_model(self, speed: performance.Speed) -> torch.nn.Module: ...

    def step_inputs(self, model: torch.nn.Module, seed: int) -> Any: ...

    def predict_test(self, model: torch.nn.Module, speed: performance.Speed) -> np.ndarray: ...

    def evaluation_report(self, predictions: np.ndarray) -> dict: ...

    def checkpoint_fields(self) -> dict[str, int]: ...

    def data_paths(self) -> tuple[str, str]: ...


@dataclass
class TrainResult:
    status: str  # "finished", "stopped" (train.stop_after_steps) or "interrupted" (Ctrl-C)
    run_dir: Path
    epochs_done: int
    step: int
    test_mpjpe_mm: float | None  # after the last completed epoch
    best_mpjpe_mm: float | None
    train_s: float  # training wall time, seconds, including the runs this one resumed
    is_main: bool = True  # this process reports (rank 0 under torchrun)


class Trainer:
    #: On CPU a read-back costs nothing, so every step is read at once (as it happens).
    cpu_read_back_every = 1

    def __init__(
        self,
        config: RunConfig,
        data_dir: str | Path,
        run_dir: str | Path,
        open_data: Callable[[RunConfig, Path, distributed.Context], TrainingData],
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
        self.data_dir = Path(data_dir)
        self.data = open_data(config, self.data_dir, self.context)
        self.batch_size = config.train.batch_size
        self.steps_per_epoch = train_steps_per_epoch(
            self.data.train_size, self.batch_size, self.context.world_size
        )
        self.total_steps = self.steps_per_epoch * config.train.epochs
        self.objective = Objective(config.train)
        self.speed = self.data.set_up_speed(self.total_steps)

        self.model = self.data.build_model(self.speed)
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
        self.step_inputs = self.data.step_inputs(
            self.model, seed=config.seed * 1_000_003 + self.context.rank
        )
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

    def speed_summary(self) -> dict[str, Any]:
        """The resolved speed settings (for logs and benchmarks)."""
        train_path, test_path = self.data.data_paths()
        return {
            "precision": self.speed.precision,
            "channels_last": self.speed.channels_last,
            "compile": self.speed.compile,
            "data_path_train": train_path,
            "data_path_test": test_path,
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
            self.state, self.config, fps=self.data.fps, **self.data.checkpoint_fields()
        )
        save_training_checkpoint(checkpoint, self.run_dir, names, self.context)

    def run(self) -> TrainResult:
        self.state.start_clock()
        main = self.context.is_main
        if main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            with user_error_on_write(self.run_dir / "config.yaml"):
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
            self.context.is_main,
        )

    def _loop(self, stop: StopRequest) -> str:
        epochs = self.config.train.epochs
        stop_after = self.stop_after_steps
        while self.state.epoch < epochs:
            order = epoch_order(self.data.train_size, self.config.seed, self.state.epoch)
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
            batches = self.data.train_batches.batches(index_lists)
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
            outputs = model(*batch.model_args, return_aux=True)
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
        test_gt = self.data.test_targets
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
        """The current model's poses for the whole test split (in the track's shape, metres), on
        every process."""
        return self.data.predict_test(self.eval_model, self.speed)

    def _finish(self) -> None:
        """Final test predictions, evaluation report and curves (main process only)."""
        predictions = getattr(self, "_test_predictions", None)
        if predictions is None:  # resumed after the last epoch had already ended
            predictions = self.predict_test()
        if not self.context.is_main:
            return
        run_folder.write_predictions(self.run_dir, predictions)
        if self.config.train.final_report:
            context = report_context(
                self.run_dir / "last.pt",
                self.data_dir / "test",
                self.config.eval.flip_test,
                self.state.epoch,
                self.state.step,
                predictions=self.run_dir / "predictions_test.npy",
            )
            report = self.data.evaluation_report(predictions)
            run_folder.write_evaluation(self.run_dir, report, context)
            run_folder.plot_curves(self.run_dir)


def train(
    config: RunConfig,
    data_dir: str | Path,
    run_dir: str | Path,
    open_data: Callable[[RunConfig, Path, distributed.Context], TrainingData],
    *,
    resume: bool = False,
    device: str | None = None,
    stop_after_steps: int = 0,
) -> TrainResult:
    """Train ``config`` on ``data_dir``/{train,test} (read by the track's ``open_data``) into
    ``run_dir`` (see module docstring).

    ``stop_after_steps`` > 0 stops once the run has taken that many steps in all, saving
    ``last.pt`` for ``--resume`` (for debugging and for tests of resuming). Joins torchrun's
    process group when launched by it, and leaves it at the end.
    """
    try:
        trainer = Trainer(
            config,
            data_dir,
            run_dir,
            open_data,
            resume=resume,
            device=device,
            stop_after_steps=stop_after_steps,
        )
        return trainer.run()
    finally:
        distributed.shutdown()
