"""Write video files: the renders of ``predict``, ``detect`` and ``render``.

The encoder follows the file name: ``.gif`` through Pillow; ``.mp4``/``.avi``/``.mov``
through the ``ffmpeg`` program when it is on PATH (H.264, plays everywhere), else OpenCV's own
MPEG-4 encoder, else a GIF beside the requested name (said on stderr). Frames are RGB uint8
(H, W, 3); the file appears under its name only once it is whole.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError

WRITABLE_SUFFIXES = (".mp4", ".avi", ".mov", ".gif")


def _partial_path(path: Path) -> Path:
    # Keep the suffix: OpenCV and ffmpeg pick the container from it.
    return path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")


class _GifSink:
    # Pillow merges identical consecutive frames into one longer frame: the timing stays right,
    # but the file may hold fewer frames than were written.
    def __init__(self, path: Path, fps: float) -> None:
        self.path, self.fps, self.images = path, fps, []

    def write(self, frame: np.ndarray) -> None:
        from PIL import Image

        # Quantise now: a palette image is a third of the RGB size while we hold them all.
        image = Image.fromarray(frame)
        self.images.append(image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=0))

    def close(self) -> None:
        duration_ms = max(20, int(round(1000.0 / self.fps)))  # viewers clamp faster GIFs
        first, rest = self.images[0], self.images[1:]
        first.save(self.path, save_all=True, append_images=rest, duration=duration_ms, loop=0)


class _FfmpegSink:
    def __init__(self, path: Path, fps: float, size: tuple[int, int], ffmpeg: str) -> None:
        width, height = size
        command = [
            ffmpeg, "-y", "-loglevel", "error",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps:g}",
            "-i", "-",
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",  # yuv420p needs even sides
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path),
        ]  # fmt: skip
        self.path = path
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def write(self, frame: np.ndarray) -> None:
        self.process.stdin.write(frame.tobytes())

    def close(self) -> None:
        self.process.stdin.close()
        error = self.process.stderr.read().decode(errors="replace").strip()
        if self.process.wait() != 0:
            raise UserError(f"{self.path}: ffmpeg failed: {error.splitlines()[-1:]}")


class _OpenCVSink:
    def __init__(self, writer) -> None:
        self.writer = writer

    def write(self, frame: np.ndarray) -> None:
        import cv2

        self.writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        self.writer.release()


def _opencv_sink(path: Path, fps: float, size: tuple[int, int]) -> _OpenCVSink | None:
    import cv2

    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    writer = cv2.VideoWriter(str(path), fourcc, float(fps), size)
    if not writer.isOpened():
        writer.release()
        return None
    return _OpenCVSink(writer)


def check_video_path(path: str | os.PathLike, name: str) -> Path:
    """``UserError`` naming option ``name`` unless ``path`` ends in a type we can write."""
    path = Path(path)
    if path.suffix.lower() not in WRITABLE_SUFFIXES:
        raise UserError(
            f"{name} {path}: unknown video type {path.suffix!r}; use one of "
            f"{', '.join(WRITABLE_SUFFIXES)}"
        )
    return path


class VideoWriter:
    """Stream RGB uint8 frames (H, W, 3) of one size into a video file, atomically.

    Use as a context manager; the file appears under its name only when the block ends
    without an exception. :attr:`path` is the file written: the requested one, or a GIF with
    the same stem when no encoder for the requested type works here (stderr says so).
    """

    def __init__(self, path: str | os.PathLike, fps: float, use_ffmpeg: bool = True) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in WRITABLE_SUFFIXES:
            raise UserError(
                f"{self.path}: unknown video type {suffix!r}; use one of {WRITABLE_SUFFIXES}"
            )
        if not fps > 0:
            raise UserError(f"{self.path}: frame rate must be positive, got {fps}")
        self.fps = float(fps)
        self.use_ffmpeg = use_ffmpeg
        self.sink = None
        self.tmp: Path | None = None
        self.size: tuple[int, int] | None = None
        self.num_frames = 0

    def _open(self, size: tuple[int, int]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{self.path}: cannot create the folder ({exc.strerror})") from None
        self.size = size
        self.tmp = _partial_path(self.path)
        if self.path.suffix.lower() == ".gif":
            self.sink = _GifSink(self.tmp, self.fps)
            return
        ffmpeg = shutil.which("ffmpeg") if self.use_ffmpeg else None
        if ffmpeg is not None:
            self.sink = _FfmpegSink(self.tmp, self.fps, size, ffmpeg)
            return
        self.sink = _opencv_sink(self.tmp, self.fps, size)
        if self.sink is None:
            self.tmp.unlink(missing_ok=True)
            self.path = self.path.with_suffix(".gif")
            print(f"vidpose: no video encoder available here; writing {self.path}", file=sys.stderr)
            self.tmp = _partial_path(self.path)
            self.sink = _GifSink(self.tmp, self.fps)

    def write(self, frame: np.ndarray) -> None:
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        size = (int(frame.shape[1]), int(frame.shape[0]))
        if self.sink is None:
            self._open(size)
        elif size != self.size:
            raise ValueError(f"frame size {size} differs from the first frame's {self.size}")
        self.sink.write(frame)
        self.num_frames += 1

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                if self.sink is None:
                    raise UserError(f"{self.path}: nothing to write (no frames)")
                try:
                    self.sink.close()
                    os.replace(self.tmp, self.path)
                except OSError as error:
                    raise UserError(f"{self.path}: cannot write ({error})") from None
            elif self.sink is not None:
                # The original error matters, not one from closing a half-written file.
                with contextlib.suppress(Exception):
                    self.sink.close()
        finally:
            if self.tmp is not None:
                self.tmp.unlink(missing_ok=True)


def write_video(
    path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float, use_ffmpeg: bool = True
) -> Path:
    """Write RGB uint8 frames (H, W, 3) to ``path`` atomically; return the path written."""
    with VideoWriter(path, fps, use_ffmpeg=use_ffmpeg) as writer:
        for frame in frames:
            writer.write(frame)
    return writer.path


def count_decodable_frames(path: str | os.PathLike) -> int:
    """Frames a video or GIF file decodes to (for checking what we wrote)."""
    from vidpose.video.decode import probe_video

    path = Path(path)
    if path.suffix.lower() == ".gif":
        from PIL import Image

        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1))
    return probe_video(path).num_frames
