"""Convert one Human3.6M sequence (one subject, one recording, one camera) into finished clips.

Poses come from ``D3_Positions_mono`` (32 joints, mm, camera frame) → 17 joints in metres,
root-relative, the pelvis kept as the root. 2D joints come from ``D2_Positions`` when the
release has them for this sequence (they include the lens distortion, so they sit where the
video shows the joints), otherwise from a pinhole projection of the 3D joints. The video is
decoded once, front to back; only the frames that clips use are cropped, and each finished
clip goes straight to a memory-mapped file on disk, so memory stays bounded by a few frames.

Results land in ``work_dir/<subject>/<sequence>.<camera>.frames.npy`` and ``... .npz``; the
``.npz`` is renamed into place last and marks the sequence finished (resumable runs skip it).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.clips.crops import cut_and_resize
from vidpose.infra.errors import UserError
from vidpose.pose.camera import project
from vidpose.pose.skeleton import H36M_32_TO_17, ROOT
from vidpose.sources.h36m_clips import clip_starts, crop_square, to_crop_pixels
from vidpose.sources.h36m_layout import SequenceFiles


class SequenceProblem(Exception):
    """A problem with one of a sequence's files: reported and skipped, the run goes on."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Settings:
    """Everything that decides the content of a converted sequence (recorded for resuming)."""

    size: int
    frames: int
    stride: int
    every: int
    intrinsics: tuple[float, float, float, float]  # fx, fy, cx, cy, source pixels


@dataclass
class SequenceResult:
    files: SequenceFiles
    clips: int = 0
    poses2d_from: str | None = None
    skipped: tuple[str, str] | None = None  # (file, reason) when nothing was written
    warnings: list[str] = field(default_factory=list)


def require_cdflib() -> None:
    try:
        import cdflib  # noqa: F401
    except ImportError:
        raise UserError(
            "reading Human3.6M's CDF files needs cdflib: pip install vidpose[h36m]"
        ) from None


def read_pose_cdf(path: Path, dims: int) -> np.ndarray:
    """Variable ``Pose`` of a release CDF file → (F, 32, dims) float64, the file's units."""
    import cdflib

    try:
        pose = np.asarray(cdflib.CDF(str(path)).varget("Pose"), dtype=np.float64)
    except Exception as exc:  # cdflib raises many kinds of errors for damaged files
        problem = f"unreadable CDF file ({type(exc).__name__}: {exc})"
        raise SequenceProblem(path, problem) from None
    if pose.size == 0 or pose.size % (32 * dims):
        raise SequenceProblem(path, f"Pose has shape {pose.shape}, expected (1, F, {32 * dims})")
    pose = pose.reshape(-1, 32, dims)
    if not np.isfinite(pose).all():
        raise SequenceProblem(path, "Pose holds NaN or inf")
    return pose


def settings_record(settings: Settings) -> dict[str, Any]:
    """``settings`` as plain JSON values, for comparing a finished sequence with a new run."""
    return json.loads(json.dumps(asdict(settings)))


def load_finished(work_dir: Path, files: SequenceFiles, settings: Settings) -> dict | None:
    """The info of ``files`` converted earlier with the same settings, else None."""
    frames_path, arrays_path = output_paths(work_dir, files)
    if not (arrays_path.is_file() and frames_path.is_file()):
        return None
    try:
        with np.load(arrays_path, allow_pickle=False) as arrays:
            info = json.loads(str(arrays["info"]))
    except (OSError, ValueError, KeyError):
        return None
    return info if info.get("settings") == settings_record(settings) else None


def output_paths(work_dir: Path, files: SequenceFiles) -> tuple[Path, Path]:
    """(frames .npy, arrays .npz) of a converted sequence."""
    folder = work_dir / files.subject
    return folder / f"{files.key}.frames.npy", folder / f"{files.key}.npz"


def _poses2d_source(
    files: SequenceFiles, joints_m: np.ndarray, settings: Settings, result: SequenceResult
) -> np.ndarray:
    """(F, 17, 2) source-image pixels: D2_Positions when usable, else the projection."""
    if files.poses2d_cdf is not None:
        try:
            d2 = read_pose_cdf(files.poses2d_cdf, 2)[:, H36M_32_TO_17]
            if len(d2) < len(joints_m):
                problem = f"{len(d2)} frames for {len(joints_m)} 3D poses"
                raise SequenceProblem(files.poses2d_cdf, problem)
            result.poses2d_from = "D2_Positions"
            return d2[: len(joints_m)]
        except SequenceProblem as problem:
            result.warnings.append(f"{problem}; projecting the 3D joints instead")
    result.poses2d_from = "projection"
    return project(joints_m, settings.intrinsics)


