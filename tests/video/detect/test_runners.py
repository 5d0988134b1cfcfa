"""The 2D stage end to end on test-made ONNX models (see conftest.py), checked in closed form."""

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.video.detect.pipeline import Detector2D, build_detector, detect_frames
from vidpose.video.detect.runners import OneStagePose, PersonDetector, TopDownPose, load_pose_model


def _white_rectangle(height=720, width=1280, box=(400, 100, 600, 500)):
    frame = np.zeros((height, width, 3), np.uint8)
    x1, y1, x2, y2 = box
    frame[y1:y2, x1:x2] = 255
    return frame


def test_the_detector_letterboxes_normalises_bgr_and_maps_boxes_back(onnx_models):
    detector = PersonDetector(onnx_models["detector"])
    assert detector.input_size == (640, 640)
    boxes, scores = detector(_white_rectangle())
    # The duplicate is suppressed, the low score and the non-person class are dropped.
    np.testing.assert_allclose(boxes, [[400, 100, 600, 500]])
    np.testing.assert_allclose(scores, [0.9], rtol=1e-6)


def test_the_pose_model_decodes_a_known_peak_through_the_affine_crop(onnx_models):
    pose = load_pose_model(onnx_models["pose"])
    assert isinstance(pose, TopDownPose) and pose.layout == "coco17" and pose.batched
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[300, 500] = (255, 0, 0)  # pure red: the model looks for RTMPose's normalised red
    frame[650, 1100] = (255, 0, 0)
    # Boxes whose padded crop is exactly the 192 x 256 input (1:1): the decoding is exact.
    w, h = 192 / 1.25, 256 / 1.25
    boxes = np.array(
        [[510 - w / 2, 310 - h / 2, 510 + w / 2, 310 + h / 2],
         [1090 - w / 2, 640 - h / 2, 1090 + w / 2, 640 + h / 2]]
    )  # fmt: skip
    keypoints = pose(frame, boxes)
    assert keypoints.shape == (2, 17, 3)
    np.testing.assert_allclose(keypoints[0, :, :2], np.tile([500, 300], (17, 1)))
    np.testing.assert_allclose(keypoints[1, :, :2], np.tile([1100, 650], (17, 1)))
    # Joint k's score is the dot's purity (1: exactly normalised pure red) times (k + 1) / 17.
    np.testing.assert_allclose(keypoints[0, :, 2], np.arange(1, 18) / 17, rtol=1e-5)


def test_a_box_twice_the_input_decodes_to_within_a_frame_pixel(onnx_models):
    pose = load_pose_model(onnx_models["pose"])
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[399:402, 599:602] = (255, 0, 0)  # a 3 x 3 dot centred on (600, 400)
    # A square box: the crop is widened to 0.75 aspect, then halved onto the input.
    keypoints = pose(frame, np.array([[500.0, 250.0, 800.0, 559.6]]))
    np.testing.assert_allclose(keypoints[0, 0, :2], [600, 400], atol=1.5)


def test_a_single_image_pose_model_runs_box_by_box_and_reads_halpe26(onnx_models):
    pose = load_pose_model(onnx_models["pose26"])
    assert pose.layout == "halpe26" and not pose.batched
    frame = np.zeros((400, 400, 3), np.uint8)
    frame[200, 100] = frame[100, 300] = (255, 0, 0)
    w, h = 192 / 1.25, 256 / 1.25
    boxes = np.array([[100 - w / 2, 200 - h / 2, 100 + w / 2, 200 + h / 2],
                      [300 - w / 2, 100 - h / 2, 300 + w / 2, 100 + h / 2]])  # fmt: skip
    keypoints = pose(frame, boxes)
    assert keypoints.shape == (2, 26, 3)
    np.testing.assert_allclose(keypoints[:, 0, :2], [[100, 200], [300, 100]])


