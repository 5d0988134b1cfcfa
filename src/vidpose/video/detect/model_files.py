"""The published 2D model files: where they come from, where they are cached, how they load.

OpenMMLab publishes RTMDet, RTMPose and RTMO (Apache-2.0) as MMDeploy "ONNX SDK" zip archives,
each holding one ``end2end.onnx`` (the same files rtmlib downloads). On first use, when the
machine is online, the archive is fetched and its ONNX file kept in the cache folder
(``$VIDPOSE_CACHE/models``, else ``$XDG_CACHE_HOME/vidpose/models``, else
``~/.cache/vidpose/models``). Offline (or with ``VIDPOSE_OFFLINE=1``) nothing is fetched and the
error names the URLs and the paths to put the files at. A local file given by the user is used
as is, after checking it is an ONNX model.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from vidpose.infra.errors import UserError

_SDK = "https://download.openmmlab.com/mmpose/v1/projects"


@dataclass(frozen=True)
class ModelSpec:
    """One published model. ``input_size`` is (width, height); ``layout`` the keypoints'."""

    name: str
    role: str  # "detector" (person boxes), "top-down" (RTMPose) or "one-stage" (RTMO)
    url: str
    input_size: tuple[int, int]
    layout: str | None = None

    @property
    def file_name(self) -> str:
        """The cached ONNX file's name: the archive's, ending in ``.onnx``."""
        return Path(self.url).name.removesuffix(".zip") + ".onnx"


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "rtmdet-m",
            "detector",
            f"{_SDK}/rtmposev1/onnx_sdk/rtmdet_m_8xb32-100e_coco-obj365-person-235e8209.zip",
            (640, 640),
        ),
        ModelSpec(
            "rtmdet-nano",
            "detector",
            f"{_SDK}/rtmposev1/onnx_sdk/rtmdet_nano_8xb32-100e_coco-obj365-person-05d8511e.zip",
            (320, 320),
        ),
        ModelSpec(
            "rtmpose-m",
            "top-down",
            f"{_SDK}/rtmposev1/onnx_sdk/"
            "rtmpose-m_simcc-body7_pt-body7_420e-256x192-e48f03d0_20230504.zip",
            (192, 256),
            "coco17",
        ),
        ModelSpec(
            "rtmpose-m-halpe26",
            "top-down",
            f"{_SDK}/rtmposev1/onnx_sdk/"
            "rtmpose-m_simcc-body7_pt-body7-halpe26_700e-256x192-4d3e73dd_20230605.zip",
            (192, 256),
            "halpe26",
        ),
        ModelSpec(
            "rtmo-m",
            "one-stage",
            f"{_SDK}/rtmo/onnx_sdk/rtmo-m_16xb16-600e_body7-640x640-39e78cc4_20231211.zip",
            (640, 640),
            "coco17",
        ),
    )
}
DEFAULT_DETECTOR = "rtmdet-m"
DEFAULT_POSE = "rtmpose-m"

#: The first bytes of a zip archive (the published files before unpacking).
_ZIP_MAGIC = b"PK\x03\x04"


def cache_dir() -> Path:
    """The folder downloaded model files live in (not created here)."""
    root = os.environ.get("VIDPOSE_CACHE")
    if root:
        return Path(root).expanduser() / "models"
    xdg = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(xdg).expanduser() / "vidpose" / "models"


def cached_path(spec: ModelSpec) -> Path:
    return cache_dir() / spec.file_name


