"""More VideoPose3D 2D files for the stores of :func:`vidpose.sources.videopose3d.convert`
(``vidpose prepare add-2d``, :func:`add_2d`).

Adds each file as a named 2D source to ``OUT/train`` and ``OUT/test``, checked against the 3D
file those stores came from exactly as ``convert(files_2d=...)`` would. Both splits and all
files are read and checked before anything is written; each store then gains its keypoints
file, then its meta.json entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidpose.infra.atomic import check_writable
from vidpose.infra.errors import UserError
from vidpose.sequences import add_2d_source, open_sequences
from vidpose.sources.videopose3d import load_named_2d
from vidpose.sources.videopose3d_files import assemble_2d, check_against_3d, not_in_3d_note


@dataclass
class Add2DSummary:
    """The stores :func:`add_2d` changed, the sources added as (name, layout, how the layout
    was chosen), and lines to show the user."""

    stores: list[Path]
    sources_2d: list[tuple[str, str, str]]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _open_stores(out: Path) -> list:
    splits = [out / split for split in ("train", "test") if (out / split).is_dir()]
    if not splits:
        raise UserError(f"{out}: no train/ or test/ store (made by prepare videopose3d)")
    stores = [open_sequences(path) for path in splits]
    for store in stores:
        if store.meta.get("source") != "videopose3d" or "videopose3d" not in store.meta:
            raise UserError(f"{store.path}: not a store made by `vidpose prepare videopose3d`")
        check_writable(store.path, into=True)
    return stores


def add_2d(
    out: Path,
    named: Sequence[tuple[str, Path]],
    *,
    layouts: Sequence[tuple[str, str]] = (),
    default_2d: str | None = None,
    replace: bool = False,
) -> Add2DSummary:
    """Attach the 2D files ``named`` ``[(name, path)]`` to the stores in ``out``; ``layouts``
    ``[(name, layout)]`` for files whose metadata does not say; ``default_2d`` makes one of
    them the stores' default; ``replace`` replaces sources of the same name. Raises
    :class:`UserError` (nothing written) for any problem."""
    out = Path(out)
    named = [(name, Path(path)) for name, path in named]
    if not named:
        raise UserError("add-2d: give at least one NAME=FILE")
    if default_2d is not None and default_2d not in [n for n, _ in named]:
        raise UserError(f"--default-2d: {default_2d!r} is not one of the files being added")
    stores = _open_stores(out)
    files_2d = load_named_2d(named, layouts)

    arrays, left_out = [], {}
    for store in stores:
        record = store.meta["videopose3d"]
        for file2d in files_2d:
            if file2d.name in store.sources_2d and not replace:
                raise UserError(
                    f"{store.path}: already has a 2D source {file2d.name!r} (use --replace)"
                )
            left_out[file2d.name] = check_against_3d(file2d, record["sequences_3d"], store.subjects)
            array, missing = assemble_2d(file2d, store.sequences, store.num_frames)
            arrays.append((store, file2d, array, missing))

    summary = Add2DSummary([s.path for s in stores], [])
    summary.notes = [n for f in files_2d if (n := not_in_3d_note(f, left_out[f.name]))]
    for store, file2d, array, missing in arrays:
        summary.warnings += [
            f"{file2d.path} has no {info.subject}/{info.sequence} camera {info.camera}: 2D "
            f"source {file2d.name!r} has zero confidence there"
            for info in (store.sequences[index] for index in missing)
        ]
        add_2d_source(
            store.path,
            file2d.name,
            array,
            file2d.layout,
            missing=missing,
            has_confidence=file2d.has_confidence,
            replace=replace,
            make_default=file2d.name == default_2d,
            describe={
                "path": str(file2d.path.resolve()),
                "layout_from": file2d.layout_from,
                "not_in_3d": left_out[file2d.name],
            },
        )
    summary.sources_2d = [(f.name, f.layout, f.layout_from) for f in files_2d]
    return summary
