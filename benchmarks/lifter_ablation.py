"""Ablations of the shipped lifter's recipe: one choice changed per row, equal budgets.

    python benchmarks/lifter_ablation.py --cmu-bulk data/cmu_bulk [--cmu7 ../shared/mocap/cmu] \
        [--work runs/lifter_ablation] [--rows full,data_builtin,...] [--train-samples 300000] \
        [--json benchmarks/lifter_ablation.json]

Builds the data once under WORK/data (``vidpose synth --poses-only``, ``vidpose prepare mocap``
of the whole collection with its INDEX.tsv, ``vidpose prepare shipped``),
then trains one lifter per row of :data:`ROWS` from ``configs/lift_shipped.yaml`` narrowed
to 128 channels in batches of 256 (:data:`SMALL`), with the row's data and overrides, each
for the same number of training samples (``--train-samples``, met with whole epochs or one
epoch and a sample stride), and scores every one on the same two sets:

- **dev**: the held-out CMU subjects (:data:`DEV_SUBJECTS`: sitting, bending, squatting,
  eating, climbing, dancing, one-leg balance, walks), camera mix, detector-like 2D;
- **test**: the built-in motions' test subjects (S9, S11), camera mix, detector-like 2D;

each with the ``coco`` 2D (the video path's mapping; on dev also with a detector's errors,
``coco_noisy``) and the ``h36m`` 2D (Human3.6M's), raw and with one skeleton per sequence
(vidpose.lifting.bones), via benchmarks/lifter_dev.py. A row
already in WORK/rows is not rerun (delete its JSON to redo it; ``--rescore`` scores its run
again), so an interrupted run resumes;
``--rebuild`` remakes the data (after the motion generator or the mocap import changed).
Prints one JSON object and a markdown table (P1 / P2 action averages, mm).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

CONFIG = ROOT / "configs" / "lift_shipped.yaml"
#: Every row's lifter is the shipped one narrowed to 128 channels (a quarter of the cost), so a
#: row trains in a few minutes on one CPU thread, in batches of 256 (four times the steps of
#: the shipped recipe's 1,024 for the same samples: a short run needs the steps).
SMALL = ["model.hidden_size=128", "train.batch_size=256"]
DEV_SUBJECTS = "cmu08,cmu14,cmu49"
CMU_VIEWS = "6"
#: The augmentation of the previous shipped recipe (jitter 1.5 %, 1 % outliers, 3 % dropped).
OLD_NOISE = [
    "augment.noise=0.015",
    "augment.noise_growth=0",
    "augment.outliers=0.01",
    "augment.dropout=0.03",
    "augment.swaps=0",
    "augment.missing_frames=0",
]
#: row → (training data, config overrides, what it changes).
ROWS = {
    "full": ("full", [], "the recipe: built-in + CMU bulk, camera mix, detector-like 2D, mixed"),
    "data_builtin": ("builtin", [], "data: built-in motions only"),
    "data_cmu7": ("cmu7", [], "data: built-in + the 7 CMU takes"),
    "generator_previous": (
        "generator_previous",
        [],
        "generator: the previous 13 actions (no sitting, kneeling, ...)",
    ),
    "bones_source": ("bones_source", [], "mocap bones as captured (not Human3.6M's proportions)"),
    "cameras_h36m": ("ranges", [], "cameras: Human3.6M-like only (synth --cameras ranges)"),
    "noise_old": ("full", OLD_NOISE, "2D noise: the previous recipe's"),
    "joints_coco": ("full", ["data.keypoints=coco"], "joints: COCO-style 2D only"),
    "joints_h36m": ("full", ["data.keypoints=h36m"], "joints: Human3.6M 2D only"),
    "rf27": ("full", ["model.receptive_field=27"], "receptive field 27"),
    "rf243": ("full", ["model.receptive_field=243"], "receptive field 243"),
}


def vidpose(*argv: str, ok=(0,)) -> None:
    """Run a vidpose command in a child process (its output goes to stderr)."""
    command = [sys.executable, "-m", "vidpose", *argv]
    shown = " ".join(argv[:6]) + (f" ... ({len(argv) - 6} more)" if len(argv) > 6 else "")
    print(f"$ vidpose {shown}", file=sys.stderr, flush=True)
    code = subprocess.run(command, stdout=sys.stderr).returncode
    if code not in ok:
        raise SystemExit(f"vidpose {argv[0]} failed with exit code {code}")


def import_mocap(files: list[Path], out: Path, index: Path, extra: list[str]) -> Path:
    """``prepare mocap`` of ``files`` (files or folders) with each take's capture rate from
    ``index`` (the BVH headers claim 120 for every take)."""
    vidpose(
        "prepare", "mocap", *map(str, files), str(out), "--cmu-index", str(index), *extra,
        ok=(0, 1),
    )  # fmt: skip
    return out


def build_data(args, data: Path) -> None:
    """Every training set of :data:`ROWS` and the evaluation sets, under ``data``."""
    from vidpose.synth.motion import RENDERED_ACTIONS

    index = args.cmu_bulk / "INDEX.tsv"
    collection = [args.cmu_bulk / "bvh", args.cmu_bulk / "amc"]
    asf = ["--asf", str(args.cmu_bulk / "amc" / "03.asf")]
    motions = {
        "bulk": import_mocap(collection, data / "bulk.npz", index, asf),
        "bulk_source_bones": import_mocap(
            collection, data / "bulk_source_bones.npz", index, [*asf, "--bones", "source"]
        ),
    }
    if args.cmu7 and args.cmu7.is_dir():
        motions["cmu7"] = import_mocap(
            sorted(args.cmu7.glob("*.bvh")), data / "cmu7.npz", index, []
        )
    for cameras in ("mix", "ranges"):
        vidpose("synth", str(data / f"builtin_{cameras}"), "--poses-only", "--cameras", cameras)
        for name, motion in motions.items():
            if cameras == "ranges" and name != "bulk":
                continue
            vidpose("synth", str(data / f"{name}_{cameras}"), "--poses-only", "--cameras", cameras,
                    "--motion", str(motion), "--views", CMU_VIEWS)  # fmt: skip
    # The previous generator's action set: the 13 actions the rendered synth films.
    vidpose("synth", str(data / "builtin_previous_mix"), "--poses-only", "--cameras", "mix",
            "--actions", ",".join(RENDERED_ACTIONS))  # fmt: skip
    dev = ["--dev-subjects", DEV_SUBJECTS, "--cmu-index", str(index)]

    def join(name: str, *roots: str, held_out: bool = True) -> None:
        extra = dev if held_out else []
        vidpose("prepare", "shipped", str(data / name), *(str(data / r) for r in roots), *extra)

    # Every row is scored on full/dev and full/test (the same held-out CMU subjects).
    join("full", "builtin_mix", "bulk_mix")
    join("builtin", "builtin_mix", held_out=False)
    join("generator_previous", "builtin_previous_mix", "bulk_mix")
    join("bones_source", "builtin_mix", "bulk_source_bones_mix")
    join("ranges", "builtin_ranges", "bulk_ranges")
    if "cmu7" in motions:
        join("cmu7", "builtin_mix", "cmu7_mix", held_out=False)


def run_row(name: str, args, data: Path, work: Path) -> dict:
    import torch
    from lifting import sized

    from vidpose.runs.run_config import load_config
    from vidpose.tracks import trainer as track_trainer

    source, overrides, meaning = ROWS[name]
    train_dir = data / source
    config = sized(load_config(CONFIG, [*SMALL, *overrides]), train_dir, args.train_samples)
    run_dir = work / "runs" / name
    shutil.rmtree(run_dir, ignore_errors=True)
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        trainer = track_trainer(config, train_dir, run_dir, device="cpu")
        result = trainer.run()
    train_s = time.perf_counter() - started
    model = trainer.eval_model
    row = {
        "row": name,
        "changes": meaning,
        "train_data": str(train_dir),
        "overrides": overrides,
        "train_samples": result.step * config.train.batch_size,
        "sample_stride": config.data.sample_stride,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_s_with_test_pass": train_s,
        "torch_threads": torch.get_num_threads(),
    }
    return {**row, **scores(model, data, config.eval.flip_test)}


def scores(model, data: Path, flip_test: bool) -> dict:
    """Every row's evaluation: the dev and test splits of the full data."""
    from lifter_dev import split_scores

    return {
        split: split_scores(model, data / "full" / split, flip_test) for split in ("dev", "test")
    }


