"""argparse value types shared by the commands, so a bad number reads the same everywhere."""

from __future__ import annotations

import argparse
import math
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


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def positive_float(text: str) -> float:
    """A finite number above 0 (a frame rate, a scale)."""
    value = _number(text)
    if not 0 < value < math.inf:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


positive_float.__name__ = "positive number"


def fraction(text: str) -> float:
    """A share: a number in [0, 1]."""
    value = _number(text)
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} must lie in [0, 1]")
    return value


fraction.__name__ = "fraction"


def comma_names(noun: str) -> Callable[[str], tuple[str, ...]]:
    """An argparse ``type=`` for ``"A,B"`` → ("A", "B") (blanks around names and empty
    entries dropped); text naming nothing is a usage error that says which ``noun`` is missing."""

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(name.strip() for name in text.split(",") if name.strip())
        if not names:
            raise argparse.ArgumentTypeError(f"{text!r} names no {noun}")
        return names

    parse.__name__ = f"{noun} names"
    return parse


def float_range(text: str) -> tuple[float, float]:
    """``"1.3,1.8"`` → (1.3, 1.8); one number ``"5"`` → (5.0, 5.0); MIN must not exceed MAX."""
    parts = text.split(",")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not MIN,MAX (two numbers)") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or not all(map(math.isfinite, values)):
        raise argparse.ArgumentTypeError(f"{text!r} is not MIN,MAX (two numbers)")
    if values[0] > values[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: MIN is larger than MAX")
    return values[0], values[1]


float_range.__name__ = "range"


def add_overwrite_option(parser: argparse.ArgumentParser) -> None:
    """``--overwrite``, the same words in every command that writes files
    (:func:`vidpose.infra.atomic.check_output` is the rule it relaxes)."""
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace outputs that already exist (never one of the command's inputs)",
    )
