import numpy as np
import pytest
import torch

from vidpose.clips.clip_store import open_store
from vidpose.engine.clip_inference import predict_store
from vidpose.models import ModelConfig, build_model, normalize_frames
from vidpose.pose.skeleton import flip_poses


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = build_model(ModelConfig(feature_dim=8, hidden_size=8))
    model.set_target_stats(torch.full((17, 3), 0.1), torch.full((17, 3), 0.3))
    return model.eval()


def test_predictions_match_the_model_on_every_clip_in_order(tiny_data, model):
    store = open_store(tiny_data / "test")
    pred = predict_store(model, store, batch_size=3, image_size=32, progress=False)
    assert pred.shape == (store.num_clips, store.frames_per_clip, 17, 3)
    assert pred.dtype == np.float32
    with torch.no_grad():
        inputs = normalize_frames(torch.from_numpy(store.load_frames()), size=32)
        expected = model(inputs).numpy()
    np.testing.assert_allclose(pred, expected, atol=1e-5)
    # Batch size does not change the result (BatchNorm runs on its running statistics).
    again = predict_store(model, store, batch_size=7, image_size=32, progress=False)
    np.testing.assert_allclose(again, pred, atol=1e-5)


def test_frames_are_resized_to_the_models_input_size(tiny_data, model):
    store = open_store(tiny_data / "test")
    model.image_size = 16  # what load_model sets from the checkpoint
    pred = predict_store(model, store, progress=False)
    with torch.no_grad():
        expected = model(normalize_frames(torch.from_numpy(store.load_frames()), size=16))
    np.testing.assert_allclose(pred, expected.numpy(), atol=1e-5)


def test_flip_test_averages_with_the_unmirrored_flipped_prediction(tiny_data, model):
    store = open_store(tiny_data / "test")
    plain = predict_store(model, store, image_size=32, progress=False)
    flipped_frames = np.ascontiguousarray(store.load_frames()[:, :, :, ::-1])
    with torch.no_grad():
        on_mirror = model(normalize_frames(torch.from_numpy(flipped_frames), size=32)).numpy()
    both = predict_store(model, store, image_size=32, flip_test=True, progress=False)
    np.testing.assert_allclose(both, 0.5 * (plain + flip_poses(on_mirror)), atol=1e-5)
