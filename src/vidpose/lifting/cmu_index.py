"""The CMU collection's ``INDEX.tsv``: each take's subject, capture rate and activity group.

The file (README.md of the collection) has one row per take of the CMU listing with the
columns ``take``, ``subject``, ``description``, ``subject_description``,
``capture_fps_per_CMU_listing``, ``collected``, ``file``, ``format`` and ``activity_groups``
(keywords of the description, ``;``-separated, may be empty). The shipped lifter's data keep a
take's **activity group** as the sequence store's ``action``, so ``vidpose evaluate`` reports the
held-out subjects per group: the first of its ``activity_groups``, else ``walk_run`` when the
description says walk, run, jog or stride, else ``other``.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

from vidpose.infra.errors import UserError

COLUMNS = (
    "take", "subject", "description", "capture_fps_per_CMU_listing", "collected", "file",
    "activity_groups",
)  # fmt: skip
_LOCOMOTION = re.compile(r"\b(walk|run|jog|stride)", re.IGNORECASE)


@dataclass(frozen=True)
class CmuTake:
    """One row of the index."""

    take: str  # "14_27"
    subject: str  # "14"
    description: str
    capture_fps: float
    groups: tuple[str, ...]
    file: str = ""  # the take's motion file in the collection ("" where not collected)

    @property
    def activity_group(self) -> str:
        """The take's group for reports (see the module docstring)."""
        if self.groups:
            return self.groups[0]
        return "walk_run" if _LOCOMOTION.search(self.description) else "other"


def read_cmu_index(path: str | os.PathLike) -> dict[str, CmuTake]:
    """The takes of ``INDEX.tsv`` by take name; one-line errors name the file."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read the CMU index ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{path}: not a tab-separated CMU index ({exc})") from None
    if not rows or any(column not in rows[0] for column in COLUMNS):
        raise UserError(f"{path}: not a CMU INDEX.tsv (needs the columns {', '.join(COLUMNS)})")
    takes = {}
    for line, row in enumerate(rows, start=2):
        try:
            fps = float(row["capture_fps_per_CMU_listing"])
        except (TypeError, ValueError):
            raise UserError(f"{path}: line {line}: capture fps is not a number") from None
        groups = tuple(g.strip() for g in (row["activity_groups"] or "").split(";") if g.strip())
        collected = (row["collected"] or "").strip() == "yes"
        takes[row["take"]] = CmuTake(
            row["take"],
            row["subject"],
            row["description"] or "",
            fps,
            groups,
            (row["file"] or "").strip() if collected else "",
        )
    return takes
