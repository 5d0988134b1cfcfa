"""The output check of the ``prepare`` sources, which replace a whole folder of stores.

:func:`vidpose.atomic.check_output` refuses an existing output without ``overwrite`` and an
output that is one of the inputs. A folder that is replaced whole must also not *hold* an
input: ``prepare npy data/X.npy data/Y.npy data --overwrite`` would delete X and Y with the
old ``data``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from vidpose.atomic import check_output
from vidpose.errors import UserError


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` or below it (links resolved)."""
    path, folder = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return folder in path.parents


def check_store_output(
    out: str | os.PathLike, *, overwrite: bool, inputs: Iterable = (), what: str = ""
) -> Path:
    """:func:`~vidpose.atomic.check_output` for a folder written whole, and no input inside
    it (``None`` inputs are skipped). Raises ``UserError``; returns ``out`` as a Path."""
    inputs = tuple(path for path in inputs if path is not None)
    out = check_output(out, overwrite=overwrite, inputs=inputs, what=what)
    for source in inputs:
        if _inside(Path(source), out):
            label = f"{what} {out}" if what else str(out)
            raise UserError(
                f"{label}: holds {source}, an input of this command, and would be replaced "
                "whole; choose another output"
            )
    return out
