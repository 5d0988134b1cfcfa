"""The ``vidpose`` command line.

Each subcommand lives in its own module of this package and exposes::

    ORDER: int                                  # position in ``vidpose --help``
    def register(subparsers) -> None            # add its parser; set_defaults(run=...)

Heavy imports (torch, cv2) happen inside the ``run`` functions so ``vidpose --help`` is fast.
A :class:`~vidpose.infra.errors.UserError` anywhere becomes one line on stderr and exit code 2, and
so does an ``OSError`` no command turned into one (a file system that fails under a command).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from vidpose import __version__
from vidpose.infra.errors import UserError


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line (argparse's own exit code is already 2)."""

    def error(self, message: str):  # noqa: D401 - argparse hook
        self.exit(2, f"{self.prog}: error: {message}\n")


def _command_modules():
    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="vidpose",
        description=(
            "3D human pose (17 joints, metres) from monocular video: image models on RGB "
            "clips, or lifters on 2D keypoint sequences."
        ),
    )
    parser.add_argument("--version", action="version", version=f"vidpose {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in _command_modules():
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.run(args)
    except UserError as exc:
        print(f"vidpose {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"vidpose {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vidpose {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
