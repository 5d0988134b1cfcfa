"""An integral-head checkpoint exports to ONNX (default geometry inside the graph)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vidpose.engine import onnx_export
from vidpose.models import ModelConfig, build_model, normalize_frames
from vidpose.runs.checkpoint import load_model, make_checkpoint, save_checkpoint

pytestmark = pytest.mark.slow  # one ONNX export takes a few seconds on a small CPU


@pytest.mark.parametrize(
    "depth_options",
    [
        {},
        {"relative_depth": "parent"},
        {"relative_depth": "both"},
    ],
    ids=["root-relative", "parent-relative", "both"],
)
def test_integral_checkpoint_exports_and_matches_pytorch(tmp_path, depth_options):
    import onnxruntime

    torch.manual_seed(0)
    config = ModelConfig(
        head="integral", hidden_size=16, feature_dim=16, head_channels=16, **depth_options
    )
    model = build_model(config)
    with torch.no_grad():  # non-zero temporal layers, so the exported graph must carry them
        model.head.film.weight.normal_(0, 0.3)
        model.head.depths.weight.normal_(0, 0.1)
    checkpoint_path = tmp_path / "integral.pt"
    save_checkpoint(
        checkpoint_path, make_checkpoint(model, clip_frames=4, image_size=32, fps=50.0, config={})
    )
    report = onnx_export.export_onnx(checkpoint_path, tmp_path / "integral.onnx")
    assert max(report.max_abs_diff_m.values()) <= onnx_export.TOLERANCE_M

    loaded, _ = load_model(checkpoint_path)
    session = onnxruntime.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    clips = np.random.default_rng(0).integers(0, 256, (2, 4, 32, 32, 3), np.uint8)
    (poses,) = session.run(["poses3d"], {"frames": clips})
    with torch.inference_mode():
        expected = loaded(normalize_frames(torch.from_numpy(clips))).numpy()
    np.testing.assert_allclose(poses, expected, atol=1e-5)
    assert np.abs(expected).max() > 0.01
