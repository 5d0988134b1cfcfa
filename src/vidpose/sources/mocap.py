"""Motion capture files (BVH, ASF/AMC) → one ``--motion`` file of 17-joint positions.

:func:`convert` is what ``vidpose prepare mocap`` runs (:mod:`vidpose.cli.prepare_mocap`
parses and prints); see :mod:`vidpose.mocap` and docs/mocap.md. Each file is converted on its
own: one that fails is listed in the summary and skipped; when none converts nothing is
written and the one failure (or the list) is the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidpose.infra.errors import UserError


@dataclass
class MocapSummary:
    """What :func:`convert` wrote: ``takes`` sequences of ``frames`` frames in all at ``fps``
    into ``out``, from ``files`` motion files; ``failures`` the one-line reasons of the
    files skipped."""

    out: Path
    takes: int
    frames: int
    fps: float
    files: int
    failures: list[str] = field(default_factory=list)


def _summary(imported, bones: str, subject: str) -> str:
    """What was decided for one file, for its line of output."""
    converted = imported.converted
    skeleton = f" on {imported.asf.name}" if imported.asf is not None else ""
    lead_in = (
        f", dropped {converted.dropped} lead-in frames (calibration T-pose)"
        if converted.dropped
        else ""
    )
    body = {
        "h36m": f"a Human3.6M-like body for {subject}",
        "h36m-mean": "Human3.6M's mean body",
        "source": "the file's",
    }[bones]
    return (
        f"{converted.family}{skeleton}, units: {converted.units}, {converted.up} up, "
        f"{converted.source_fps:.5g} fps ({imported.fps_origin}) → {converted.fps:g} fps"
        f"{lead_in}, bones: {body}, {len(converted.positions)} frames"
    )


def convert(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    fps: float = 50.0,
    scale: float | None = None,
    up: str = "auto",
    source_fps: float | None = None,
    subject: str | None = None,
    action: str | None = None,
    map_file: Path | None = None,
    asf: Path | None = None,
    cmu_index: Path | None = None,
    bones: str = "h36m",
    seed: int = 0,
    overwrite: bool = False,
    report: Callable[[str], None] = print,
) -> MocapSummary:
    """Convert the motion files in ``inputs`` (files or folders) into the npz ``out``.

    ``report`` receives one line per converted file (what was decided: family, units, up
    axis, frame rates, lead-in frames dropped, bones). Raises ``UserError`` before any work
    for a bad output (not ``.npz``, existing without ``overwrite``, one of the inputs) and
    when no file converts.
    """
    from vidpose.infra.atomic import check_output
    from vidpose.infra.progress import progress_bar
    from vidpose.mocap.cmu_index import read_cmu_index
    from vidpose.mocap.importer import ImportOptions, find_inputs, import_take
    from vidpose.mocap.joint_maps import load_map_file
    from vidpose.mocap.motion_writer import default_subject, sequence_name, write_motion_npz

    out = Path(out)
    if out.suffix != ".npz":
        raise UserError(f"{out}: the motion file must end in .npz")
    if out.is_dir():
        raise UserError(f"{out}: is a folder")
    # The files found in the input folders are .bvh, .amc and .asf: never the .npz ``out``.
    check_output(out, overwrite=overwrite, inputs=(*inputs, asf, cmu_index, map_file))
    motions, skeletons = find_inputs(inputs)
    if asf is not None and not Path(asf).is_file():
        raise UserError(f"--asf {asf}: no such file")
    options = ImportOptions(
        fps=fps,
        scale=scale,
        up=up,
        source_fps=source_fps,
        user_map=None if map_file is None else load_map_file(map_file),
        fallback_asf=asf,
        cmu_index=None if cmu_index is None else read_cmu_index(cmu_index),
        bones=bones,
        seed=seed,
    )
    sequences, failures, taken = [], [], set()
    bar = progress_bar(motions, desc="mocap", unit="file")
    for path in bar:
        take_subject = subject or default_subject(path.stem)
        try:
            imported = import_take(path, skeletons, options, take_subject)
        except UserError as exc:
            failures.append(str(exc))  # listed at the end: one line when nothing converts
            continue
        name = sequence_name(path.stem, taken)
        positions = imported.converted.positions
        sequences.append((name, take_subject, action or path.stem, positions))
        report(f"{path}: {_summary(imported, bones, take_subject)} as positions_{name}")
    bar.close()
    if not sequences:
        if len(failures) == 1:
            raise UserError(failures[0])
        raise UserError(f"none of the {len(failures)} files converted: " + "; ".join(failures))
    write_motion_npz(out, sequences)
    frames = sum(len(sequence[3]) for sequence in sequences)
    return MocapSummary(out, len(sequences), frames, fps, len(motions), failures)