def rescore(path: Path, data: Path, work: Path) -> None:
    """Score a finished row's run (WORK/runs/ROW/last.pt) again, e.g. on remade 2D sources."""
    from vidpose.engine.clip_inference import recipe_flip_test
    from vidpose.runs.checkpoint import load_model

    row = json.loads(path.read_text())
    model, checkpoint = load_model(work / "runs" / row["row"] / "last.pt")
    row.update(scores(model.eval(), data, recipe_flip_test(checkpoint)))
    path.write_text(json.dumps(row, indent=2) + "\n")


def _cell(row: dict, split: str, source: str, kind: str) -> str:
    if source not in row[split]:
        return "-"
    score = row[split][source][kind]
    return f"{score['p1_action']:.1f} / {score['p2_action']:.1f}"


def table(rows: list[dict]) -> str:
    """Markdown: P1 / P2 action averages (mm) per row, set and 2D, raw and with bones."""
    header = "| row | dev coco | dev coco, bones | dev coco noisy | dev h36m | dev h36m, bones "
    header += "| test coco | test h36m | train s |"
    lines = [header, "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cells = [
            _cell(row, split, source, kind)
            for split, source, kind in (
                ("dev", "coco", "raw"), ("dev", "coco", "bones"), ("dev", "coco_noisy", "raw"),
                ("dev", "h36m", "raw"), ("dev", "h36m", "bones"), ("test", "coco", "raw"),
                ("test", "h36m", "raw"),
            )
        ]  # fmt: skip
        lines.append(
            f"| {row['row']}: {row['changes']} | {' | '.join(cells)} | "
            f"{row['train_s_with_test_pass']:.0f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cmu-bulk", type=Path, default=ROOT / "data" / "cmu_bulk")
    parser.add_argument("--cmu7", type=Path, default=ROOT.parent / "shared" / "mocap" / "cmu")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "lifter_ablation")
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated row names")
    parser.add_argument("--train-samples", type=int, default=200_000)
    parser.add_argument("--rebuild", action="store_true", help="remake the data first")
    parser.add_argument(
        "--rescore", action="store_true", help="score finished rows again (same runs)"
    )
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    names = [name for name in args.rows.split(",") if name]
    unknown = [name for name in names if name not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}; known: {', '.join(ROWS)}")
    if not (args.cmu_bulk / "INDEX.tsv").is_file():
        parser.error(f"{args.cmu_bulk}: no INDEX.tsv (unpack cmu_bulk.tar.xz there)")
    data, rows_dir = args.work / "data", args.work / "rows"
    if args.rebuild:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(rows_dir, ignore_errors=True)
    if not (data / "full" / "dev").is_dir():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        build_data(args, data)
    rows_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        path = rows_dir / f"{name}.json"
        if path.is_file() and args.rescore:
            rescore(path, data, args.work)
        if not path.is_file():
            if not (data / ROWS[name][0] / "train").is_dir():
                print(f"skipping {name}: no {ROWS[name][0]} data", file=sys.stderr)
                continue
            path.write_text(json.dumps(run_row(name, args, data, args.work), indent=2) + "\n")
        rows.append(json.loads(path.read_text()))
        print(f"[{name}] done", file=sys.stderr, flush=True)
    output = {
        "benchmark": "lifter_ablation",
        "config": str(CONFIG.relative_to(ROOT)),
        "train_samples_each": args.train_samples,
        "every_row": SMALL,
        "dev_subjects": DEV_SUBJECTS,
        "load_average_1min_at_end": os.getloadavg()[0],
        "rows": rows,
    }
    text = json.dumps(output, indent=2)
    print(text)
    print(table(rows), file=sys.stderr)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
