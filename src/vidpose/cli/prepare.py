"""``vidpose prepare SOURCE ...``: convert a data source into the stores vidpose reads.

Each subcommand lives in a module listed in :data:`SUBCOMMANDS` that exposes::

    def register_prepare(subparsers)       # add its parser(s); set_defaults(run=...)

(``prepare_shipped`` adds two: ``shipped`` and ``shipped-weights``). A subcommand only parses
and prints: its ``run(args)`` calls the source's function in
:mod:`vidpose.sources` (plain arguments, no argparse; it writes the stores and returns a
summary with ``warnings`` and ``notes``), prints those with
:func:`vidpose.cli.prepare_shared.print_messages`, then one ``wrote OUT: ...`` line.
``cli/prepare_npy.py`` is the shortest example.
"""

from __future__ import annotations

import importlib

ORDER = 20

#: The modules of the ``prepare`` subcommands, in ``--help`` order.
SUBCOMMANDS = (
    "vidpose.cli.prepare_npy",
    "vidpose.cli.prepare_h36m",
    "vidpose.cli.prepare_videopose3d",
    "vidpose.cli.prepare_add_2d",
    "vidpose.cli.prepare_mocap",
    "vidpose.cli.prepare_shipped",
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="convert a data source (npy arrays, Human3.6M) to clip stores, VideoPose3D files to "
        "sequence stores, or motion capture to a --motion file",
        description="Convert a data source into the stores vidpose reads "
        "(docs/architecture.md, formats).",
    )
    sources = parser.add_subparsers(dest="source", metavar="SOURCE")
    sources.required = True
    for name in SUBCOMMANDS:
        importlib.import_module(name).register_prepare(sources)
