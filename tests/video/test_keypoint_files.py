import json

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.keypoints.layouts import to_h36m17
from vidpose.video.keypoint_files import read_keypoints


def _pose(joints: int, offset: float = 0.0, score: float = 0.9) -> np.ndarray:
    """(J, 3): joint j at (100 + 10 j + offset, 200 + 5 j), score ``score``."""
    j = np.arange(joints)
    return np.stack([100 + 10 * j + offset, 200 + 5 * j, np.full(joints, score)], axis=1)


def test_npz_with_scores_layout_and_video_facts(tmp_path):
    keypoints = np.stack([_pose(17, offset=f) for f in range(5)])
    keypoints[3, :, 2] = 0  # nobody found in frame 3
    path = tmp_path / "kp.npz"
    np.savez(path, keypoints=keypoints, layout="coco", fps=30.0, width=640, height=480)
    result = read_keypoints(path, num_frames=5)
    assert (result.format, result.layout, result.fps, result.width) == ("npz", "coco17", 30.0, 640)
    assert [len(p) for p in result.people] == [1, 1, 1, 0, 1]
    np.testing.assert_allclose(result.people[4].keypoints[0], keypoints[4])
    np.testing.assert_allclose(result.people[0].boxes[0], [100, 200, 260, 280])
    lifted = to_h36m17(result.people[0].keypoints, result.layout)
    assert lifted.shape == (1, 17, 3)


def test_a_file_made_for_another_video_size_is_refused(tmp_path):
    path = tmp_path / "kp.npz"
    np.savez(path, keypoints=np.stack([_pose(17)] * 2), layout="coco", width=640, height=480)
    assert read_keypoints(path, 2, (640, 480)).height == 480
    with pytest.raises(UserError, match="made for a height of 480 px, the video's is 360 px"):
        read_keypoints(path, 2, (640, 360))
    np.savez(path, keypoints=np.stack([_pose(17)] * 2), layout="coco")  # no size recorded
    assert read_keypoints(path, 2, (640, 360)).width is None


def test_npz_without_scores_gets_score_one(tmp_path):
    path = tmp_path / "kp.npz"
    np.savez(path, keypoints=np.stack([_pose(25)[:, :2]] * 2), layout="body25")
    result = read_keypoints(path)
    assert result.layout == "body25" and result.people[1].keypoints[0, :, 2].tolist() == [1] * 25


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"keypoints": np.zeros((4, 17, 3)), "layout": "cocoa"}, "unknown keypoint layout 'cocoa'"),
        ({"keypoints": np.zeros((4, 26, 3)), "layout": "coco17"}, r"shape \(4, 26, 3\)"),
        ({"keypoints": np.zeros((4, 17)), "layout": "coco17"}, r"expected \(F, 17, 2 or 3\)"),
        ({"keypoints": np.zeros((4, 17, 3))}, "no 'layout' array"),
        ({"keypoints": np.ones((4, 17, 3)), "layout": "coco17", "fps": -1.0}, "fps must be"),
        ({"keypoints": np.zeros((4, 17, 3)), "layout": "coco17"}, "nobody in any frame"),
    ],
)
def test_bad_npz_files_are_one_line_errors(tmp_path, arrays, message):
    path = tmp_path / "kp.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match=message) as error:
        read_keypoints(path)
    assert str(error.value).startswith(f"--keypoints {path}") and "\n" not in str(error.value)


def test_frame_count_must_match_the_video(tmp_path):
    path = tmp_path / "kp.npz"
    np.savez(path, keypoints=np.stack([_pose(17)] * 4), layout="coco17")
    with pytest.raises(UserError, match="4 frames, but the video has 6"):
        read_keypoints(path, num_frames=6)


def test_unreadable_and_unknown_files(tmp_path):
    broken, other = tmp_path / "kp.npz", tmp_path / "kp.txt"
    broken.write_text("nope")
    other.write_text("nope")
    with pytest.raises(UserError, match=r"not an \.npz file \(not a NumPy archive\)"):
        read_keypoints(broken)
    with pytest.raises(UserError, match="unknown kind of file"):
        read_keypoints(other)
    with pytest.raises(UserError, match="no such file"):
        read_keypoints(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        read_keypoints(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"a": 1}')
    with pytest.raises(UserError, match="not a known keypoint JSON"):
        read_keypoints(tmp_path / "other.json")


def _instance(joints, offset, box=True):
    pose = _pose(joints, offset)
    instance = {"keypoints": pose[:, :2].tolist(), "keypoint_scores": pose[:, 2].tolist()}
    if box:
        instance |= {"bbox": [[offset, 0.0, offset + 50.0, 100.0]], "bbox_score": 0.8}
    return instance


def test_mmpose_predictions_with_several_people_and_empty_frames(tmp_path):
    path = tmp_path / "results_video.json"
    frames = [
        {"frame_id": 1, "instances": [_instance(26, 0), _instance(26, 300, box=False)]},
        {"frame_id": 2, "instances": []},
        {"frame_id": 3, "instances": [_instance(26, 10)]},
    ]
    path.write_text(json.dumps({"meta_info": {"dataset_name": "halpe"}, "instance_info": frames}))
    result = read_keypoints(path, num_frames=3)
    assert result.format == "mmpose-json" and result.layout == "halpe26"
    assert [len(p) for p in result.people] == [2, 0, 1]
    np.testing.assert_allclose(result.people[0].boxes[0], [0, 0, 50, 100])
    np.testing.assert_allclose(result.people[0].scores, [0.8, 1.0])
    # Without a bbox the box is the extent of the scored joints.
    np.testing.assert_allclose(result.people[0].boxes[1], [400, 200, 650, 325])
    np.testing.assert_allclose(result.people[2].keypoints[0], _pose(26, 10))
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([{"instances": [_instance(17, 0)]}]))
    assert read_keypoints(bare).layout == "coco17"