def test_the_one_stage_model_gives_boxes_and_keypoints_in_frame_pixels(onnx_models):
    rtmo = load_pose_model(onnx_models["rtmo"])
    assert isinstance(rtmo, OneStagePose) and rtmo.layout == "coco17"
    boxes, scores, keypoints = rtmo(_white_rectangle())
    np.testing.assert_allclose(boxes, [[400, 100, 600, 500]])
    assert scores.shape == (1,) and keypoints.shape == (1, 17, 3)
    np.testing.assert_allclose(keypoints[0, 0], [400, 100, 0.8], rtol=1e-6)
    np.testing.assert_allclose(keypoints[0, -1], [600, 500, 0.8], rtol=1e-6)


def test_the_pipeline_chains_detector_and_pose_over_frames(onnx_models):
    detector = build_detector(str(onnx_models["detector"]), str(onnx_models["pose"]))
    assert detector.layout == "coco17" and not detector.one_stage
    frame = _white_rectangle(box=(400, 100, 600, 500))
    frame[300, 500] = (255, 0, 0)
    people = detect_frames([frame, np.zeros_like(frame)], detector, "v.mp4")
    assert len(people) == 2 and len(people[1].boxes) == 0
    assert people[1].keypoints.shape == (0, 17, 3)
    np.testing.assert_allclose(people[0].boxes, [[400, 100, 600, 500]])
    # The crop of the box holds the red dot: every joint decodes to it (to a frame pixel).
    dot = np.tile([500, 300], (17, 1))
    np.testing.assert_allclose(people[0].keypoints[0, :, :2], dot, atol=1.6)
    with pytest.raises(UserError, match="^v.mp4: nobody found in any frame"):
        detect_frames([np.zeros_like(frame)] * 2, detector, "v.mp4")


def test_a_one_stage_pose_model_needs_no_detector(onnx_models, monkeypatch):
    monkeypatch.setenv("VIDPOSE_OFFLINE", "1")  # the default detector would be missing
    detector = build_detector(None, str(onnx_models["rtmo"]))
    assert detector.one_stage and detector.person_detector is None
    people = detector(_white_rectangle())
    np.testing.assert_allclose(people.boxes, [[400, 100, 600, 500]])
    boxes_only = Detector2D(PersonDetector(onnx_models["detector"]))
    assert boxes_only(_white_rectangle()).keypoints is None


def test_models_of_the_wrong_kind_are_refused_in_one_line(onnx_models):
    with pytest.raises(UserError, match=r"--detector-model .*not a person detector"):
        PersonDetector(onnx_models["pose"])
    with pytest.raises(UserError, match=r"--pose-model .*not a top-down pose"):
        load_pose_model(onnx_models["detector"])


def test_a_model_with_a_dynamic_input_size_uses_the_published_or_usual_size(tmp_path):
    from vidpose.video.detect.stand_ins import PersonBoxes, export_model

    outputs = ["dets", "labels"]
    path = export_model(PersonBoxes(), tmp_path / "d.onnx", (640, 640), outputs, dynamic_size=True)
    assert PersonDetector(path).input_size == (640, 640)  # RTMDet's usual size
    small = PersonDetector(path, input_size=(320, 320))
    assert small.input_size == (320, 320)
    boxes, _ = small(_white_rectangle())
    np.testing.assert_allclose(boxes, [[400, 100, 600, 500]])


