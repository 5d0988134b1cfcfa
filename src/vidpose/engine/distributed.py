"""Process-group setup from torchrun's environment, and the few collectives the engine uses.

Launch recipes::

    vidpose train --config C --data D --out R                      # one process, CPU or GPU
    torchrun --standalone --nproc_per_node=4 -m vidpose train ...  # 4 processes on one node
    torchrun --nnodes=2 --node_rank=0 --rdzv_endpoint=HOST:PORT --nproc_per_node=8 \\
        -m vidpose train ...                                       # and node_rank=1 on the other

Without torchrun's variables everything here is a no-op for a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from vidpose.infra.devices import resolve_device


@dataclass(frozen=True)
class Context:
    """Where this process sits: its rank among ``world_size`` and the device it computes on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def process_device(name: str | None, local_rank: int = 0) -> torch.device:
    """This process's device for ``--device`` ``name`` (vidpose.infra.devices.resolve_device): a
    plain ``cuda`` is GPU ``local_rank``, each process of torchrun's on its own GPU."""
    device = resolve_device(name)
    if device.type != "cuda":
        return device
    index = local_rank if device.index is None else device.index
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


def init(device_name: str | None = None) -> Context:
    """Join the process group torchrun describes (gloo on CPU, nccl on GPU), if any."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = process_device(device_name, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        kwargs: dict[str, Any] = {"device_id": device} if device.type == "cuda" else {}
        dist.init_process_group(backend=backend, **kwargs)
    return Context(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def all_sum(values: torch.Tensor, context: Context) -> torch.Tensor:
    """Element-wise sum of ``values`` over all processes (returned; the input is untouched)."""
    if not context.distributed:
        return values
    total = values.clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total


def gather_objects(value: Any, context: Context) -> list[Any]:
    """``value`` from every process, in rank order (just ``[value]`` without torchrun)."""
    if not context.distributed:
        return [value]
    gathered: list[Any] = [None] * context.world_size
    dist.all_gather_object(gathered, value)
    return gathered


def broadcast_object(value: Any, context: Context) -> Any:
    """Rank 0's ``value`` on every process."""
    if not context.distributed:
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def sync_buffers(module: torch.nn.Module, context: Context) -> None:
    """Copy rank 0's buffers (e.g. BatchNorm running statistics) to every process.

    DDP broadcasts buffers at the start of each forward, but that forward then updates them
    from each process's own batch, so after the last training step they differ: without this,
    processes would evaluate slightly different models and rank 0 would save only its own.
    """
    if context.distributed:
        for buffer in module.buffers():
            dist.broadcast(buffer, src=0)


def barrier(context: Context) -> None:
    if context.distributed:
        dist.barrier()
