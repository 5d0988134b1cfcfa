"""Per-step training numbers kept on the device and read back in blocks.

Reading a loss with ``.item()`` makes the host wait for the GPU to finish the step, so the next
step cannot be queued while this one runs. The trainer instead hands each step's loss and MPJPE
(0-d tensors, on the device) to :class:`StepMetrics`, which reads the pending steps back in one
copy every ``every`` steps (and whenever the trainer needs the numbers: epoch end, a save, a
stop). Under torchrun the same read-back is the one all-reduce that gives every process the
global numbers and the "stop" vote, so all of them stop together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from vidpose.engine import distributed

#: Steps between read-backs: few enough that progress and divergence show up promptly, many
#: enough that the GPU never idles waiting for the host.
READ_BACK_EVERY = 25


@dataclass(frozen=True)
class StepRow:
    """One ``kind=step`` row of metrics.csv: global numbers of one step."""

    epoch: int  # 1-based
    step: int  # global step count after the step
    loss: float  # m² (or the loss's units)
    mpjpe_mm: float
    lr: float
    elapsed_s: float


@dataclass(frozen=True)
class ReadBack:
    rows: list[StepRow]
    step_sums: torch.Tensor  # (k, 3) float64, CPU, per step: loss·clips, mpjpe_m·clips, clips
    stop: bool  # some process asked to stop (Ctrl-C)
    finite: bool  # every loss and MPJPE read back is finite


class StepMetrics:
    def __init__(self, context: distributed.Context, every: int = READ_BACK_EVERY) -> None:
        self.context = context
        self.every = every
        self._values: list[torch.Tensor] = []  # (3,) float64 on the device, per step
        self._host: list[tuple[int, int, float, float]] = []  # epoch, step, lr, elapsed_s

    def __len__(self) -> int:
        return len(self._values)

    def add(
        self,
        loss: torch.Tensor,
        mpjpe_m: torch.Tensor,
        clips: int,
        *,
        epoch: int,
        step: int,
        lr: float,
        elapsed_s: float,
    ) -> None:
        """Record one step: ``loss`` and ``mpjpe_m`` 0-d tensors (this process's batch mean)."""
        loss = loss.detach().double()
        mpjpe_m = mpjpe_m.detach().double()
        self._values.append(
            torch.stack([loss * clips, mpjpe_m * clips, torch.full_like(loss, float(clips))])
        )
        self._host.append((epoch, step, lr, elapsed_s))

    @property
    def due(self) -> bool:
        return len(self._values) >= self.every

    def read_back(self, stop_requested: bool = False) -> ReadBack:
        """The pending steps' global numbers (one copy, one all-reduce); clears them."""
        if self._values:
            values = torch.stack(self._values)  # (k, 3) on the device
        else:
            values = torch.zeros((0, 3), dtype=torch.float64, device=self.context.device)
        if self.context.distributed:
            flag = torch.full((1,), float(stop_requested), dtype=torch.float64)
            packed = torch.cat([values.flatten(), flag.to(values.device)])
            packed = distributed.all_sum(packed, self.context).cpu()
            values, stop = packed[:-1].view(-1, 3), bool(packed[-1] > 0)
        else:
            values, stop = values.cpu(), stop_requested
        rows, finite = [], True
        for (epoch, step, lr, elapsed), (loss_sum, mpjpe_sum, clips) in zip(
            self._host, values.tolist(), strict=True
        ):
            loss, mpjpe_mm = loss_sum / clips, mpjpe_sum / clips * 1000
            finite = finite and math.isfinite(loss) and math.isfinite(mpjpe_mm)
            rows.append(StepRow(epoch, step, loss, mpjpe_mm, lr, elapsed))
        self._values, self._host = [], []
        return ReadBack(rows, values, stop, finite)
