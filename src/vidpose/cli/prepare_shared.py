"""What the ``vidpose prepare`` wrappers share: options used by several sources, argparse
types for ``NAME=FILE`` and ``NAME=LAYOUT``, and how a source's warnings and notes are printed.

Not a subcommand itself (no ``register_prepare``); see :mod:`vidpose.cli.prepare`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vidpose.cli.argtypes import add_overwrite_option
from vidpose.pose.skeleton import TEST_SUBJECTS, TRAIN_SUBJECTS
from vidpose.sources.h36m_cameras import CAMERA_IDS


def add_split_arguments(parser: argparse.ArgumentParser) -> None:
    """``--subjects``, ``--train-subjects``, ``--test-subjects`` and ``--overwrite``
    (``prepare h36m`` and ``prepare videopose3d``)."""
    parser.add_argument(
        "--subjects",
        nargs="+",
        default=None,
        metavar="S",
        help="subjects to convert (default: those of both splits)",
    )
    for option, split, subjects in (
        ("--train-subjects", "training", TRAIN_SUBJECTS),
        ("--test-subjects", "test", TEST_SUBJECTS),
    ):
        parser.add_argument(
            option,
            nargs="+",
            default=list(subjects),
            metavar="S",
            help=f"the {split} split ({' '.join(subjects)})",
        )
    add_overwrite_option(parser)


def add_camera_arguments(parser: argparse.ArgumentParser, calibration_help: str) -> None:
    """``--cameras`` and ``--calibration`` (``prepare h36m`` and ``prepare videopose3d``)."""
    parser.add_argument(
        "--cameras", nargs="+", default=list(CAMERA_IDS), help="camera ids (all four)"
    )
    parser.add_argument(
        "--calibration", type=Path, default=None, metavar="FILE", help=calibration_help
    )


def named_file(text: str) -> tuple[str, Path]:
    """``"cpn=FILE.npz"`` → ("cpn", Path("FILE.npz")); argparse ``type=``."""
    name, sep, file_name = text.partition("=")
    if not sep or not name or not file_name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=FILE.npz")
    return name, Path(file_name)


named_file.__name__ = "NAME=FILE"


def named_layout(text: str) -> tuple[str, str]:
    """``"cpn=coco17"`` → ("cpn", "coco17"); argparse ``type=``."""
    from vidpose.keypoints.layouts import canonical_layout

    name, sep, layout = text.partition("=")
    if not sep or not name or not layout:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=LAYOUT")
    try:
        return name, canonical_layout(layout)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


named_layout.__name__ = "NAME=LAYOUT"


def add_2d_arguments(parser: argparse.ArgumentParser) -> None:
    """``--2d``, ``--layout`` and ``--default-2d`` (``prepare videopose3d`` and ``add-2d``)."""
    parser.add_argument(
        "--2d",
        dest="files_2d",
        type=named_file,
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a VideoPose3D 2D file attached as 2D source NAME (repeatable): gt, cpn, sh, ...",
    )
    parser.add_argument(
        "--layout",
        dest="layouts",
        type=named_layout,
        action="append",
        default=[],
        metavar="NAME=LAYOUT",
        help="keypoint layout of 2D source NAME (h36m17, coco17, halpe26, mpii16, body25) when "
        "its metadata does not say",
    )
    parser.add_argument(
        "--default-2d", metavar="NAME", help="the store's default 2D source (default: the first)"
    )


def print_messages(summary) -> None:
    """A source's ``warnings`` and ``notes`` (lists of lines), one line each on stderr."""
    for line in summary.warnings:
        print(f"vidpose prepare: warning: {line}", file=sys.stderr)
    for line in summary.notes:
        print(f"vidpose prepare: note: {line}", file=sys.stderr)


def describe_2d(sources: list[tuple[str, str, str]]) -> str:
    """``[(name, layout, how the layout was chosen)]`` → ``gt (h36m17: ...), cpn (...)``."""
    return ", ".join(f"{name} ({layout}: {how})" for name, layout, how in sources)
