"""The one exception type for mistakes a user can make (bad file, shape, config value, video).

The CLI turns it into a single line on stderr and exit code 2, with no traceback.
"""

import difflib


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


def require(condition: bool, message: str) -> None:
    """Raise ``UserError(message)`` unless ``condition`` holds."""
    if not condition:
        raise UserError(message)
