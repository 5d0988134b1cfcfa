import numpy as np
import pytest
import torch

from vidpose.engine import onnx_export
from vidpose.infra.errors import UserError
from vidpose.models import normalize_frames
from vidpose.runs.checkpoint import load_model

pytestmark = pytest.mark.slow  # one ONNX export takes a few seconds on a small CPU


@pytest.fixture(scope="module")
def exported(tiny_checkpoint, tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    return onnx_export.export_onnx(tiny_checkpoint, path)


def test_uint8_wrapper_matches_the_model_on_normalised_frames(tiny_checkpoint):
    model, _ = load_model(tiny_checkpoint)
    frames = torch.randint(0, 256, (2, 8, 32, 32, 3), dtype=torch.uint8)
    with torch.inference_mode():
        expected = model(normalize_frames(frames))
        got = onnx_export.UInt8PoseModel(model).eval()(frames)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_onnx_model_has_uint8_input_dynamic_batch_and_matches_pytorch(exported, tiny_checkpoint):
    import onnx
    import onnxruntime

    assert exported.path.is_file() and exported.opset == onnx_export.DEFAULT_OPSET
    assert max(exported.max_abs_diff_m.values()) <= onnx_export.TOLERANCE_M
    graph = onnx.load(str(exported.path)).graph
    (frames,) = graph.input
    assert frames.name == "frames"
    assert frames.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    dims = frames.type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [8, 32, 32, 3]

    # Checked here again, independently of the export's own check.
    model, _ = load_model(tiny_checkpoint)
    session = onnxruntime.InferenceSession(str(exported.path), providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        clips = np.random.default_rng(batch).integers(0, 256, (batch, 8, 32, 32, 3), np.uint8)
        (poses,) = session.run(["poses3d"], {"frames": clips})
        with torch.inference_mode():
            expected = model(normalize_frames(torch.from_numpy(clips))).numpy()
        assert poses.shape == (batch, 8, 17, 3)
        np.testing.assert_allclose(poses, expected, atol=1e-5)


def test_missing_packages_name_the_install_line(monkeypatch):
    real_find_spec = onnx_export.importlib.util.find_spec
    monkeypatch.setattr(
        onnx_export.importlib.util,
        "find_spec",
        lambda name: None if name == "onnxruntime" else real_find_spec(name),
    )
    with pytest.raises(UserError, match=r"needs onnxruntime: pip install vidpose\[export\]"):
        onnx_export.require_export_packages()


def test_bad_output_name_and_opset_are_refused_before_exporting(tiny_checkpoint, tmp_path):
    with pytest.raises(UserError, match=r"must end in \.onnx"):
        onnx_export.export_onnx(tiny_checkpoint, tmp_path / "model.pt")
    with pytest.raises(UserError, match="--opset 7"):
        onnx_export.export_onnx(tiny_checkpoint, tmp_path / "model.onnx", opset=7)
    assert list(tmp_path.iterdir()) == []
