"""argparse value types shared by the commands, so a bad number reads the same everywhere."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def int_in_range(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type=`` accepting whole numbers in [minimum, maximum] (no upper bound
    when ``maximum`` is None); anything else is a one-line usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if maximum is None and value < minimum:
            raise argparse.ArgumentTypeError(f"{value} must be at least {minimum}")
        if maximum is not None and not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{value} must be between {minimum} and {maximum}")
        return value

    # argparse names the type in some messages ("invalid parse value"): give it a real name.
    parse.__name__ = "whole number"
    return parse


positive_int = int_in_range(1)
non_negative_int = int_in_range(0)
