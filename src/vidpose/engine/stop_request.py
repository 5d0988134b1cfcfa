"""Stopping a run on Ctrl-C: the first one asks the loop to stop after the current step (and
save ``last.pt``), a second one aborts at once. Under torchrun every process must stop at the
same step, so the processes agree on it before stopping (see :func:`agree_to_stop`)."""

from __future__ import annotations

import signal
from typing import Any

import torch

from vidpose.engine import distributed


class StopRequest:
    """First Ctrl-C asks the loop to stop after the current step; a second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> StopRequest:
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: Ctrl-C keeps its default behaviour
            self._previous = None
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def stop_now(stop: StopRequest, context: distributed.Context) -> bool:
    """A single process stops on Ctrl-C right away; several agree at the next read-back."""
    return stop.requested and not context.distributed


def agree_to_stop(requested: bool, context: distributed.Context) -> bool:
    """Whether any process asked to stop (one all-reduce under torchrun, so all agree)."""
    if not context.distributed:
        return requested
    vote = torch.tensor([float(requested)], device=context.device)
    return bool(distributed.all_sum(vote, context).item())