def check_onnx_file(path: str | os.PathLike, option: str) -> Path:
    """``UserError`` naming ``option`` unless ``path`` is a readable file that looks like ONNX.

    ONNX Runtime has the last word when it loads the file (:func:`open_session`); this catches
    the usual mistakes early: a folder, the published zip, a PyTorch checkpoint."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{option} {path}: file does not exist")
    if not path.is_file():
        raise UserError(f"{option} {path}: not a file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot read ({exc.strerror})") from None
    if head == _ZIP_MAGIC:
        raise UserError(
            f"{option} {path}: a zip archive, not an ONNX model (the published archives hold "
            "one end2end.onnx: unzip it and give that file)"
        )
    # An ONNX ModelProto starts with field 1 (ir_version, a varint): byte 0x08.
    if not head or head[0] != 0x08:
        raise UserError(f"{option} {path}: not an ONNX model (expected a .onnx file)")
    return path


def providers_for(device) -> list:
    """ONNX Runtime execution providers for ``cpu``, ``cuda`` or ``cuda:N`` (a name or a
    ``torch.device``)."""
    import onnxruntime as ort

    device = str(device)
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda" or device.startswith("cuda:"):
        index = device.partition(":")[2] or "0"
        if not index.isdigit():
            raise UserError(f"--device {device}: expected cpu, cuda or cuda:N")
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise UserError(
                f"--device {device}: this ONNX Runtime has no CUDA provider (install "
                "onnxruntime-gpu instead of onnxruntime, or use --device cpu)"
            )
        return [("CUDAExecutionProvider", {"device_id": int(index)}), "CPUExecutionProvider"]
    raise UserError(f"--device: expected cpu, cuda or cuda:N, got {device!r}")


def open_session(path: Path, option: str, device: str = "cpu", threads: int | None = None):
    """An ONNX Runtime session for a checked model file; ``UserError`` if it does not load."""
    import onnxruntime as ort

    check_onnx_file(path, option)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initialisers are not the user's
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), options, providers=providers_for(device))
    except UserError:
        raise
    except Exception as exc:  # ONNX Runtime raises its own types for every load failure
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{option} {path}: ONNX Runtime cannot load it ({reason})") from None


def _download(spec: ModelSpec, target: Path, progress: bool) -> None:
    """Fetch ``spec``'s archive and keep its ONNX file at ``target`` (atomically)."""
    from vidpose.infra.progress import progress_bar

    created = _make_folders(target.parent)
    archive = target.with_name(f".{target.name}.{os.getpid()}.zip")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with urllib.request.urlopen(spec.url, timeout=30) as response, open(archive, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with progress_bar(
                total=total, unit="B", unit_scale=True, desc=f"downloading {spec.name}",
                disable=not progress,
            ) as bar:  # fmt: skip
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.namelist() if m.endswith("end2end.onnx")]
            if not members:
                raise UserError(f"{spec.url}: the archive holds no end2end.onnx")
            check_archive_pipeline(spec, bundle)
            with bundle.open(members[0]) as source, open(partial, "wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
        os.replace(partial, target)
    finally:
        archive.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
        for folder in created:  # a failed download leaves no empty cache folders behind
            try:
                folder.rmdir()
            except OSError:  # not empty (another model is there), or already gone
                break


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return the ones created, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
    return missing


def check_archive_pipeline(spec: ModelSpec, bundle: zipfile.ZipFile) -> None:
    """``UserError`` when the archive's ``pipeline.json`` (MMDeploy's description of the
    model's preprocessing) disagrees with what vidpose's runner does for ``spec``; nothing
    when the archive has none or it cannot be read."""
    import json

    from vidpose.video.detect.input_spec import sdk_pipeline_differences

    for member in (m for m in bundle.namelist() if m.endswith("pipeline.json")):
        try:
            pipeline = json.loads(bundle.read(member))
        except (ValueError, UnicodeDecodeError):
            continue
        problems = sdk_pipeline_differences(pipeline, spec.role, spec.input_size)
        if problems:
            raise UserError(
                f"{spec.name}: the published archive's {member} preprocesses differently from "
                f"vidpose's runner ({'; '.join(problems)}); not using it"
            )


def fetch_hint(specs: list[ModelSpec]) -> str:
    """What to fetch and where to put it, for a one-line message."""
    parts = [f"fetch {spec.url}, unzip its end2end.onnx to {cached_path(spec)}" for spec in specs]
    return "; ".join(parts)


def resolve_models(
    wanted: list[tuple[str, str]], download: bool = True, progress: bool = True
) -> list[Path]:
    """Local ONNX paths for ``wanted`` = [(option, PATH or known model name), ...].

    A path is checked and used as is. A known name (see :data:`MODELS`) is taken from the cache,
    downloaded into it when missing and ``download`` allows (and ``VIDPOSE_OFFLINE`` is not
    set); otherwise one ``UserError`` lists every missing file with its URL and cache path."""
    paths: list[Path | None] = []
    missing: list[tuple[int, str, ModelSpec]] = []
    for index, (option, value) in enumerate(wanted):
        spec = MODELS.get(value)
        if spec is None:
            looks_like_name = os.sep not in value and not Path(value).suffix
            if looks_like_name and not Path(value).exists():
                raise UserError(
                    f"{option} {value}: no such file and not a known model (known: "
                    f"{', '.join(MODELS)})"
                )
            paths.append(check_onnx_file(value, option))
            continue
        target = cached_path(spec)
        paths.append(target if target.is_file() else None)
        if not target.is_file():
            missing.append((index, option, spec))
    if not missing:
        return paths  # type: ignore[return-value]
    offline = not download or os.environ.get("VIDPOSE_OFFLINE", "") not in ("", "0")
    reason = "offline (VIDPOSE_OFFLINE is set)" if offline else ""
    if not offline:
        try:
            for index, _, spec in missing:
                _download(spec, cached_path(spec), progress)
                paths[index] = cached_path(spec)
            missing = []
        except (urllib.error.URLError, OSError, zipfile.BadZipFile) as exc:
            reason = f"download failed: {getattr(exc, 'reason', None) or exc}"
            missing = [item for item in missing if paths[item[0]] is None]
    if missing:
        names = ", ".join(f"{option} {spec.name}" for _, option, spec in missing)
        raise UserError(
            f"{names}: model file not here and {reason}; {fetch_hint([s for *_, s in missing])} "
            f"(or give {' / '.join(o for _, o, _ in missing)} PATH to a local .onnx)"
        )
    return paths  # type: ignore[return-value]
