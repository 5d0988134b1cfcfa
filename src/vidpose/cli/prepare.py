"""``vidpose prepare SOURCE ...``: convert a data source into clip stores."""

from __future__ import annotations

import importlib
import pkgutil

import vidpose.sources
from vidpose.cli import prepare_shipped

ORDER = 20


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
    for info in pkgutil.iter_modules(vidpose.sources.__path__):
        module = importlib.import_module(f"vidpose.sources.{info.name}")
        if hasattr(module, "register_prepare"):
            module.register_prepare(sources)
    prepare_shipped.register_prepare(sources)
