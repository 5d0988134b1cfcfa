"""Accuracy: the report's recipe against the default recipe, on the same data and epoch budget.

Usage (from the repository root)::

    .venv/bin/python benchmarks/accuracy.py --data data/demo          # the small preset, 10 epochs
    .venv/bin/python benchmarks/accuracy.py --data data/demo --ablate --work runs/acc  # + ablation
    .venv/bin/python benchmarks/accuracy.py --data data/demo --ablate --work runs/acc --resume
    .venv/bin/python benchmarks/accuracy.py --preset tiny --epochs 1  # generates its data

Trains, on the same train/test stores and for the same number of epochs,

1. ``report``: ``configs/seed.yaml`` (the course report's recipe: CNN + LSTM, MSE, Adam,
   batch 2), at the benchmark's image size;
2. ``default``: ``configs/default.yaml``;

and reports 3. the mean-pose baseline (the training set's mean pose for every test frame).
``--ablate`` also trains the default with each ingredient off in turn. Prints a table (P1 =
MPJPE, P2 = Procrustes-aligned MPJPE, MPJVE, all mm on the test store, and training seconds)
and, last, one JSON object (also written to ``--json``).

``--seeds 0 1 2`` trains every recipe once per seed (rows "default, seed 1", ...) and adds each
recipe's mean over the seeds; with both recipes it prints the default's P1 as a percentage of
the report's, per seed and on the means (one seed can move the report's recipe by tens of mm:
on the ``small`` preset it stayed at the mean pose at seed 2).

Input size: by default every recipe sees the frames at its own ``data.image_size`` (the
default recipe chooses its input size like any other ingredient), except that no recipe is fed
frames larger than the stores' (the report's 224 px becomes 112 px on the ``small`` preset: an
upscaled frame holds nothing more and costs 4×). ``--image-size N`` instead runs every recipe
at N, on copies of the stores resized once (INTER_AREA, poses2d scaled alike; crop and
intrinsics unchanged). ``--train-clips``/``--test-clips`` cut the stores to that many evenly
spaced clips. Without ``--data`` the synthetic ``--preset`` is generated into a temporary folder
first. ``--work`` keeps the stores and runs (run_0, run_1, ... in recipe order); ``--resume``
continues the runs an interrupted benchmark left there, exactly, from their ``last.pt``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from vidpose.clips.clip_store import OPTIONAL_ARRAYS, open_store, read_clips_csv, write_store  # noqa: E402
from vidpose.infra.errors import UserError  # noqa: E402
from vidpose.pose import metrics  # noqa: E402
from vidpose.pose.baselines import mean_pose_mpjpe_mm  # noqa: E402
from vidpose.runs.run_config import load_config  # noqa: E402

#: The default's colour jitter apart from the per-channel gain, switched off.
_JITTER_BEYOND_GAIN_OFF = ["augment.brightness=0", "augment.contrast=0", "augment.hue=0"]
#: Each ingredient of the default recipe and the overrides that turn it off (or swap it for
#: the plainer choice), most telling first: ``--only`` can run a prefix of them.
ABLATIONS: dict[str, list[str]] = {
    "heatmap term -> soft-argmax L1 2D term": ["model.heatmap_weight=0", "model.loss_2d_weight=5"],
    "heatmap Gaussian 0.5 -> 1 cell": ["model.heatmap_sigma=1.0"],
    "no depth-map term": ["model.depth_map_weight=0"],
    "MPJPE-style pose loss -> L1": ["train.loss=l1"],
    "lr 2e-3 -> 1e-3": ["optim.lr=0.001"],
    "schedule linear -> cosine": ["optim.schedule=cosine"],
    "depths relative to parent -> to pelvis": ["model.relative_depth=root"],
    "no bone term": ["train.bone_weight=0"],
    "no hue rotation": ["augment.hue=0"],
    "colour jitter -> gain 0.2 only": ["augment.color=0.2", *_JITTER_BEYOND_GAIN_OFF],
    "no colour jitter": ["augment.color=0", *_JITTER_BEYOND_GAIN_OFF],
    "backbone resfpn -> tinycnn": ["model.backbone=tinycnn"],
    "integral -> direct head": [
        "model.head=direct",
        "model.heatmap_weight=0",
        "model.depth_map_weight=0",
        "model.relative_depth=root",
    ],
    "input 112 -> 64 px": ["data.image_size=64"],
    "no flip test": ["eval.flip_test=false"],
    "no augmentation": ["augment.enabled=false"],
    "no EMA": ["optim.ema_decay=0"],
    "no velocity term": ["train.velocity_weight=0"],
    "bidirectional -> causal LSTM": ["model.bidirectional=false"],
    "schedule -> constant": ["optim.schedule=constant", "optim.warmup_epochs=0"],
    "loss mpjpe -> mse": ["train.loss=mse"],
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder with train/ and test/ clip stores")
    parser.add_argument("--preset", default="small", help="synth preset when --data is not given")
    parser.add_argument(
        "--image-size",
        type=int,
        help="run every recipe at this input side, pixels (default: each recipe's own, capped "
        "at the stored frames' side)",
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="epoch budget of every recipe (the report's: 10)"
    )
    parser.add_argument("--train-clips", type=int, default=0, help="N train clips (0: all)")
    parser.add_argument("--test-clips", type=int, default=0, help="N test clips (0: all)")
    parser.add_argument("--ablate", action="store_true", help="also train the ablations")
    parser.add_argument("--only", nargs="*", help="train only these recipe names")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        help="train every recipe once per seed (its config's `seed`) and add each recipe's mean "
        "over them and the default's P1 as a percentage of the report's, per seed and on the "
        "means (default: the configs' own seed, once)",
    )
    parser.add_argument("--seed-config", type=Path, default=ROOT / "configs" / "seed.yaml")
    parser.add_argument("--default-config", type=Path, default=ROOT / "configs" / "default.yaml")
    parser.add_argument("--set", action="append", default=[], help="override for every recipe")
    parser.add_argument("--work", type=Path, help="keep stores and runs here (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the JSON result here")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the runs in --work that an interrupted benchmark left (their last.pt)",
    )
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: CUDA when available)")
    parser.add_argument(
        "--default-run",
        type=Path,
        help="a finished run of the default on the same protocol, for test-time-only ablations",
    )
    args = parser.parse_args(argv)
    for name in ("image_size", "epochs"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: expected a positive integer")
    if args.seeds is not None:
        if any(seed < 0 for seed in args.seeds) or len(set(args.seeds)) != len(args.seeds):
            parser.error(f"--seeds {args.seeds}: expected distinct non-negative integers")
        if args.default_run is not None:
            parser.error("--default-run: names one run of the default, so it cannot serve --seeds")
    if args.resume and args.work is None:
        parser.error("--resume: needs the --work folder of the interrupted benchmark")
    if args.data is not None and not (args.data / "train").is_dir():
        parser.error(f"--data {args.data}: no train/ store there")
    return args


def resized_store(source: Path, target: Path, size: int | None, clips: int) -> None:
    """Copy the store at ``source`` to ``target`` with frames resized to ``size`` × ``size``
    (None: as they are); ``clips`` > 0 keeps that many clips, evenly spaced (stores are ordered
    by subject and action, so a prefix would see only some of them)."""
    import cv2

    store = open_store(source)
    total = store.num_clips
    keep = np.arange(total) if clips <= 0 or clips >= total else np.linspace(0, total - 1, clips)
    keep = np.unique(keep.round().astype(np.int64))
    height, width = store.image_size
    size = size or width
    if (height, width) == (size, size):
        frames = np.asarray(store.frames[keep])
    else:
        frames = np.empty((len(keep), store.frames_per_clip, size, size, 3), np.uint8)
        for row, i in enumerate(keep):
            for t, frame in enumerate(store.frames[i]):
                frames[row, t] = cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)
    optional = {
        name: np.asarray(getattr(store, name))[keep]
        for name in OPTIONAL_ARRAYS
        if getattr(store, name, None) is not None
    }
    scale = np.array([size / width, size / height], np.float32)
    rows = read_clips_csv(source / "clips.csv")
    write_store(
        target,
        poses3d=np.asarray(store.poses3d[keep]),
        poses2d=np.asarray(store.poses2d[keep]) * scale,
        clips=[rows[i] for i in keep],
        frames=frames,
        source=store.meta.get("source"),
        fps=float(store.meta.get("fps", 50.0)),
        frame_stride=int(store.meta.get("frame_stride", 1)),
        overwrite=True,
        **optional,
    )


def common_overrides(args: argparse.Namespace) -> list[str]:
    """What every recipe gets: the protocol's epochs (and image size, when one is given), and
    ``--set``."""
    size = [] if args.image_size is None else [f"data.image_size={args.image_size}"]
    return [
        *size,
        f"train.epochs={args.epochs}",
        "train.tensorboard=false",
        "train.final_report=false",
        *args.set,
    ]


def capped_size(config_path: Path, overrides: list[str], stored_size: int) -> list[str]:
    """``overrides`` plus ``data.image_size`` = the stores' side when the recipe asks for more
    (no recipe is fed upscaled frames)."""
    if load_config(config_path, overrides).data.image_size > stored_size:
        return [*overrides, f"data.image_size={stored_size}"]
    return overrides


#: The report recipe's row name.
REPORT = "report (seed.yaml)"


class Recipe(NamedTuple):
    """One training run of the benchmark: ``base`` names the recipe without its seed."""

    config: Path
    overrides: list[str]
    base: str
    seed: int | None
    extra: list[str]  # the overrides beyond the protocol's (an ablation's)


def recipes(args: argparse.Namespace) -> dict[str, Recipe]:
    """The runs to make, by row name, seed after seed (each seed's default before its
    ablations, which may reuse its weights)."""
    chosen: dict[str, tuple[Path, list[str]]] = {
        REPORT: (args.seed_config, []),
        "default": (args.default_config, []),
    }
    if args.ablate:
        for name, overrides in ABLATIONS.items():
            chosen[f"default, {name}"] = (args.default_config, overrides)
    if args.only:
        chosen = {name: value for name, value in chosen.items() if name in args.only}
    common = common_overrides(args)
    if not args.seeds:
        return {
            name: Recipe(path, [*common, *extra], name, None, extra)
            for name, (path, extra) in chosen.items()
        }
    return {
        f"{name}, seed {seed}": Recipe(path, [*common, f"seed={seed}", *extra], name, seed, extra)
        for seed in args.seeds
        for name, (path, extra) in chosen.items()
    }


def seed_means(results: dict[str, dict], runs: dict[str, Recipe]) -> dict[str, dict]:
    """Each recipe's P1, P2 and MPJVE averaged over its seeds, as rows named
    "<recipe>, mean of N seeds" (mm)."""
    by_base: dict[str, list[dict]] = {}
    for name, run in runs.items():
        by_base.setdefault(run.base, []).append(results[name])
    return {
        f"{base}, mean of {len(rows)} seeds": {
            key: float(np.mean([row[key] for row in rows]))
            for key in ("p1_mm", "p2_mm", "mpjve_mm")
        }
        | {"train_s": None, "seeds": len(rows)}
        for base, rows in by_base.items()
    }


def default_over_report(results: dict[str, dict], runs: dict[str, Recipe]) -> dict[str, float]:
    """The default's P1 as a percentage of the report recipe's, per seed ("seed N"; "run"
    without --seeds) and, over two or more seeds, of the two recipes' means ("means").
    Empty unless both recipes ran."""
    p1: dict[int | None, dict[str, float]] = {}
    for name, run in runs.items():
        p1.setdefault(run.seed, {})[run.base] = results[name]["p1_mm"]
    paired = {seed: row for seed, row in p1.items() if {"default", REPORT} <= row.keys()}
    ratios = {
        "run" if seed is None else f"seed {seed}": 100 * row["default"] / row[REPORT]
        for seed, row in paired.items()
    }
    if len(paired) > 1:
        means = {
            base: np.mean([row[base] for row in paired.values()]) for base in ("default", REPORT)
        }
        ratios["means"] = 100 * means["default"] / means[REPORT]
    return {label: float(value) for label, value in ratios.items()}


def score(pred: np.ndarray, gt: np.ndarray) -> dict:
    return {
        "p1_mm": float(metrics.mpjpe_mm(pred, gt)),
        "p2_mm": float(metrics.p_mpjpe_mm(pred, gt)),
        "mpjve_mm": float(metrics.mpjve_mm(pred, gt)),
    }


def evaluate_only(
    config_path: Path, overrides: list[str], data: Path, run_dir: Path, device: str | None
) -> dict:
    """Score the final weights of the trained run in ``run_dir`` with other ``eval.``
    settings (an ablation of a test-time option needs no retraining)."""
    from vidpose.engine.clip_inference import predict_store
    from vidpose.runs.checkpoint import load_model

    config = load_config(config_path, overrides)
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model, _ = load_model(run_dir / "last.pt")
    store = open_store(data / "test")
    pred = predict_store(
        model,
        store,
        device=device,
        batch_size=config.eval.batch_size,
        flip_test=config.eval.flip_test,
        image_size=config.data.image_size,
        progress=False,
    )
    return {
        **score(pred, store.poses3d),
        "image_size": config.data.image_size,
        "train_s": None,
        "overrides": overrides,
    }


def train_and_score(
    config_path: Path,
    overrides: list[str],
    data: Path,
    run_dir: Path,
    device: str | None,
    resume: bool = False,
) -> dict:
    """Train one recipe into ``run_dir`` (continuing the run there when ``resume`` and it has
    a ``last.pt``) and score its final test predictions; ``train_s`` counts every part of a
    resumed run."""
    from vidpose.tracks import train

    config = load_config(config_path, overrides)
    resume = resume and (run_dir / "last.pt").is_file()
    result = train(config, data, run_dir, device=device, resume=resume)
    if result.status != "finished":
        raise UserError(f"{run_dir}: training {result.status} before its last epoch")
    pred = np.load(run_dir / "predictions_test.npy")
    return {
        **score(pred, open_store(data / "test").poses3d),
        "image_size": config.data.image_size,
        "train_s": round(result.train_s, 1),
        "overrides": overrides,
        "config": str(config_path),
    }


def _eval_only(overrides: list[str]) -> bool:
    return bool(overrides) and all(item.startswith("eval.") for item in overrides)


def table(results: dict[str, dict]) -> str:
    lines = [
        f"| {'recipe':<38} | input px | P1 mm | P2 mm | MPJVE mm | train s |",
        f"|{'-' * 40}|---------:|------:|------:|---------:|--------:|",
    ]
    for name, row in results.items():
        seconds = "-" if row.get("train_s") is None else f"{row['train_s']:.0f}"
        seconds = "(reused)" if row.get("note") else seconds
        size = row.get("image_size") or "-"
        lines.append(
            f"| {name:<38} | {size:>8} | {row['p1_mm']:5.1f} | {row['p2_mm']:5.1f} | "
            f"{row['mpjve_mm']:8.1f} | {seconds:>7} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vidpose_accuracy_") as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        source = args.data
        if source is None:
            source = work / f"synth_{args.preset}"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "vidpose",
                    "synth",
                    str(source),
                    "--preset",
                    args.preset,
                    "--overwrite",
                ],
                check=True,
                cwd=ROOT,
            )
        copy_needed = args.image_size or args.train_clips or args.test_clips
        data = source
        if copy_needed:
            data = work / f"data_{args.image_size or 'stored'}px"
            resized_store(source / "train", data / "train", args.image_size, args.train_clips)
            resized_store(source / "test", data / "test", args.image_size, args.test_clips)
        train_store = open_store(data / "train")
        stored_size = int(train_store.image_size[1])
        train_poses = train_store.poses3d
        test_poses = open_store(data / "test").poses3d
        mean_pose = np.broadcast_to(train_poses.mean((0, 1)), test_poses.shape)
        results: dict[str, dict] = {
            "mean pose (baseline)": {
                "p1_mm": float(mean_pose_mpjpe_mm(train_poses, test_poses)),
                "p2_mm": float(metrics.p_mpjpe_mm(mean_pose, test_poses)),
                "mpjve_mm": float(metrics.mpjve_mm(mean_pose, test_poses)),
                "train_s": None,
            }
        }
        # Seed after seed, each seed's default runs before its ablations (recipes()), so a
        # test-time-only ablation reuses the default of its own seed.
        default_run = args.default_run
        runs = recipes(args)
        for index, (name, run) in enumerate(runs.items()):
            print(f"== {name}", file=sys.stderr, flush=True)
            run_dir = work / f"run_{index}"
            config_path, extra = run.config, run.extra
            overrides = capped_size(config_path, run.overrides, stored_size)
            if run.base.startswith("default, ") and default_run and _eval_only(extra):
                results[name] = evaluate_only(
                    config_path, overrides, data, default_run, args.device
                )
                results[name]["note"] = "the default's final weights, evaluated again"
            else:
                results[name] = train_and_score(
                    config_path, overrides, data, run_dir, args.device, args.resume
                )
            if run.base == "default":
                default_run = run_dir
            print(table(results), file=sys.stderr, flush=True)
        protocol = {
            "data": str(args.data) if args.data else f"synth preset {args.preset}",
            "image_size": args.image_size or "each recipe's own, at most the stored size",
            "stored_size": stored_size,
            "epochs": args.epochs,
            "train_clips": int(len(train_poses)),
            "test_clips": int(len(test_poses)),
            "device": args.device or "auto",
        }
        if args.seeds:
            protocol["seeds"] = args.seeds
            results |= seed_means(results, runs)
        ratios = default_over_report(results, runs)
        print(table(results))
        for label, percent in ratios.items():
            print(f"default P1 / report P1 ({label}): {percent:.1f} %")
        report = {"protocol": protocol, "results": results}
        if ratios:
            report["default_over_report_p1_percent"] = ratios
        output = json.dumps(report, indent=2)
        print(output)
        if args.json:
            args.json.write_text(output + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as error:
        print(f"accuracy: error: {error}", file=sys.stderr)
        sys.exit(2)
