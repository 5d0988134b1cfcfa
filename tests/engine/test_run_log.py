"""metrics.csv on a disk that fills during training: one line naming the file."""

import csv
import errno
import os

import pytest

from vidpose.engine.run_log import MetricsLog
from vidpose.infra.errors import UserError


class _FullDisk:
    """A text file whose buffered rows cannot reach the disk."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, text):
        return self.handle.write(text)

    def flush(self):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self):
        self.handle.close()


def test_a_full_disk_while_logging_is_one_line_naming_metrics_csv(tmp_path):
    log = MetricsLog(tmp_path / "metrics.csv")
    log.write("step", 1, 1, "train", 0.5, 400.0, 1e-3, 0.1)
    log._handle = _FullDisk(log._handle)
    log._writer = csv.writer(log._handle, lineterminator="\n")
    with pytest.raises(UserError) as info:
        log.write("step", 1, 2, "train", 0.4, 390.0, 1e-3, 0.2)
    assert str(info.value) == f"{tmp_path / 'metrics.csv'}: cannot write (disk full)"
    log.close()
    assert (tmp_path / "metrics.csv").read_text().splitlines()[1].startswith("step,1,1,train")
