"""The shipped lifter: its licence-free training data, and its weights file from a run.

``python -m vidpose.lifting.shipped_data join OUT ROOT [ROOT ...]`` joins the ``train`` and
``test`` splits of each ``ROOT`` (stores written by ``vidpose synth ROOT --poses-only``, with
the built-in motions or ``--motion`` capture) into ``OUT/train`` and ``OUT/test``, keeps their
``gt`` 2D (the projected Human3.6M joints) and adds ``coco``: COCO-17 keypoints synthesised
from the 3D poses (:mod:`vidpose.lifting.detector_2d`), the default source, so a lifter trained
on ``OUT`` reads 2D the way the detector path delivers it.

``python -m vidpose.lifting.shipped_data weights RUN OUT.pt`` writes the run's final
checkpoint (``last.pt``: the end of the schedule, not a pick on the test set) without its
training state: the model, its config and the run's config, about 4 bytes a parameter.
docs/video.md gives the whole recipe (``make shipped-lifter``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.lifting.detector_2d import FACE_OFFSETS, coco17_keypoints
from vidpose.sequences import open_sequences
from vidpose.sequences.sequence_store import SequenceInfo
from vidpose.sequences.write import add_2d_source, write_sequences

SPLITS = ("train", "test")


def join_stores(out: Path, stores: list[Path]) -> None:
    """Write the sequences of ``stores`` (sequence store folders) back to back at ``out``
    with their ``gt`` 2D source, then add the ``coco`` source as the default."""
    opened = [open_sequences(path) for path in stores]
    fps = {store.fps for store in opened}
    if len(fps) != 1:
        raise UserError(f"{out}: the stores differ in frame rate ({sorted(fps)})")
    infos, start = [], 0
    for store in opened:
        for info in store.sequences:
            infos.append(SequenceInfo(**{**info.__dict__, "start": start}))
            start += info.frames
    write_sequences(
        out,
        infos,
        np.concatenate([np.asarray(s.poses3d) for s in opened]),
        np.concatenate([np.asarray(s.root) for s in opened]),
        np.concatenate([np.asarray(s.intrinsics) for s in opened]),
        {"gt": (np.concatenate([np.asarray(s.keypoints("gt")) for s in opened]), "h36m17")},
        source="shipped-lifter-data",
        fps=fps.pop(),
        from_mocap=all(store.from_mocap for store in opened),
        extra_meta={"joined_from": [str(path) for path in stores]},
    )
    add_2d_source(
        out,
        "coco",
        coco17_keypoints(open_sequences(out)),
        "coco17",
        has_confidence=False,
        make_default=True,
        describe={"synthesised": "COCO-17 from the 3D poses", "face_offsets_m": FACE_OFFSETS},
    )


def weights_only(run_dir: Path, out: Path) -> Path:
    """The run's ``last.pt`` as an inference checkpoint (no optimiser, no training state)."""
    from vidpose.models import is_lifter
    from vidpose.runs.checkpoint import load_model, make_checkpoint, save_checkpoint

    model, checkpoint = load_model(run_dir / "last.pt")
    if not is_lifter(model):
        raise UserError(f"{run_dir / 'last.pt'}: not a lifter checkpoint")
    slim = make_checkpoint(
        model,
        fps=float(checkpoint["fps"]),
        config=checkpoint.get("config", {}),
    )
    save_checkpoint(out, slim)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vidpose.lifting.shipped_data")
    commands = parser.add_subparsers(dest="command", required=True)
    join = commands.add_parser("join", help="join synth --poses-only stores, add COCO-17 2D")
    join.add_argument("out", type=Path, help="output folder (gets train/ and test/)")
    join.add_argument("roots", type=Path, nargs="+", help="synth --poses-only outputs")
    weights = commands.add_parser("weights", help="a run's last.pt without training state")
    weights.add_argument("run", type=Path, help="the training run folder")
    weights.add_argument("out", type=Path, help="the weights file (.pt)")
    args = parser.parse_args(argv)
    try:
        if args.command == "weights":
            path = weights_only(args.run, args.out)
            print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
            return 0
        for split in SPLITS:
            join_stores(args.out / split, [root / split for root in args.roots])
            print(f"wrote {args.out / split}", flush=True)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