def test_coco_results_place_people_by_image_id(tmp_path):
    path = tmp_path / "coco.json"
    entries = [
        {"image_id": 0, "category_id": 1, "keypoints": _pose(17).ravel().tolist(), "score": 0.7,
         "bbox": [10, 20, 30, 40]},
        {"image_id": 2, "category_id": 1, "keypoints": _pose(17, 5).ravel().tolist()},
        {"image_id": 2, "category_id": 1, "keypoints": _pose(17, 400).ravel().tolist()},
    ]  # fmt: skip
    path.write_text(json.dumps(entries))
    result = read_keypoints(path, num_frames=4)
    assert result.format == "coco-json" and [len(p) for p in result.people] == [1, 0, 2, 0]
    np.testing.assert_allclose(result.people[0].boxes[0], [10, 20, 40, 60])
    assert result.people[0].scores[0] == 0.7
    with pytest.raises(UserError, match="image_id 2 is past the video's 2 frames"):
        read_keypoints(path, num_frames=2)
    path.write_text(json.dumps([{"image_id": 0, "keypoints": [1, 2, 3, 4]}]))
    with pytest.raises(UserError, match=r"not \[x, y, score\] \* K"):
        read_keypoints(path)


def _openpose_file(folder, name, people):
    data = {"version": 1.3, "people": [{"pose_keypoints_2d": p.ravel().tolist()} for p in people]}
    (folder / name).write_text(json.dumps(data))


def test_openpose_folders_are_read_in_frame_number_order(tmp_path):
    folder = tmp_path / "openpose"
    folder.mkdir()
    for frame in (0, 2, 10):
        pose = _pose(25, offset=frame)
        pose[8] = 0  # OpenPose writes (0, 0, 0) for a joint it did not find
        _openpose_file(folder, f"clip_{frame}_keypoints.json", [pose] if frame != 2 else [])
    result = read_keypoints(folder, num_frames=3)
    assert result.format == "openpose" and result.layout == "body25"
    assert [len(p) for p in result.people] == [1, 0, 1]
    assert result.people[2].keypoints[0, 0, 0] == 110  # frame 10 comes after frame 2
    assert result.people[0].keypoints[0, 8, 2] == 0
    lifted = to_h36m17(result.people[0].keypoints[0], "body25")
    assert lifted.shape == (17, 3)


def test_openpose_coco18_and_empty_folders_are_refused(tmp_path):
    with pytest.raises(UserError, match="no OpenPose"):
        read_keypoints(tmp_path)
    _openpose_file(tmp_path, "a_0_keypoints.json", [_pose(18)])
    with pytest.raises(UserError, match="18 joints; only BODY_25"):
        read_keypoints(tmp_path)


_K17 = [[100.0 + j, 200.0, 0.9] for j in range(17)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ({"something": []}, "not a known keypoint JSON"),
        ({"instance_info": {"a": 1}}, "instance_info is not a list of frames"),
        ({"instance_info": [{"frame_id": 0}]}, "frame 0 has no 'instances' list"),
        ({"instance_info": [{"instances": [{"keypoints": [1, 2, 3]}]}]}, "keypoints have shape"),
        (
            {"instance_info": [{"instances": [{"keypoints": _K17, "bbox": [1, 2]}]}]},
            "frame 0 instance 0 bbox is not x1, y1, x2, y2",
        ),
        ([{"image_id": "a", "keypoints": [1, 2, 3]}], "entry 0 has no integer image_id"),
        ([{"image_id": 0, "keypoints": [1, 2]}], r"keypoints are not \[x, y, score\] \* K"),
        ([{"image_id": -1, "keypoints": sum(_K17, [])}], "entry 0 has a negative image_id"),
        ([{"image_id": 9, "keypoints": sum(_K17, [])}], "image_id 9 is past the video's 2 frames"),
    ],
)
def test_bad_json_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "kp.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(UserError, match=message) as error:
        read_keypoints(path, num_frames=2)
    assert str(error.value).startswith(f"--keypoints {path}") and "\n" not in str(error.value)


def test_bad_openpose_folders_are_one_line_errors(tmp_path):
    with pytest.raises(UserError, match="no OpenPose \\*_keypoints.json files"):
        read_keypoints(tmp_path)
    frame = tmp_path / "clip_000000000000_keypoints.json"
    frame.write_text(json.dumps({"version": 1.3}))
    with pytest.raises(UserError, match="not an OpenPose file"):
        read_keypoints(tmp_path)
    frame.write_text(json.dumps({"people": [{"pose_keypoints_2d": [0.0] * 54}]}))
    with pytest.raises(UserError, match="holds 18 joints; only BODY_25"):
        read_keypoints(tmp_path)
