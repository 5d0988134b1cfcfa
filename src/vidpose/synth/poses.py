"""``vidpose synth OUT --poses-only``: synthetic pose-sequence stores, no rendering.

Every take — each subject performing each built-in action for ``seconds``, as many times as
the action's weight in the mix times ``takes`` (:func:`vidpose.synth.motion.takes_per_action`),
each take with its own body (:func:`vidpose.synth.body.sample_bones`), or each sequence of a
``--motion`` file — is seen by ``views`` random virtual cameras
(:mod:`vidpose.synth.virtual_cameras`), and each view becomes one sequence of the sequence
stores ``OUT/train`` (S1 S5 S6 S7 S8) and ``OUT/test`` (S9 S11) (:mod:`vidpose.sequences`):
3D joints in the camera frame, root-relative metres with the pelvis in ``root.npy``, and the
2D source ``gt``: their pinhole projection in pixels of a 1000 × 1000 image (layout h36m17,
confidence 1). ``from_mocap`` is true, so training may rotate the cameras further.

Randomness comes from streams named by (seed, take), so the output is the same for a seed
whatever else changes; a take's motion is the one ``vidpose synth`` renders for the same seed,
take and length, performed by the take's own body rather than the subject's. Motion-file
sequences split as in ``synth --motion``: S9 and S11 go to test; without them the last fifth of
the sequences (or the last 20 % of a single one) does.

In Python::

    from vidpose.synth.poses import generate_pose_sequences
    train, test = generate_pose_sequences("data/synth_poses", preset="small", seed=0)
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidpose.infra.atomic import (
    check_output,
    check_writable,
    partial_name,
    remove_stale_partials,
    replace_dir,
)
from vidpose.infra.errors import UserError
from vidpose.infra.progress import progress_bar
from vidpose.pose import skeleton
from vidpose.sequences import SequenceInfo, SequenceStore, open_sequences, write_sequences
from vidpose.synth.body import make_subject, sample_bones
from vidpose.synth.motion import ACTIONS, FPS, action_motion, takes_per_action
from vidpose.synth.motion_file import load_motion_file
from vidpose.synth.plan import PRESETS, name_key, seed_sequence, split_sequences
from vidpose.synth.virtual_cameras import (
    MIN_DEPTH_M,
    CameraRanges,
    sample_cameras,
)

GENERATOR_VERSION = 2
DEFAULT_VIEWS = 8


@dataclass(frozen=True)
class Take:
    """One motion to be seen by several cameras: world joints come from ``positions`` or are
    generated from (subject, action, ``key``)."""

    split: str
    subject: str
    action: str
    sequence: str
    key: tuple[int, ...]  # names the take's random streams
    num_frames: int
    positions: np.ndarray | None = None  # (F, 17, 3) world metres, z up, from a motion file

    def world(self, seed: int) -> np.ndarray:
        """World joints (F, 17, 3), metres, z up."""
        if self.positions is not None:
            return self.positions
        bones = sample_bones(np.random.default_rng(seed_sequence(seed, 6, *self.key)))
        rng = np.random.default_rng(seed_sequence(seed, 1, *self.key))
        subject = make_subject(self.subject, bones)
        return action_motion(self.action, subject, self.num_frames, rng)


def procedural_takes(
    seconds: float, takes: int, actions: tuple[str, ...] | None = None
) -> list[Take]:
    """Every subject × built-in action (those named in ``actions``, default all) × its takes
    in the mix, ``seconds`` long at 50 fps."""
    frames = int(round(seconds * FPS))
    counts = takes_per_action(takes)
    plan = []
    for split, subjects in (("train", skeleton.TRAIN_SUBJECTS), ("test", skeleton.TEST_SUBJECTS)):
        for subject in subjects:
            for index, action in enumerate(ACTIONS):
                if actions is not None and action not in actions:
                    continue
                for take in range(1, counts[action] + 1):
                    key = (name_key(subject), index, take)  # as the rendered synth's takes
                    plan.append(Take(split, subject, action, f"{action} {take}", key, frames))
    return plan


def motion_file_takes(path: str | os.PathLike) -> list[Take]:
    """One take per sequence of a ``--motion`` file, split as ``synth --motion`` does."""
    sequences = load_motion_file(path, min_frames=1)
    return [
        Take(
            split,
            seq.subject,
            seq.action,
            seq.name,
            (name_key(split), name_key(seq.name), len(seq.positions)),
            len(seq.positions),
            seq.positions,
        )
        for split, group in split_sequences(sequences, 1).items()
        for seq in group
    ]


def view_take(take: Take, seed: int, views: int, ranges: CameraRanges):
    """(camera frame joints (V, F, 17, 3) float64 metres, pixels (V, F, 17, 2), intrinsics
    (V, 4), image sizes (V, 2)) of ``take`` seen by ``views`` random cameras."""
    world = take.world(seed)
    centre = world[:, 0, :2].mean(axis=0)
    extent = float(np.linalg.norm(world[:, :, :2] - centre, axis=-1).max())
    rng = np.random.default_rng(seed_sequence(seed, 5, *take.key))
    cameras = sample_cameras(rng, views, centre, extent, ranges)
    joints = cameras.to_camera(world)
    if joints[..., 2].min() < MIN_DEPTH_M:
        raise UserError(
            f"take {take.subject}/{take.sequence}: a virtual camera sees a joint behind or within "
            f"{MIN_DEPTH_M} m of it; narrow --camera-tilt or move cameras further away"
        )
    return joints, cameras.project(joints), cameras.intrinsics, cameras.image_sizes


def _write_split(
    out: Path, takes: list[Take], seed: int, views: int, ranges: CameraRanges, meta, bar
) -> SequenceStore:
    total = sum(take.num_frames for take in takes) * views
    poses3d = np.empty((total, 17, 3), np.float32)
    root = np.empty((total, 3), np.float32)
    keypoints = np.ones((total, 17, 3), np.float32)  # x, y, confidence 1
    intrinsics = np.empty((len(takes) * views, 4), np.float32)
    infos: list[SequenceInfo] = []
    start = 0
    for take in takes:
        joints, points, cameras, sizes = view_take(take, seed, views, ranges)
        frames = take.num_frames
        rows = slice(start, start + views * frames)
        flat = joints.reshape(-1, 17, 3)
        root[rows] = flat[:, 0]
        poses3d[rows] = flat - flat[:, :1]  # the pelvis row becomes exactly 0
        keypoints[rows, :, :2] = points.reshape(-1, 17, 2)
        intrinsics[len(infos) : len(infos) + views] = cameras
        for view in range(views):
            infos.append(
                SequenceInfo(
                    subject=take.subject,
                    action=take.action,
                    camera=f"virtual{view:02d}",
                    sequence=take.sequence,
                    start=start + view * frames,
                    frames=frames,
                    width=int(sizes[view, 0]),
                    height=int(sizes[view, 1]),
                )
            )
        start += views * frames
        bar.update(views * frames)
    return write_sequences(
        out,
        infos,
        poses3d,
        root,
        intrinsics,
        {"gt": (keypoints, "h36m17", False)},  # a projection has no confidence of its own
        source="synth-poses",
        fps=FPS,
        from_mocap=True,
        extra_meta=meta,
    )


def _checked_settings(preset, seed, views, seconds, takes, motion, actions) -> tuple[float, int]:
    """:func:`generate_pose_sequences`' settings checked in one line each; (seconds, takes)
    with the preset's where not given."""
    if preset not in PRESETS:
        raise UserError(f"preset {preset!r} unknown; choose one of {', '.join(PRESETS)}")
    if not isinstance(seed, int) or seed < 0:
        raise UserError(f"seed = {seed!r} must be a non-negative integer")
    if not isinstance(views, int) or not 1 <= views <= 1000:
        raise UserError(f"views = {views!r} must be between 1 and 1000")
    if actions is not None:
        if not actions:
            raise UserError(f"actions: none given; the built-in ones are {', '.join(ACTIONS)}")
        unknown = [name for name in actions if name not in ACTIONS]
        if unknown:
            raise UserError(
                f"actions: {', '.join(unknown)} unknown; the built-in ones are {', '.join(ACTIONS)}"
            )
        if motion is not None:
            raise UserError("actions cannot be chosen with a motion file: its sequences are used")
    if motion is not None and (seconds is not None or takes is not None):
        raise UserError(
            "seconds and takes cannot be set with a motion file: its sequences are used"
        )
    seconds = PRESETS[preset].seconds if seconds is None else seconds
    takes = PRESETS[preset].takes if takes is None else takes
    if not 0.02 <= seconds <= 3600:
        raise UserError(f"seconds = {seconds:g} is out of range [0.02, 3600]")
    if not isinstance(takes, int) or not 1 <= takes <= 100:
        raise UserError(f"takes = {takes!r} is out of range [1, 100]")
    return seconds, takes


