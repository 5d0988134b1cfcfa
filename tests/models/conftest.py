"""Run the model tests on one intra-op thread.

Their tensors are tiny, so extra threads only add synchronisation; on a shared 2-core machine
the spinning threads made this folder ~8x slower (60 s instead of 8 s).
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
