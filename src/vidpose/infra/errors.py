"""The one exception type for mistakes a user can make (bad file, shape, config value, video).

The CLI turns it into a single line on stderr and exit code 2, with no traceback.
"""

import difflib
import os
from pathlib import Path


class UserError(Exception):
    """A problem with user input. The message names the input and what is wrong with it."""


def reject_unknown_keys(values, known: list[str], section: str = "") -> None:
    """Raise ``UserError`` for the first key of ``values`` not in ``known``, suggesting the
    closest known name; ``section`` prefixes the key in the message (``model.temporl``)."""
    for key in values:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = f"{section}.{key}" if section else str(key)
            raise UserError(f"{where}: unknown key{hint}; known keys: {', '.join(known)}")


def read_utf8(path: str | os.PathLike) -> str:
    """The text of ``path``; ``UserError`` naming the file and the first line that is not
    UTF-8 (a CSV or YAML file saved as Latin-1 or cp1252, say). OSError passes through."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # a BOM, as Excel writes
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserError(
            f"{path}: not UTF-8 text (line {line} has byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def require(condition: bool, message: str) -> None:
    """Raise ``UserError(message)`` unless ``condition`` holds."""
    if not condition:
        raise UserError(message)
