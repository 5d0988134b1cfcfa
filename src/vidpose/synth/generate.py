"""Parallel generation of the synthetic dataset: ``OUT/train`` and ``OUT/test``.

The work is split into units (:mod:`vidpose.synth.plan`): one take seen from one camera.
Every unit draws its randomness from a seed derived from (seed, take, camera), never from the
worker that runs it, so the stores are byte-identical whatever ``workers`` is.

In Python::

    from vidpose.synth.generate import generate_dataset
    train, test = generate_dataset("data/synth", preset="tiny", seed=0)  # two ClipStores
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.clips.clip_store import ClipStore, StoreWriter, open_store, size_text
from vidpose.infra.atomic import check_writable, partial_name, remove_stale_partials, replace_dir
from vidpose.infra.errors import UserError
from vidpose.infra.progress import progress_bar
from vidpose.synth import studio_cameras as cameras
from vidpose.synth.body import make_subject
from vidpose.synth.motion import FPS, action_motion
from vidpose.synth.person_drawing import render_clip
from vidpose.synth.plan import (  # noqa: F401 - PRESETS and Preset are part of this API
    PRESETS,
    Preset,
    Unit,
    motion_file_units,
    procedural_units,
    resolve_preset,
    seed_sequence,
)
from vidpose.synth.scene import box_corners, make_scene, with_box

GENERATOR_VERSION = 1
MIN_CLIPS_PER_WORKER = 100


def take_motion(unit: Unit) -> np.ndarray:
    """World joints (F, 17, 3) of the unit's take: identical for its four cameras."""
    if unit.positions is not None:
        return unit.positions
    rng = np.random.default_rng(seed_sequence(unit.seed, 1, *unit.take_key))
    return action_motion(unit.action, make_subject(unit.subject), unit.num_frames, rng)


def clip_starts(num_frames: int, span: int, count: int, rng: np.random.Generator) -> list[int]:
    """``count`` start frames of clips spanning ``span`` frames in a take of ``num_frames``:
    non-overlapping at random offsets when they fit, evenly spread otherwise."""
    room = num_frames - count * span
    if room >= 0:
        offsets = np.sort(rng.integers(0, room + 1, size=count))
        return [int(k * span + offset) for k, offset in enumerate(offsets)]
    return np.linspace(0, num_frames - span, count).round().astype(int).tolist()


def stool_for(world: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A stool (corners (8, 3), colour) under the pelvis where it sits lowest."""
    low = int(np.argmin(world[:, 0, 2]))
    pelvis = world[low, 0]
    right = world[low, 1] - world[low, 4]
    right[2] = 0
    back = np.array([right[1], -right[0], 0.0]) / np.linalg.norm(right)
    seat = max(0.2, pelvis[2] - 0.1)
    base = np.array([pelvis[0], pelvis[1], 0.0]) + 0.1 * back
    colour = rng.uniform(40, 200) * rng.uniform(0.8, 1.2, size=3)
    return box_corners(base, right, 0.42, 0.42, seat), colour


def render_unit(unit: Unit) -> dict[str, Any]:
    """Render the unit's clips; arrays have a leading axis of ``unit.num_clips``."""
    p = unit.preset
    world = take_motion(unit)
    centre = world[:, 0, :2].mean(axis=0)
    extent = float(np.linalg.norm(world[:, :, :2] - centre, axis=-1).max())
    camera_rng = np.random.default_rng(seed_sequence(unit.seed, 2, *unit.take_key))
    camera = cameras.place_cameras(camera_rng, centre, extent)[unit.camera]
    # separate streams, so that e.g. a texture size change does not move the clip starts
    streams = seed_sequence(unit.seed, 3, *unit.take_key, unit.camera).spawn(3)
    scene_rng, starts_rng, noise_rng = (np.random.default_rng(s) for s in streams)
    texture_px = 256 if p.size * p.supersample >= 160 else 128
    scene = make_scene(scene_rng, camera, texture_px, centre, extent, p.size * p.supersample)
    if unit.positions is None and unit.action == "SittingDown":
        scene = with_box(scene, *stool_for(world, scene_rng))
    subject = make_subject(unit.subject)
    span = (p.frames - 1) * p.stride + 1
    starts = clip_starts(len(world), span, unit.num_clips, starts_rng)
    n, t = unit.num_clips, p.frames
    out = {
        "frames": np.empty((n, t, p.size, p.size, 3), np.uint8),
        "poses3d": np.empty((n, t, 17, 3), np.float32),
        "poses2d": np.empty((n, t, 17, 2), np.float32),
        "root": np.empty((n, t, 3), np.float32),
        "crop": np.empty((n, t, 3), np.float32),
        "intrinsics": np.tile(camera.intrinsics.astype(np.float32), (n, 1)),
        "rows": [],
    }
    for i, start in enumerate(starts):
        index = start + p.stride * np.arange(t)
        joints_cam = camera.to_camera(world[index])
        crops = cameras.crop_boxes(camera.project(joints_cam)).astype(np.float32)
        # store exactly what the recorded crop and intrinsics reproduce
        out["crop"][i] = crops
        out["root"][i] = joints_cam[:, 0]
        out["poses3d"][i] = joints_cam - joints_cam[:, :1]
        pixels = camera.project(joints_cam)
        out["poses2d"][i] = cameras.to_stored(pixels, crops.astype(np.float64), p.size)
        out["frames"][i] = render_clip(
            scene, subject, joints_cam, world[index, 0, :2], crops, p.size, noise_rng, p.supersample
        )
        out["rows"].append(
            {
                "subject": unit.subject,
                "action": unit.action,
                "camera": cameras.CAMERA_IDS[unit.camera],
                "sequence": unit.sequence,
                "start_frame": int(start),
            }
        )
    return out


def _check_output(out: Path, overwrite: bool) -> None:
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise UserError(f"{out}: already exists (use --overwrite to replace it)")
        if not out.is_dir():
            raise UserError(f"{out}: exists and is not a directory; not replacing it")
        children = {child.name for child in out.iterdir()}
        if children and not children & {"train", "test"}:
            raise UserError(f"{out}: not a synth output (no train/ or test/); not replacing it")


def _check_disk(out: Path, units: dict[str, list[Unit]], p: Preset) -> None:
    clips = sum(u.num_clips for group in units.values() for u in group)
    needed = clips * p.frames * p.size * p.size * 3
    parent = next((d for d in [out.parent, *out.parent.parents] if d.exists()), Path("."))
    usage = shutil.disk_usage(parent)
    if usage.total > 0 and needed > 0.95 * usage.free:  # total 0: a pseudo file system
        raise UserError(
            f"{out}: the frames need {size_text(needed)}, only {size_text(usage.free)} free"
        )


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)
    # Ctrl-C reaches the whole process group: the parent alone reports it and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _remove_partial(tmp: Path, created: list[Path]) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
    for directory in created:  # innermost first: leave no empty folders behind
        with contextlib.suppress(OSError):
            directory.rmdir()


