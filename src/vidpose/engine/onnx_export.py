"""Export a checkpoint to ONNX, with the input normalisation inside the graph.

The exported model takes what a video decoder gives: ``frames`` uint8 (B, T, S, S, 3) RGB,
person crops already resized to the training input side S, T = the training clip length, and
returns ``poses3d`` float32 (B, T, 17, 3), metres, root-relative, camera frame. B is dynamic;
T and S are fixed by the checkpoint. The uint8 → ImageNet-normalised float conversion is part
of the graph, so a caller needs nothing from vidpose.

Needs the optional packages ``onnx``, ``onnxruntime`` and ``onnxscript``
(``pip install vidpose[export]``); the export is checked against PyTorch in onnxruntime.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vidpose.infra.errors import UserError
from vidpose.models.frame_input import normalize_frames

INPUT_NAME = "frames"
OUTPUT_NAME = "poses3d"
DEFAULT_OPSET = 18
#: Largest |ONNX - PyTorch| difference accepted by the check, metres (a hundredth of a mm).
TOLERANCE_M = 1e-5


class UInt8PoseModel(nn.Module):
    """A PoseModel behind its input normalisation: uint8 (B, T, S, S, 3) → (B, T, 17, 3).

    The normalisation is ``normalize_frames``, the one every other path uses."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.model(normalize_frames(frames))


@dataclass
class ExportReport:
    path: Path
    opset: int
    clip_frames: int
    image_size: int
    max_abs_diff_m: dict[int, float]  # batch size -> largest |ONNX - PyTorch|, metres


def require_export_packages() -> None:
    """``UserError`` with the install line unless onnx, onnxruntime and onnxscript import."""
    missing = [
        name for name in ("onnx", "onnxruntime", "onnxscript") if not importlib.util.find_spec(name)
    ]
    if missing:
        raise UserError(f"ONNX export needs {', '.join(missing)}: pip install vidpose[export]")


def _export(wrapper: nn.Module, example: torch.Tensor, path: Path, opset: int) -> None:
    batch = torch.export.Dim("batch", min=1, max=4096)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter is chatty about internals
        program = torch.onnx.export(
            wrapper,
            (example,),
            dynamo=True,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes={"frames": {0: batch}},
            opset_version=opset,
            verbose=False,
        )
    program.save(str(path), external_data=False)


def compare_with_onnxruntime(
    wrapper: nn.Module, path: Path, clip_frames: int, image_size: int, batches=(1, 3)
) -> dict[int, float]:
    """Largest |ONNX - PyTorch| (metres) on random frames for each batch size, on CPU; the
    reference is :func:`vidpose.engine.clip_inference.predict_batch`, the forward pass of
    ``evaluate`` and ``predict`` (without geometry, as the exported graph takes none)."""
    import onnxruntime

    from vidpose.clips.batch import ClipBatch
    from vidpose.engine.clip_inference import predict_batch

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    differences = {}
    for batch in batches:
        frames = rng.integers(0, 256, (batch, clip_frames, image_size, image_size, 3), np.uint8)
        (onnx_poses,) = session.run([OUTPUT_NAME], {INPUT_NAME: frames})
        with torch.inference_mode():
            clips = ClipBatch(torch.from_numpy(frames))
            torch_poses = predict_batch(wrapper.model, clips).float().numpy()
        if onnx_poses.shape != torch_poses.shape:
            raise RuntimeError(f"ONNX output {onnx_poses.shape} != PyTorch {torch_poses.shape}")
        differences[batch] = float(np.abs(onnx_poses - torch_poses).max())
    return differences


def export_onnx(
    checkpoint_path: str | os.PathLike, out: str | os.PathLike, opset: int = DEFAULT_OPSET
) -> ExportReport:
    """Export ``checkpoint_path`` to ONNX at ``out`` (atomically) and verify it in onnxruntime.

    Raises ``UserError`` for a bad checkpoint, a missing optional package, an unsupported
    opset, or an export that does not match PyTorch within :data:`TOLERANCE_M`.
    """
    from vidpose.infra.atomic import atomic_path
    from vidpose.models.settings import CLIPS
    from vidpose.runs.checkpoint import load_model, require_kind

    out = Path(out)
    if out.suffix != ".onnx":
        raise UserError(f"{out}: the output file must end in .onnx")
    if not 13 <= opset <= 23:
        raise UserError(f"--opset {opset}: supported opsets are 13 to 23")
    require_export_packages()
    model, checkpoint = load_model(checkpoint_path, map_location="cpu")
    require_kind(model, CLIPS, checkpoint_path, "vidpose export")
    clip_frames, image_size = int(checkpoint["clip_frames"]), int(checkpoint["image_size"])
    wrapper = UInt8PoseModel(model).eval()
    example = torch.zeros((2, clip_frames, image_size, image_size, 3), dtype=torch.uint8)
    with atomic_path(out) as tmp:
        try:
            _export(wrapper, example, tmp, opset)
        except Exception as exc:  # the exporter raises many types; the user needs one line
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise UserError(
                f"{checkpoint_path}: ONNX export failed ({type(exc).__name__}: {detail[:200]})"
            ) from None
        differences = compare_with_onnxruntime(wrapper, tmp, clip_frames, image_size)
        worst = max(differences.values())
        if not worst <= TOLERANCE_M:
            raise UserError(
                f"{out}: the ONNX model differs from PyTorch by {worst * 1000:.4f} mm "
                f"(more than {TOLERANCE_M * 1000:g} mm); not written"
            )
        tmp.chmod(0o644)  # the temporary file was private; the model is not
    return ExportReport(out, opset, clip_frames, image_size, differences)
