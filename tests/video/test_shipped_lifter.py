"""The lifter shipped inside the package: it is package data, loads, and lifts a synthetic
person seen by a new camera to credible 3D."""

from importlib.resources import files

import numpy as np
import pytest

from vidpose.keypoints.layouts import to_h36m17
from vidpose.lifting.detector_2d import coco17_points3d
from vidpose.synth import body, motion
from vidpose.synth import studio_cameras as cameras
from vidpose.video.lift import SHIPPED_LIFTER, lift_sequence, load_lifter

FRAMES = 150  # 3 s at 50 fps


@pytest.fixture(scope="module")
def shipped():
    return load_lifter(None)


def test_the_weights_are_package_data_of_at_most_5_mb():
    resource = files("vidpose.weights").joinpath(SHIPPED_LIFTER)
    assert resource.is_file()
    assert resource.stat().st_size <= 5 * 1024 * 1024 if hasattr(resource, "stat") else True
    with resource.open("rb") as handle:
        assert len(handle.read()) <= 5 * 1024 * 1024


def test_it_loads_as_a_lifter_of_2d_keypoints(shipped):
    model, checkpoint, name = shipped
    assert model.config.kind == "lifter" and name == f"shipped:{SHIPPED_LIFTER}"
    assert model.input_channels == 2 and not model.training
    assert "optimizer" not in checkpoint
    assert checkpoint["config"]["data"]["keypoints"] in ("coco", "mixed")  # detector-like 2D


@pytest.mark.parametrize("action", ["Walking", "Squatting"])
def test_it_lifts_a_synthetic_person_from_detector_style_2d(shipped, action):
    """A subject and camera the tests draw themselves, COCO-17 2D as a detector reports it."""
    model, checkpoint, _ = shipped
    rng = np.random.default_rng(11)
    subject = body.make_subject("S9")
    world = motion.action_motion(action, subject, FRAMES, rng)
    camera = cameras.place_cameras(rng, world[:, 0, :2].mean(axis=0))[1]
    joints = camera.to_camera(world)  # (F, 17, 3) metres, camera frame
    coco = camera.project(coco17_points3d(joints))
    width, height = int(2 * camera.intrinsics[2]), int(2 * camera.intrinsics[3])
    keypoints = to_h36m17(coco.astype(np.float32), "coco17")
    poses, known = lift_sequence(model, keypoints, (width, height), flip_test=True)
    assert known.all() and np.isfinite(poses).all()
    truth = joints - joints[:, :1]
    mpjpe_mm = 1000 * np.linalg.norm(poses - truth, axis=-1).mean()
    assert mpjpe_mm < 100, mpjpe_mm  # the training set's mean pose is ~210 mm off
    # ... and well below even this take's own mean pose, an oracle no lifter is given
    oracle_mm = 1000 * np.linalg.norm(truth.mean(axis=0) - truth, axis=-1).mean()
    assert mpjpe_mm < 0.75 * oracle_mm, (mpjpe_mm, oracle_mm)
