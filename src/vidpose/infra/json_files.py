"""Reading a JSON file a user gave, or one a store keeps, with one-line errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from vidpose.infra.errors import UserError


def read_json(path: str | os.PathLike, *, what: str = "", missing: str = "no such file") -> Any:
    """The JSON document at ``path``.

    Raises :class:`UserError` naming the file (after ``what``, e.g. ``--keypoints``) when it is
    not a file (``missing`` says what it should have been), cannot be read, is not UTF-8 text
    or not valid JSON.
    """
    path = Path(path)
    label = f"{what} {path}" if what else str(path)
    if not path.is_file():
        raise UserError(f"{label}: {missing}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UserError(f"{label}: not valid JSON (not UTF-8 text)") from None
    except ValueError as exc:
        raise UserError(f"{label}: not valid JSON ({exc})") from None
