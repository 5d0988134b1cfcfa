"""Test-time flip averaging with the integral head: the mirrored clip gets the mirrored crop."""

import numpy as np
import torch

from vidpose.clips.clip_augment import flip_batch, unflip_poses3d
from vidpose.clips.clip_store import write_store
from vidpose.engine.clip_inference import predict_store
from vidpose.models import ModelConfig, build_model, normalize_frames
from vidpose.models.crop_geometry import flip_geometry, make_geometry


def test_flip_test_with_geometry_averages_the_unmirrored_mirrored_prediction(tmp_path):
    rng = np.random.default_rng(1)
    n, t, size = 3, 2, 32
    crop = np.tile(np.array([300.0, 200.0, 400.0], np.float32), (n, t, 1))
    crop[:, :, 0] += rng.uniform(-50, 50, (n, 1)).astype(np.float32)
    intrinsics = np.tile(np.array([1100.0, 1150.0, 500.0, 480.0], np.float32), (n, 1))
    store = write_store(
        tmp_path / "store",
        poses3d=rng.normal(0, 0.2, (n, t, 17, 3)).astype(np.float32),
        poses2d=rng.uniform(0, size, (n, t, 17, 2)).astype(np.float32),
        clips=[
            {
                "subject": "S9",
                "action": "Walking",
                "camera": "54138969",
                "sequence": "seq",
                "start_frame": i,
            }
            for i in range(n)
        ],
        frames=rng.integers(0, 256, (n, t, size, size, 3), dtype=np.uint8),
        crop=crop,
        intrinsics=intrinsics,
    )
    torch.manual_seed(0)
    config = ModelConfig(
        head="integral", feature_dim=8, hidden_size=8, head_channels=8, norm="group"
    )
    model = build_model(config).eval()
    both = predict_store(
        model, store, batch_size=2, image_size=size, flip_test=True, progress=False
    )

    with torch.no_grad():
        inputs = normalize_frames(torch.from_numpy(store.load_frames()))
        geometry = make_geometry(crop, intrinsics, size)
        plain = model(inputs, geometry)
        mirrored, _ = flip_batch(inputs, channels_first=True)
        on_mirror = unflip_poses3d(model(mirrored, flip_geometry(geometry)))
    np.testing.assert_allclose(both, (0.5 * (plain + on_mirror)).numpy(), atol=1e-5)
    # The geometry matters: the default camera would give another answer.
    with torch.no_grad():
        without = model(inputs)
    assert not np.allclose(plain.numpy(), without.numpy(), atol=1e-4)
