"""The stand-in ONNX models (:mod:`vidpose.video.detect.stand_ins`), exported once per session."""

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.fixture(scope="session")
def onnx_models(tmp_path_factory):
    """Paths of the stand-in models: detector, pose (COCO-17, batched), pose26, rtmo."""
    from vidpose.video.detect.stand_ins import export_stand_ins

    return export_stand_ins(tmp_path_factory.mktemp("onnx_models"))
