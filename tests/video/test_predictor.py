import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.pose.skeleton import JOINT_NAMES
from vidpose.runs.checkpoint import load_model
from vidpose.video.image_model_path import predict_video, save_prediction


@pytest.fixture(scope="module")
def model_and_checkpoint(tiny_checkpoint):
    return load_model(tiny_checkpoint)


def run(model_and_checkpoint, video, **options):
    model, checkpoint = model_and_checkpoint
    return predict_video(
        model,
        video,
        clip_frames=checkpoint["clip_frames"],
        image_size=checkpoint["image_size"],
        **options,
    )


def test_auto_boxes_contain_the_person_and_poses_cover_every_frame(
    model_and_checkpoint, walking_video
):
    prediction = run(model_and_checkpoint, walking_video.path)
    frames = len(walking_video.frames)
    assert prediction.poses3d.shape == (frames, 17, 3)
    assert prediction.boxes.shape == (frames, 4) and prediction.fps == pytest.approx(25.0)
    assert prediction.box_source in ("hog", "motion") and not prediction.padded
    squares = prediction.boxes
    np.testing.assert_allclose(squares[:, 2], squares[:, 3])
    truth = walking_video.person_boxes
    assert np.all(squares[:, 0] <= truth[:, 0] + 2) and np.all(squares[:, 1] <= truth[:, 1] + 2)
    assert np.all(squares[:, 0] + squares[:, 2] >= truth[:, 0] + truth[:, 2] - 2)
    assert np.all(squares[:, 1] + squares[:, 3] >= truth[:, 1] + truth[:, 3] - 2)
    # Padded like training crops: about 1.2 x the person's height, not the whole frame.
    ratio = squares[:, 2] / truth[:, 3]
    assert np.all((ratio > 1.1) & (ratio < 1.5))


def test_fixed_box_resampling_and_npz(model_and_checkpoint, walking_video, tmp_path):
    prediction = run(model_and_checkpoint, walking_video.path, box="20,10,120,100", target_fps=50)
    assert prediction.num_frames == 2 * len(walking_video.frames)
    assert prediction.box_source == "box" and prediction.fps == 50
    # Centre (80, 60), longer side 120 x 1.2.
    np.testing.assert_allclose(prediction.boxes[0], [8, -12, 144, 144], atol=1e-4)
    assert np.all(prediction.boxes == prediction.boxes[0])
    path = save_prediction(tmp_path / "poses.npz", prediction)
    with np.load(path) as data:
        assert data["poses3d"].shape == (72, 17, 3) and data["poses3d"].dtype == np.float32
        assert list(data["joint_names"]) == list(JOINT_NAMES)
        assert float(data["fps"]) == 50.0 and data["boxes"].shape == (72, 4)
        assert str(data["source_video"]) == str(walking_video.path)
        np.testing.assert_array_equal(data["source_frames"], np.arange(72) // 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poses.npz"]


def test_box_and_boxes_file_together_are_refused(model_and_checkpoint, walking_video, tmp_path):
    with pytest.raises(UserError, match="one of them"):
        run(model_and_checkpoint, walking_video.path, box="1,1,5,5", boxes_file=tmp_path / "b")
    with pytest.raises(UserError, match="outside"):
        run(model_and_checkpoint, walking_video.path, box="500,500,10,10")


def test_auto_boxes_follow_a_synthetic_walker(model_and_checkpoint, synth_video):
    prediction = run(model_and_checkpoint, synth_video.path)
    joints = synth_video.person_boxes  # bounding boxes of the projected joints
    squares = prediction.boxes
    assert prediction.poses3d.shape == (len(synth_video.frames), 17, 3)
    assert np.all(squares[:, :2] <= joints[:, :2] + 1)
    assert np.all(squares[:, :2] + squares[:, 2:] >= joints[:, :2] + joints[:, 2:] - 1)
    assert np.median(squares[:, 2] / joints[:, 3]) < 1.8  # follows the person, not the frame
