"""A CMU take index (``--cmu-index INDEX.tsv``): each take's capture frame rate and activity.

cgspeed's CMU BVH release writes ``Frame Time: .0083333`` (120 fps) into every file, also for
the takes CMU captured at 60 fps, which then play at double speed; AMC files state no rate.
The index is a tab-separated file with a header row naming at least the columns ``take``
(``01_01``, ``131_04``) and ``capture_fps_per_CMU_listing`` (60 or 120, empty when unknown),
and optionally ``activity_groups`` (names joined by ``;``) and ``description``, as the CMU
collection's INDEX.tsv. ``prepare mocap`` reads the rates; ``prepare shipped`` keeps a held-out
take's :attr:`IndexedTake.activity_group` as its action, so ``vidpose evaluate`` reports per
group.

Takes are matched by file name: ``<subject>_<take>`` at the start of the stem, compared as
numbers (``1_1.bvh`` and ``01_01_scaled.bvh`` are take 01_01).
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from vidpose.infra.errors import UserError, read_utf8

TAKE_COLUMN = "take"
FPS_COLUMN = "capture_fps_per_CMU_listing"
GROUPS_COLUMN = "activity_groups"
DESCRIPTION_COLUMN = "description"
_TAKE = re.compile(r"^(\d+)_(\d+)")
_LOCOMOTION = re.compile(r"\b(walk|run|jog|stride)", re.IGNORECASE)


@dataclass(frozen=True)
class IndexedTake:
    capture_fps: float | None
    activity_groups: tuple[str, ...]
    description: str = ""

    @property
    def activity_group(self) -> str:
        """The take's group for reports: the first of its ``activity_groups``, else
        ``walk_run`` when the description says walk, run, jog or stride, else ``other``."""
        if self.activity_groups:
            return self.activity_groups[0]
        return "walk_run" if _LOCOMOTION.search(self.description) else "other"


def take_key(stem: str) -> str | None:
    """``'01_01'`` for the stems ``01_01``, ``1_1``, ``01_01_scaled``; None for others."""
    match = _TAKE.match(stem)
    return None if match is None else f"{int(match.group(1)):02d}_{int(match.group(2)):02d}"


def read_cmu_index(path: str | os.PathLike) -> dict[str, IndexedTake]:
    """The takes of the index at ``path``, by :func:`take_key`; UserError naming the file
    (and the line) when it cannot be read, lacks a column or has a bad frame rate."""
    path = Path(path)
    try:
        text = read_utf8(path)
    except OSError as exc:
        raise UserError(f"--cmu-index {path}: cannot be read ({exc.strerror or exc})") from None
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    missing = [c for c in (TAKE_COLUMN, FPS_COLUMN) if c not in (reader.fieldnames or [])]
    if missing:
        raise UserError(
            f"--cmu-index {path}: not a CMU take index (no {' or '.join(missing)} column in "
            "its tab-separated header)"
        )
    takes: dict[str, IndexedTake] = {}
    for number, row in enumerate(reader, start=2):
        key = take_key((row.get(TAKE_COLUMN) or "").strip())
        if key is None:
            raise UserError(
                f"--cmu-index {path}: line {number}: take {row.get(TAKE_COLUMN)!r} is not "
                "<subject>_<take>"
            )
        text_fps = (row.get(FPS_COLUMN) or "").strip()
        fps = None
        if text_fps:
            try:
                fps = float(text_fps)
            except ValueError:
                fps = float("nan")
            if not 0 < fps < float("inf"):
                raise UserError(
                    f"--cmu-index {path}: line {number}: {FPS_COLUMN} {text_fps!r} is not a "
                    "frame rate"
                )
        groups = tuple(g for g in (row.get(GROUPS_COLUMN) or "").split(";") if g.strip())
        description = (row.get(DESCRIPTION_COLUMN) or "").strip()
        takes[key] = IndexedTake(fps, tuple(g.strip() for g in groups), description)
    return takes
