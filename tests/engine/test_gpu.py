"""The engine on a CUDA device (skipped without one)."""

import numpy as np
import pytest
import torch

from vidpose.clips.clip_store import open_store
from vidpose.engine.clip_inference import predict_store
from vidpose.runs.checkpoint import load_model
from vidpose.tracks import train

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_train_on_cuda_and_predict_anywhere(tiny_data, tiny_config, tmp_path):
    result = train(tiny_config, tiny_data, tmp_path / "run", device="cuda")
    assert result.status == "finished"
    test = open_store(tiny_data / "test")
    saved = np.load(tmp_path / "run" / "predictions_test.npy")
    model, _ = load_model(tmp_path / "run" / "last.pt")
    on_cpu = predict_store(model, test, device="cpu", progress=False)
    on_gpu = predict_store(model, test, device="cuda", progress=False)
    np.testing.assert_allclose(on_gpu, on_cpu, atol=1e-4)
    # The trainer evaluates under bf16 autocast on CUDA (train.precision: auto), predict_store
    # in fp32: bf16's 8-bit mantissa puts them up to a few tenths of a millimetre apart.
    np.testing.assert_allclose(saved, on_cpu, atol=2e-3)