def generate_pose_sequences(
    out_dir: str | os.PathLike,
    *,
    preset: str = "small",
    seed: int = 0,
    seconds: float | None = None,
    takes: int | None = None,
    views: int = DEFAULT_VIEWS,
    ranges: CameraRanges | None = None,
    motion: str | os.PathLike | None = None,
    actions: tuple[str, ...] | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> tuple[SequenceStore, SequenceStore]:
    """Write the sequence stores ``out_dir/train`` and ``out_dir/test``; return them opened.

    ``seconds`` and ``takes`` (per subject, of a weight-1 action) default to the preset's; with
    ``motion`` the file's sequences are used instead of the built-in actions; ``actions``
    names the built-in actions to perform (default: every one, in the mix's proportions). Both
    splits are written under a hidden sibling renamed into place at the end: an error leaves
    nothing.
    """
    out = Path(out_dir)
    seconds, takes = _checked_settings(preset, seed, views, seconds, takes, motion, actions)
    ranges = (ranges or CameraRanges()).check()
    check_output(out, overwrite=overwrite, inputs=(motion,))
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a directory; not replacing it")
    plan = (
        procedural_takes(seconds, takes, actions) if motion is None else motion_file_takes(motion)
    )
    meta = {
        "synth": {
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "preset": preset,
            "seconds": None if motion is not None else seconds,
            "takes": None if motion is not None else takes,
            "motion_file": None if motion is None else str(motion),
            "views_per_take": views,
            "cameras": ranges.record(),
        }
    }
    check_writable(out)
    remove_stale_partials(out)
    tmp = partial_name(out)
    total = sum(take.num_frames for take in plan) * views
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir(parents=True)
        except OSError as exc:
            raise UserError(f"{out}: cannot write here ({exc.strerror})") from None
        # delay: a run that fails at once (impossible camera ranges) prints only its error
        bar = progress_bar(total=total, unit="frame", desc="synth poses", disable=not progress)
        with bar:
            for split in ("train", "test"):
                group = [take for take in plan if take.split == split]
                _write_split(tmp / split, group, seed, views, ranges, meta, bar)
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return open_sequences(out / "train"), open_sequences(out / "test")
