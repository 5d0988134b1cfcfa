"""How a command that writes results ends: the render and the result files, written so that
a failure leaves none of them (:func:`render_then_write`), then the summary as one JSON object
(``--json``) or one ``wrote OUT [and RENDER]: ..., N.N s`` line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any


def render_then_write(
    render: str | Path | None,
    frames: Callable[[], Iterator],
    fps: float,
    writes: Sequence[tuple[Path, Callable[[], Any]]] | Iterable,
) -> tuple[list[Path], Path | None]:
    """The render first (``render`` a video path or None; ``frames()`` its RGB frames at
    ``fps``), so that a failed render leaves no result file as if all went well; then each
    ``(path, write)`` of ``writes`` (``write()`` writes ``path`` atomically). A failed write
    is its one-line ``UserError`` and removes the render and the files already written.
    Returns the paths written and the render (None without one)."""
    from vidpose.infra.atomic import user_error_on_write
    from vidpose.infra.errors import UserError
    from vidpose.video.encode import write_video

    rendered = None
    if render:
        with user_error_on_write(render):
            rendered = write_video(render, frames(), fps)
    written: list[Path] = []
    try:
        for path, write in writes:
            with user_error_on_write(path):
                write()
            written.append(Path(path))
    except UserError:
        for path in [*written, *([rendered] if rendered else [])]:
            path.unlink(missing_ok=True)
        raise
    return written, rendered


def print_summary(summary: dict[str, Any], as_json: bool, details: str) -> None:
    """``summary`` holds at least ``out``, ``render`` (a path or None) and ``elapsed_s``;
    ``details`` is the line's middle (what was written)."""
    if as_json:
        print(json.dumps(summary))
        return
    where = f" and {summary['render']}" if summary.get("render") else ""
    print(f"wrote {summary['out']}{where}: {details}, {summary['elapsed_s']:.1f} s")
