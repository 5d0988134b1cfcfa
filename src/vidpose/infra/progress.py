"""Progress bars that read well in a terminal and in a log file.

In a terminal, :func:`progress_bar` is tqdm's bar, redrawn in place. When the stream is not a
terminal (CI, ``vidpose train ... > log``), a redrawn bar would write one carriage-return
update after another into the file; instead tqdm is asked to refresh at most every
``LOG_INTERVAL_S`` seconds (the first time after that long: a short phase writes nothing)
and each refresh is written as one plain line.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

#: Seconds between the plain progress lines written to a log (not a terminal).
LOG_INTERVAL_S = 30.0


class _Lines:
    """A text stream that turns tqdm's in-place redraws into whole lines (blank ones dropped)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def progress_bar(iterable: Any = None, *, file: TextIO | None = None, **options: Any) -> tqdm:
    """``tqdm(iterable, **options)`` on ``file`` (default stderr), as plain lines at most every
    ``LOG_INTERVAL_S`` seconds (and at the end) when ``file`` is not a terminal."""
    stream = sys.stderr if file is None else file
    if is_terminal(stream):
        return tqdm(iterable, file=stream, **options)
    options.pop("dynamic_ncols", None)
    options.setdefault("mininterval", LOG_INTERVAL_S)
    options.setdefault("delay", LOG_INTERVAL_S)  # a short phase writes nothing
    options["maxinterval"] = max(options["mininterval"], options.get("maxinterval", 0.0))
    options.setdefault("ncols", 100)
    return tqdm(iterable, file=_Lines(stream), **options)
