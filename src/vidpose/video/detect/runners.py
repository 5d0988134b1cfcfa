"""One class per model family, each around an ONNX Runtime session; frames are RGB uint8.

The models' signatures (those of OpenMMLab's MMDeploy exports, which rtmlib runs too):

- **RTMDet** (person detector): input ``input`` (1, 3, H, W) float, BGR normalised with
  mean (103.53, 116.28, 123.675) / std (57.375, 57.12, 58.395), letterboxed; outputs ``dets``
  (1, N, 5) = x1, y1, x2, y2, score in input pixels (NMS inside the graph) and ``labels`` (1, N).
- **RTMPose** (top-down): input ``input`` (B, 3, H, W), RGB normalised with mean
  (123.675, 116.28, 103.53) / std (58.395, 57.12, 57.375), the affine crop of one person;
  outputs ``simcc_x`` (B, K, W·r) and ``simcc_y`` (B, K, H·r), r the SimCC split ratio (2).
- **RTMO** (one-stage): input ``input`` (1, 3, H, W), BGR 0-255 unnormalised, letterboxed;
  outputs ``dets`` (1, N, 5) and ``keypoints`` (1, N, K, 3) = x, y, score in input pixels.

K = 17 is COCO-17, K = 26 Halpe-26. The signature is checked when a model loads, so a pose
model given as the detector (or a classifier from elsewhere) is one clear error. K is read from
the declared output shape when it is a number, else from the output of one run on a blank
input (exports may leave it symbolic). Boxes are clipped to the frame, as MMDetection clips
them to the image: a box reaching into the letterbox's grey border would otherwise shift the
crop of a person the frame edge cuts. The preprocessing constants are
:mod:`vidpose.video.detect.input_spec`'s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.video.detect import box_geometry
from vidpose.video.detect.input_spec import DETECTOR, ONE_STAGE, TOP_DOWN, to_nchw
from vidpose.video.detect.model_files import open_session

LAYOUT_BY_JOINTS = {17: "coco17", 26: "halpe26"}


class _OnnxModel:
    """A loaded session, its input name and (width, height), its outputs by name.

    The input size is the file's when its height and width are fixed; for a file with
    dynamic ones, ``input_size`` (the published model's) or the family's usual size."""

    default_input_size: tuple[int, int] = (640, 640)

    def __init__(
        self,
        path: Path,
        option: str,
        device: str,
        threads: int | None,
        session=None,
        input_size: tuple[int, int] | None = None,
    ) -> None:
        self.path, self.option = Path(path), option
        self.session = session or open_session(self.path, option, device, threads)
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            self._refuse(f"expected one image input (N, 3, H, W), found {self._signature()}")
        self.input_name = inputs[0].name
        batch, channels, height, width = inputs[0].shape
        if isinstance(channels, int) and channels != 3:
            self._refuse(f"expected an (N, 3, H, W) image input, found {self._signature()}")
        if isinstance(height, int) and isinstance(width, int):
            self.input_size = (width, height)
        else:
            self.input_size = tuple(input_size or self.default_input_size)
        self.batched = not isinstance(batch, int) or batch != 1
        self.outputs = {output.name: output.shape for output in self.session.get_outputs()}

    def _signature(self) -> str:
        ins = [f"{i.name}{list(i.shape)}" for i in self.session.get_inputs()]
        outs = [f"{o.name}{list(o.shape)}" for o in self.session.get_outputs()]
        return f"inputs {', '.join(ins)}; outputs {', '.join(outs)}"

    def _refuse(self, problem: str):
        raise UserError(f"{self.option} {self.path}: not a {self.kind} model: {problem}")

    def _output_named(self, name: str, rank: int) -> str:
        if name in self.outputs and len(self.outputs[name]) == rank:
            return name
        self._refuse(f"expected an output {name!r} of rank {rank}, found {self._signature()}")

    def run(self, batch: np.ndarray, names: list[str]) -> list[np.ndarray]:
        return self.session.run(names, {self.input_name: np.ascontiguousarray(batch)})

    def _dimension(self, name: str, axis: int) -> int:
        """Size ``axis`` of output ``name``: the declared one, else (a symbolic dimension)
        the one a run on a blank input gives."""
        declared = self.outputs[name][axis]
        if isinstance(declared, int) and declared > 0:
            return declared
        width, height = self.input_size
        (output,) = self.run(np.zeros((1, 3, height, width), np.float32), [name])
        return int(output.shape[axis])


def _keypoint_layout(model: _OnnxModel, joints: int) -> str:
    if joints not in LAYOUT_BY_JOINTS:
        model._refuse(f"{joints} keypoints; supported: 17 (COCO-17) and 26 (Halpe-26)")
    return LAYOUT_BY_JOINTS[joints]


class _LetterboxModel(_OnnxModel):
    """A model that reads the letterboxed frame and gives scored boxes (``dets``: x1, y1, x2,
    y2, score in input pixels), kept above ``score_threshold`` and by NMS: RTMDet and RTMO."""

    option_name = ""
    default_score_threshold = 0.3

    def __init__(
        self,
        path: Path,
        option: str | None = None,
        device: str = "cpu",
        score_threshold: float | None = None,
        nms_threshold: float = 0.45,
        threads: int | None = None,
        session=None,
        input_size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(path, option or self.option_name, device, threads, session, input_size)
        self.score_threshold = (
            self.default_score_threshold if score_threshold is None else score_threshold
        )
        self.nms_threshold = nms_threshold
        self._bind_outputs()

    def _bind_outputs(self) -> None:
        """Check and name the family's outputs (after the session is open)."""
        raise NotImplementedError

    def _kept(self, dets: np.ndarray, ratio: float, frame: np.ndarray, wanted=True):
        """``dets`` (N, 5) of the letterboxed input → the people kept, best first: boxes
        (M, 4) xyxy in frame pixels (clipped to the frame), scores (M,) and their rows in
        ``dets``. ``wanted`` (N,) bool narrows the rows further (e.g. the person class)."""
        # The export's last row pads the output with zeros (score 0): below any threshold.
        rows = np.flatnonzero((dets[:, 4] > self.score_threshold) & wanted)
        boxes = box_geometry.clip_boxes(dets[rows, :4] / ratio, frame.shape[1], frame.shape[0])
        scores = dets[rows, 4]
        kept = box_geometry.nms(boxes, scores, self.nms_threshold)
        return boxes[kept], scores[kept], rows[kept]


class PersonDetector(_LetterboxModel):
    """RTMDet person boxes: ``detector(frame)`` → boxes (N, 4) xyxy and scores (N,), best first."""

    kind = "person detector (RTMDet)"
    option_name = "--detector-model"
    default_score_threshold = 0.3

    def _bind_outputs(self) -> None:
        self.dets = self._output_named("dets", 3)
        self.labels = "labels" if "labels" in self.outputs else None

    def __call__(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        canvas, ratio = box_geometry.letterbox(frame, self.input_size)
        names = [self.dets] + ([self.labels] if self.labels else [])
        outputs = self.run(to_nchw(canvas, DETECTOR), names)
        # Class 0 is the person (the only class of these models).
        person = outputs[1][0] == 0 if self.labels else True
        boxes, scores, _ = self._kept(outputs[0][0].astype(np.float64), ratio, frame, person)
        return boxes, scores


class TopDownPose(_OnnxModel):
    """RTMPose: ``pose(frame, boxes)`` → keypoints (N, K, 3): x, y frame pixels and score."""

    kind = "top-down pose (RTMPose, SimCC)"
    default_input_size = (192, 256)

    def __init__(
        self,
        path: Path,
        option: str = "--pose-model",
        device: str = "cpu",
        threads: int | None = None,
        batch_size: int = 8,
        session=None,
        input_size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(path, option, device, threads, session, input_size)
        self.simcc = [self._output_named("simcc_x", 3), self._output_named("simcc_y", 3)]
        self.num_joints = self._dimension("simcc_x", 1)
        self.layout = _keypoint_layout(self, self.num_joints)
        self.batch_size = batch_size if self.batched else 1

    def __call__(self, frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if len(boxes) == 0:
            return np.zeros((0, self.num_joints, 3))
        crops = [box_geometry.crop_center_scale(box, self.input_size) for box in boxes]
        images = np.stack([box_geometry.crop(frame, c, s, self.input_size) for c, s in crops])
        images = to_nchw(images, TOP_DOWN)
        simcc_x, simcc_y = [], []
        for start in range(0, len(images), self.batch_size):
            out_x, out_y = self.run(images[start : start + self.batch_size], self.simcc)
            simcc_x.append(out_x)
            simcc_y.append(out_y)
        simcc_x, simcc_y = np.concatenate(simcc_x), np.concatenate(simcc_y)
        split_ratio = simcc_x.shape[-1] / self.input_size[0]
        points, scores = box_geometry.simcc_decode(simcc_x, simcc_y, split_ratio)
        for index, (center, scale) in enumerate(crops):
            points[index] = box_geometry.crop_to_frame(
                points[index], center, scale, self.input_size
            )
        return np.concatenate([points, scores[..., None]], axis=-1)


class OneStagePose(_LetterboxModel):
    """RTMO: ``pose(frame)`` → boxes (N, 4) xyxy, scores (N,), keypoints (N, K, 3), best first."""

    kind = "one-stage pose (RTMO)"
    option_name = "--pose-model"
    default_score_threshold = 0.5

    def _bind_outputs(self) -> None:
        self.names = [self._output_named("dets", 3), self._output_named("keypoints", 4)]
        self.num_joints = self._dimension("keypoints", 2)
        self.layout = _keypoint_layout(self, self.num_joints)

    def __call__(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        canvas, ratio = box_geometry.letterbox(frame, self.input_size)
        dets, keypoints = self.run(to_nchw(canvas, ONE_STAGE), self.names)
        boxes, scores, rows = self._kept(dets[0].astype(np.float64), ratio, frame)
        keypoints = keypoints[0][rows].astype(np.float64)
        keypoints[..., :2] /= ratio
        return boxes, scores, keypoints


def load_pose_model(
    path: Path,
    option: str = "--pose-model",
    device: str = "cpu",
    threads: int | None = None,
    input_size: tuple[int, int] | None = None,
) -> TopDownPose | OneStagePose:
    """A :class:`TopDownPose` or :class:`OneStagePose`, told apart by the file's outputs."""
    session = open_session(Path(path), option, device, threads)
    names = {output.name for output in session.get_outputs()}
    family = OneStagePose if "keypoints" in names else TopDownPose
    return family(path, option, device, threads=threads, session=session, input_size=input_size)
