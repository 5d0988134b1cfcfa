"""The one exception type for mistakes a user can make (bad file, shape, config value, video).

The CLI turns it into a single line on stderr and exit code 2, with no traceback.
"""


class UserError(Exception):
    """A problem with user input. The message names the input and what is wrong with it."""


def require(condition: bool, message: str) -> None:
    """Raise ``UserError(message)`` unless ``condition`` holds."""
    if not condition:
        raise UserError(message)
