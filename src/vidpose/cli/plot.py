"""``vidpose plot RUN_DIR``: draw a run's loss and MPJPE curves from its metrics.csv."""

from __future__ import annotations

from vidpose.cli.argtypes import add_overwrite_option

ORDER = 50


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="draw a run's loss and MPJPE curves (curves_loss.png, curves_mpjpe.png)",
        description=(
            "Draw the loss and MPJPE curves of a training run from RUN_DIR/metrics.csv: the "
            "training curve per step (raw, faint, and smoothed), the per-epoch training mean "
            "and the per-epoch test value. Writes RUN_DIR/curves_loss.png and "
            "RUN_DIR/curves_mpjpe.png (existing ones only with --overwrite: a finished "
            "`vidpose train` has drawn them already)."
        ),
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by vidpose train")
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from vidpose.engine.curves import LOSS_FIGURE, MPJPE_FIGURE, plot_run
    from vidpose.infra.atomic import check_output

    if Path(args.run_dir).is_dir():  # plot_run names a missing folder itself
        for name in (LOSS_FIGURE, MPJPE_FIGURE):
            check_output(Path(args.run_dir) / name, overwrite=args.overwrite)
    for path in plot_run(args.run_dir):
        print(f"wrote {path}")
    return 0