def _open_video(path: Path, num_poses: int):
    import cv2

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise SequenceProblem(path, "cannot open the video (corrupt or unsupported)")
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    if 0 < declared < num_poses:
        capture.release()
        problem = f"video shorter than the poses ({declared} frames, {num_poses} poses)"
        raise SequenceProblem(path, problem)
    return capture


def _write_clips(
    files: SequenceFiles,
    settings: Settings,
    starts: np.ndarray,
    squares: list[tuple[int, int, int]],
    num_poses: int,
    frames_path: Path,
) -> None:
    """Decode the video once and write the cropped clips (N, T, size, size, 3) to frames_path."""
    import cv2

    offsets = np.arange(settings.frames) * settings.stride
    slots: dict[int, list[tuple[int, int]]] = {}
    for clip, start in enumerate(starts):
        for step, offset in enumerate(offsets):
            slots.setdefault(int(start + offset), []).append((clip, step))
    last_needed = max(slots)
    size = settings.size
    tmp_path = frames_path.with_name(frames_path.name + ".tmp")
    out = np.lib.format.open_memmap(
        tmp_path, mode="w+", dtype=np.uint8, shape=(len(starts), settings.frames, size, size, 3)
    )
    capture = _open_video(files.video, num_poses)
    try:
        shape = None
        for index in range(last_needed + 1):
            wanted = slots.get(index)
            ok, image = (capture.grab(), None) if wanted is None else capture.read()
            if not ok:
                problem = f"video shorter than the poses (ends at frame {index}, {num_poses} poses)"
                raise SequenceProblem(files.video, problem)
            if wanted is None:
                continue
            if shape is None:
                shape = image.shape
            elif image.shape != shape:
                problem = f"frame {index} is {image.shape}, earlier ones {shape}"
                raise SequenceProblem(files.video, problem)
            for clip, step in wanted:
                patch = cut_and_resize(image, squares[clip], size)
                out[clip, step] = cv2.cvtColor(patch, cv2.COLOR_BGR2RGB)
        out.flush()
        del out
        os.replace(tmp_path, frames_path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    finally:
        capture.release()


def convert_sequence(files: SequenceFiles, settings: Settings, work_dir: Path) -> SequenceResult:
    """Convert ``files`` into ``work_dir``; problems with its files are returned, not raised."""
    import cv2

    cv2.setNumThreads(1)  # parallelism comes from running sequences side by side
    result = SequenceResult(files)
    try:
        _convert(files, settings, work_dir, result)
    except SequenceProblem as problem:
        result.skipped = (str(problem.path), problem.problem)
    return result


def _convert(
    files: SequenceFiles, settings: Settings, work_dir: Path, result: SequenceResult
) -> None:
    joints_m = read_pose_cdf(files.poses3d_cdf, 3)[:, H36M_32_TO_17] / 1000.0
    num_poses = len(joints_m)
    if (joints_m[..., 2] <= 0).any():
        problem = "joints at or behind the camera (not camera-frame poses?)"
        raise SequenceProblem(files.poses3d_cdf, problem)
    starts = clip_starts(num_poses, settings.frames, settings.stride, settings.every)
    if len(starts) == 0:
        span = (settings.frames - 1) * settings.stride + 1
        problem = f"only {num_poses} poses, fewer than one clip ({span} frames)"
        raise SequenceProblem(files.poses3d_cdf, problem)
    points2d = _poses2d_source(files, joints_m, settings, result)

    index = starts[:, None] + np.arange(settings.frames) * settings.stride  # (N, T)
    squares = [crop_square(points2d[row]) for row in index]
    frames_path, arrays_path = output_paths(work_dir, files)
    frames_path.parent.mkdir(parents=True, exist_ok=True)
    _write_clips(files, settings, starts, squares, num_poses, frames_path)

    clip_joints = joints_m[index]  # (N, T, 17, 3)
    root = clip_joints[:, :, ROOT]
    crop = np.repeat(np.asarray(squares, dtype=np.float64)[:, None], settings.frames, axis=1)
    stored2d = np.stack(
        [
            to_crop_pixels(points2d[row], square, settings.size)
            for row, square in zip(index, squares, strict=True)
        ]
    )
    info: dict[str, Any] = {
        "subject": files.subject,
        "action": files.action,
        "sequence": files.sequence,
        "camera": files.camera,
        "poses2d_from": result.poses2d_from,
        "settings": settings_record(settings),
    }
    arrays = {
        "poses3d": (clip_joints - root[:, :, None]).astype(np.float32),
        "poses2d": stored2d.astype(np.float32),
        "root": root.astype(np.float32),
        "crop": crop.astype(np.float32),
        "intrinsics": np.tile(np.asarray(settings.intrinsics, np.float32), (len(starts), 1)),
        "starts": starts,
        "info": np.asarray(json.dumps(info)),
    }
    tmp_path = arrays_path.with_name(arrays_path.name + ".tmp")
    with open(tmp_path, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(tmp_path, arrays_path)
    result.clips = len(starts)
