"""Where a training run's numbers go: the rows of ``metrics.csv`` (vidpose.engine.run_log),
TensorBoard scalars when ``train.tensorboard`` is on, and one line per epoch under the progress
bar. Only the main process reports; on the others every method does nothing, so the loop calls
them unconditionally."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from vidpose.engine import run_folder
from vidpose.engine.run_log import MetricsLog
from vidpose.engine.step_metrics import StepRow


class RunReport:
    def __init__(self, run_dir: Path, *, main: bool, tensorboard: bool) -> None:
        self.log = MetricsLog(run_dir / "metrics.csv") if main else None
        use_tensorboard = main and tensorboard
        self.tensorboard = run_folder.open_tensorboard(run_dir) if use_tensorboard else None

    def step(self, row: StepRow) -> None:
        """One ``kind=step`` row: a training step's global loss (m²) and MPJPE (mm)."""
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

    def epoch(
        self,
        epoch: int,
        step: int,
        *,
        train_loss: float,
        train_mpjpe_mm: float,
        test_loss: float,
        test_mpjpe_mm: float,
        lr: float,
        elapsed_s: float,
    ) -> None:
        """The two ``kind=epoch`` rows of epoch ``epoch`` (1-based): the training average over
        the epoch's clips and the whole test store; losses in m², MPJPE in mm."""
        if self.log is not None:
            self.log.write("epoch", epoch, step, "train", train_loss, train_mpjpe_mm, lr, elapsed_s)
            self.log.write("epoch", epoch, step, "test", test_loss, test_mpjpe_mm, lr, elapsed_s)
            tqdm.write(
                f"epoch {epoch}: train loss {train_loss:.4g} MPJPE {train_mpjpe_mm:.1f} mm | "
                f"test loss {test_loss:.4g} MPJPE {test_mpjpe_mm:.1f} mm"
            )
        if self.tensorboard is not None:
            self.tensorboard.add_scalar("test/loss", test_loss, step)
            self.tensorboard.add_scalar("test/mpjpe_mm", test_mpjpe_mm, step)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
        if self.tensorboard is not None:
            self.tensorboard.close()
