"""The README's demo table, written from the evaluation a ``make demo`` run saves.

Usage (from the repository root, after ``make demo``)::

    .venv/bin/python benchmarks/readme_tables.py            # runs/demo/evaluation.json -> README
    .venv/bin/python benchmarks/readme_tables.py --check    # exit 1 if README.md has drifted

Without ``--check`` it copies the numbers the table shows (the four protocols' headline, with the
run's context) to ``docs/demo_evaluation.json`` and rewrites the table between the README's
``<!-- demo-table -->`` and ``<!-- /demo-table -->`` lines from them. ``--check`` compares the
README's table with ``docs/demo_evaluation.json`` (or ``--evaluation``) and changes nothing; the
test suite runs it, so the table cannot drift from the numbers committed beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- demo-table -->", "<!-- /demo-table -->"
#: (row label, the report's headline key), in the README's order.
ROWS = (
    ("P1 MPJPE", "mpjpe_mm"),
    ("P2 P-MPJPE", "p_mpjpe_mm"),
    ("N-MPJPE", "n_mpjpe_mm"),
    ("MPJVE", "mpjve_mm"),
)
#: What docs/demo_evaluation.json keeps of evaluation.json (not the per-action detail).
KEPT = ("format", "version", "num_clips", "frames_per_clip", "num_frames", "protocols", "headline")


def demo_table(report: dict) -> str:
    """The Markdown table of ``report``'s headline numbers, mm to one decimal."""
    lines = [
        "| metric | frame average | action average | mean-pose baseline (frame / action) |",
        "|---|---|---|---|",
    ]
    for label, key in ROWS:
        row = report["headline"][key]
        lines.append(
            f"| {label} | {row['frame_average']:.1f} | {row['action_average']:.1f} | "
            f"{row['baseline_frame_average']:.1f} / {row['baseline_action_average']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def replace_table(readme: str, table: str) -> str:
    """``readme`` with the text between the demo-table marker lines replaced by ``table``."""
    begin, end = readme.find(BEGIN + "\n"), readme.find(END)
    if begin < 0 or end < begin:
        raise ValueError(f"README: no {BEGIN} ... {END} lines around the demo table")
    start = begin + len(BEGIN) + 1
    return readme[:start] + table + readme[end:]


def kept(report: dict) -> dict:
    """The part of evaluation.json the README shows, with the run's checkpoint epoch/step."""
    context = report.get("context", {})
    return {key: report[key] for key in KEPT} | {
        "context": {key: context.get(key) for key in ("checkpoint", "epoch", "step", "flip_test")}
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluation", type=Path, help="default: runs/demo/evaluation.json")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--docs-copy", type=Path, default=ROOT / "docs" / "demo_evaluation.json")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on drift")
    args = parser.parse_args(argv)
    default = args.docs_copy if args.check else ROOT / "runs" / "demo" / "evaluation.json"
    source = args.evaluation or default
    report = json.loads(source.read_text())
    readme = args.readme.read_text()
    updated = replace_table(readme, demo_table(report))
    if args.check:
        if updated != readme:
            print(f"{args.readme}: the demo table differs from {source}", file=sys.stderr)
            return 1
        print(f"{args.readme}: the demo table matches {source}")
        return 0
    args.docs_copy.write_text(json.dumps(kept(report), indent=2) + "\n")
    args.readme.write_text(updated)
    print(f"wrote {args.docs_copy} and the demo table of {args.readme} from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