def test_the_stand_ins_read_the_normalised_values_not_only_their_signs(onnx_models, monkeypatch):
    """Given the mean in the wrong channel order, or another family's mean and std, the
    stand-ins find nothing: the pipeline's normalisation is checked by value."""
    from vidpose.video.detect import input_spec, runners

    frame = _white_rectangle()
    frame[300, 500] = (255, 0, 0)
    detector, pose = PersonDetector(onnx_models["detector"]), load_pose_model(onnx_models["pose"])
    box = np.array([[400.0, 100.0, 600.0, 500.0]])
    assert len(detector(frame)[0]) == 1 and pose(frame, box)[0, :, 2].max() == 1.0
    swapped = input_spec.InputNormalisation(
        input_spec.TOP_DOWN.bgr, input_spec.TOP_DOWN.mean[::-1].copy(), input_spec.TOP_DOWN.std
    )
    monkeypatch.setattr(runners, "TOP_DOWN", swapped)  # RTMPose's mean in BGR order
    assert pose(frame, box)[0, :, 2].max() < 0.5
    monkeypatch.setattr(runners, "DETECTOR", input_spec.TOP_DOWN)  # RTMPose's mean and std
    assert len(detector(frame)[0]) == 0


def test_detections_are_clipped_to_the_frame(onnx_models):
    """A person cut by the right edge of a 1280 x 600 frame: the letterboxed input is grey
    below the frame, and a box reaching into that border is clipped back to the frame."""
    frame = np.zeros((600, 1280, 3), np.uint8)
    frame[300:600, 1100:1280] = 255
    detector = PersonDetector(onnx_models["detector"])
    boxes, _ = detector(frame)
    np.testing.assert_allclose(boxes, [[1100, 300, 1280, 600]])
    rtmo = load_pose_model(onnx_models["rtmo"])
    boxes, _, _ = rtmo(frame)
    assert boxes[:, 2].max() <= 1280 and boxes[:, 3].max() <= 600


class _SymbolicOutputs:
    """An ONNX Runtime session whose declared output shapes name ``axis`` of ``output``
    symbolically, as an export may (the runs are the real session's)."""

    def __init__(self, session, output: str, axis: int) -> None:
        self.session, self.output, self.axis = session, output, axis

    def get_outputs(self):
        from types import SimpleNamespace

        declared = []
        for output in self.session.get_outputs():
            shape = list(output.shape)
            if output.name == self.output:
                shape[self.axis] = "keypoints"
            declared.append(SimpleNamespace(name=output.name, shape=shape))
        return declared

    def __getattr__(self, name):
        return getattr(self.session, name)


def test_the_keypoint_count_is_read_from_the_output_when_the_export_leaves_it_symbolic(
    onnx_models,
):
    from vidpose.video.detect.model_files import open_session

    session = _SymbolicOutputs(open_session(onnx_models["pose26"], "--pose-model"), "simcc_x", 1)
    pose = TopDownPose(onnx_models["pose26"], session=session)
    assert pose.outputs["simcc_x"][1] == "keypoints"
    assert pose.num_joints == 26 and pose.layout == "halpe26"
    assert pose(np.zeros((64, 64, 3), np.uint8), np.zeros((0, 4))).shape == (0, 26, 3)
    session = _SymbolicOutputs(open_session(onnx_models["rtmo"], "--pose-model"), "keypoints", 2)
    rtmo = OneStagePose(onnx_models["rtmo"], session=session)
    assert rtmo.num_joints == 17 and rtmo.layout == "coco17"


def test_the_stand_ins_have_the_published_exports_signatures(onnx_models):
    import onnx

    detector = onnx.load(str(onnx_models["detector"]))
    assert detector.opset_import[0].version == 11
    types = {o.name: o.type.tensor_type for o in detector.graph.output}
    assert types["labels"].elem_type == onnx.TensorProto.INT64
    dims = [d.dim_param or d.dim_value for d in types["dets"].shape.dim]
    assert dims == [1, "num_dets", 5]
    inputs = [d.dim_value for d in detector.graph.input[0].type.tensor_type.shape.dim]
    assert inputs == [1, 3, 640, 640]
    session = PersonDetector(onnx_models["detector"]).session
    dets, labels = session.run(None, {"input": np.zeros((1, 3, 640, 640), np.float32)})
    assert dets[0, -1].tolist() == [0] * 5 and labels[0, -1] == 0  # the padding row
    pose = onnx.load(str(onnx_models["pose"]))
    assert pose.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