def _write_split(folder: Path, group: list, p, source: dict, pool, bar) -> None:
    """Render the clips of one split's units (in ``pool`` when given) into a clip store at
    ``folder``, in the units' order."""
    writer = StoreWriter(
        folder,
        sum(u.num_clips for u in group),
        p.frames,
        (p.size, p.size),
        source=source,
        fps=FPS,
        frame_stride=p.stride,
        optional=("root", "crop", "intrinsics"),
        extra_meta={"crop_convention": cameras.CROP_CONVENTION},
    )
    with writer:
        results = pool.imap(render_unit, group) if pool else map(render_unit, group)
        offset, rows = 0, []
        for result in results:
            n = len(result["rows"])
            arrays = {k: v for k, v in result.items() if k != "rows"}
            writer.write(slice(offset, offset + n), **arrays)
            rows.extend(result["rows"])
            offset += n
            bar.update(n)
        writer.set_clips(rows)


def generate_dataset(
    out_dir: str | os.PathLike,
    preset: str = "tiny",
    seed: int = 0,
    workers: int = 1,
    overwrite: bool = False,
    motion: str | os.PathLike | None = None,
    progress: bool = False,
    **overrides: Any,
) -> tuple[ClipStore, ClipStore]:
    """Write ``out_dir/train`` and ``out_dir/test`` and return them opened.

    ``overrides`` replace preset fields: ``size``, ``frames``, ``stride``, ``train_clips``,
    ``test_clips``, ``seconds``, ``takes``, ``supersample``. With ``motion`` (an .npz path,
    see :mod:`vidpose.synth.motion_file`) its sequences are rendered instead of the built-in
    actions, every non-overlapping clip from each of the four cameras. Both splits are written
    under a temporary sibling directory renamed into place at the end, so an error leaves
    nothing at ``out_dir``. Raises :class:`UserError` for bad settings or an existing output.
    """
    out = Path(out_dir)
    if not isinstance(seed, int) or seed < 0:
        raise UserError(f"seed = {seed!r} must be a non-negative integer")
    if not isinstance(workers, int) or workers < 1:
        raise UserError(f"workers = {workers!r} must be at least 1")
    p = resolve_preset(preset, **overrides)
    if motion is not None:
        fixed = [k for k in ("train_clips", "test_clips") if overrides.get(k) is not None]
        if fixed:
            raise UserError(
                f"{' and '.join(fixed)} cannot be set with a motion file: every "
                "non-overlapping clip of its sequences is rendered"
            )
    _check_output(out, overwrite)
    check_writable(out)
    units = procedural_units(p, seed) if motion is None else motion_file_units(motion, p, seed)
    remove_stale_partials(out)  # before the space check: they may hold the space it needs
    _check_disk(out, units, p)

    tmp = partial_name(out)
    created = [d for d in [out.parent, *out.parent.parents] if not d.exists()]
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"{out}: cannot write here ({exc.strerror})") from None
    source = {
        "kind": "synth",
        "generator_version": GENERATOR_VERSION,
        "preset": preset,
        "seed": seed,
        "motion_file": None if motion is None else str(motion),
        "settings": asdict(p),
        "actions": sorted({u.action for group in units.values() for u in group}),
    }
    total = sum(u.num_clips for group in units.values() for u in group)
    # starting a worker costs about a second: small jobs run in this process (same output)
    workers = min(workers, max(1, total // MIN_CLIPS_PER_WORKER))
    pool = None
    try:
        if workers > 1:
            pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_init_worker)
        with progress_bar(
            total=total, unit="clip", desc=f"synth {preset}", disable=not progress
        ) as bar:
            for split in ("train", "test"):
                source_split = {**source, "split": split}
                _write_split(tmp / split, units[split], p, source_split, pool, bar)
        replace_dir(tmp, out)
    except UserError as exc:  # name the output, not the hidden folder it is built in
        _remove_partial(tmp, created)
        raise UserError(str(exc).replace(str(tmp), str(out))) from None
    except BaseException:
        _remove_partial(tmp, created)
        raise
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return open_store(out / "train"), open_store(out / "test")
