"""Stand-in ONNX models with the signatures of OpenMMLab's RTMDet, RTMPose and RTMO exports.

For tests and benchmarks on machines without the published files (no network): each computes
its answer from the image in closed form, so the whole 2D path (letterbox or affine crop,
channel order, normalisation, decoding back to frame pixels) is exercised and checkable. Each
reads the VALUES of its input, not only their signs: a pixel counts only when its channels
are, within a tolerance, what the family's normalisation makes of the colour the stand-in looks
for (:mod:`vidpose.video.detect.input_spec`), so a wrong channel order, mean or std finds
nothing (RTMPose's pure red is (2.2489, -2.0357, -1.8044); swapping the mean's order alone
moves channel 0 by 0.39, beyond the tolerance of 0.3).

- the pose model's SimCC peak of every joint is the column / row of the purest red pixel (a
  red dot), at 2 bins per input pixel, as RTMPose's split ratio; joint k's score is that
  purity (1 for pure red) times (k + 1) / K;
- the detector returns the box around the white pixels (a white rectangle), a shifted
  duplicate (for NMS), a low-score box and a non-person box, sorted by score, and the zero row
  MMDeploy's export pads its output with (score 0, label 0);
- the one-stage model (raw BGR pixels) returns the same box and keypoints along its diagonal.

As the published exports (MMDeploy, ONNX opset 11): RTMDet and RTMO take one static
(1, 3, 640, 640) image, RTMPose a dynamic batch; the detections' count is a symbolic
dimension; labels are int64. Their cost is nothing like the real models': a benchmark on them
times everything but the networks. Needs torch (and onnx for the exporter).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from vidpose.video.detect.input_spec import DETECTOR, TOP_DOWN

JOINTS = 17
#: The opset of MMDeploy's ONNX Runtime exports.
OPSET = 11
#: How far (normalised units) a channel may be from the expected value and still count.
TOLERANCE = 0.3


def _normalised(rgb: tuple[int, int, int], normalisation) -> torch.Tensor:
    """(3,) what ``normalisation`` makes of an RGB colour, in the model's channel order."""
    channels = torch.tensor(rgb[::-1] if normalisation.bgr else rgb, dtype=torch.float32)
    mean = torch.as_tensor(normalisation.mean, dtype=torch.float32)
    return (channels - mean) / torch.as_tensor(normalisation.std, dtype=torch.float32)


def _purity(image, target: torch.Tensor, tolerance: float):
    """(B, H, W) in [0, 1]: 1 where a pixel of (B, 3, H, W) is exactly ``target`` (3,),
    falling to 0 at ``tolerance`` (Euclidean, in the input's units) and beyond."""
    squared = ((image - target[None, :, None, None]) ** 2).sum(dim=1)
    return torch.relu(1.0 - squared / tolerance**2)


def _span(mask, dim: int):
    """First index and one past the last where ``mask`` (1, H, W) float has a 1 along ``dim``
    (written without the input's size, so it holds for dynamic input sizes too)."""
    profile = mask.amax(dim=3 - dim)  # (1, W) for columns (dim=2), (1, H) for rows (dim=1)
    first = torch.argmax(profile, dim=-1)
    one_based = torch.cumsum(torch.ones_like(profile), dim=-1)
    last = (one_based * profile).amax(dim=-1)
    return first.float(), last


def _box(mask):
    x1, x2 = _span(mask, 2)
    y1, y2 = _span(mask, 1)
    return torch.stack([x1, y1, x2, y2], dim=-1)  # (1, 4)


class SimccPose(torch.nn.Module):
    """RTMPose's signature: RGB normalised (B, 3, H, W) → simcc_x (B, K, 2W), simcc_y (B, K, 2H)."""

    def __init__(self, joints: int = JOINTS, split_ratio: int = 2):
        super().__init__()
        self.split_ratio = split_ratio
        self.register_buffer("gains", (torch.arange(joints) + 1.0) / joints)
        self.register_buffer("red", _normalised((255, 0, 0), TOP_DOWN))

    def forward(self, image):
        purity = _purity(image, self.red, TOLERANCE)  # (B, H, W)
        columns = purity.amax(dim=1).repeat_interleave(self.split_ratio, dim=1)
        rows = purity.amax(dim=2).repeat_interleave(self.split_ratio, dim=1)
        gains = self.gains[None, :, None]
        return columns[:, None, :] * gains, rows[:, None, :] * gains


class PersonBoxes(torch.nn.Module):
    """RTMDet's signature: BGR normalised (1, 3, H, W) → dets (1, N, 5), labels (1, N) int64."""

    def __init__(self):
        super().__init__()
        self.register_buffer("white", _normalised((255, 255, 255), DETECTOR))

    def forward(self, image):
        mask = (_purity(image, self.white, TOLERANCE) > 0.5).float()
        box = _box(mask)
        score = 0.9 * mask.amax(dim=(1, 2))[:, None]  # 0 when there is no rectangle
        rows = [
            torch.cat([torch.tensor([[50.0, 50.0, 90.0, 90.0]]), torch.tensor([[0.95]])], 1),
            torch.cat([box, score], dim=1),
            torch.cat([box + 1.0, score - 0.1], dim=1),
            torch.cat([torch.tensor([[0.0, 0.0, 10.0, 10.0]]), score - 0.8], dim=1),
            torch.zeros(1, 5),  # MMDeploy's padding row
        ]
        dets = torch.stack(rows, dim=1)  # (1, 5, 5), by score (the padding last)
        labels = torch.tensor([[1, 0, 0, 0, 0]], dtype=torch.int64)  # the first is not a person
        return dets, labels


class OneStage(torch.nn.Module):
    """RTMO's signature: raw BGR (1, 3, H, W) → dets (1, N, 5), keypoints (1, N, K, 3)."""

    def __init__(self, joints: int = JOINTS):
        super().__init__()
        self.register_buffer("steps", torch.linspace(0, 1, joints))
        self.register_buffer("white", torch.full((3,), 255.0))

    def forward(self, image):
        mask = (_purity(image, self.white, 8.0) > 0.5).float()  # raw pixels: a white rectangle
        box = _box(mask)
        score = 0.9 * mask.amax(dim=(1, 2))[:, None]
        low = torch.cat([box + 3.0, torch.tensor([[0.2]])], dim=1)
        dets = torch.stack([torch.cat([box, score], dim=1), low], dim=1)  # (1, 2, 5)
        x = box[:, 0:1] + (box[:, 2:3] - box[:, 0:1]) * self.steps[None]
        y = box[:, 1:2] + (box[:, 3:4] - box[:, 1:2]) * self.steps[None]
        one = torch.stack([x, y, torch.full_like(x, 0.8)], dim=-1)  # (1, K, 3)
        keypoints = torch.stack([one, one + 3.0], dim=1)  # (1, 2, K, 3)
        return dets, keypoints


def export_model(
    module,
    path: Path,
    input_size: tuple[int, int],
    outputs: list[str],
    batch: bool = False,
    dynamic_size: bool = False,
    symbolic: dict[str, dict[int, str]] | None = None,
):
    """Export ``module`` with an input named ``input`` of (N, 3, height, width); ``batch``
    and ``dynamic_size`` make N, or height and width, dynamic in the file; ``symbolic`` names
    more dynamic output axes ({output: {axis: name}})."""
    width, height = input_size
    axes = {"input": {}, **{name: {} for name in outputs}}
    if batch:
        for name in axes:
            axes[name][0] = "batch"
    if dynamic_size:
        axes["input"] |= {2: "height", 3: "width"}
    for name, more in (symbolic or {}).items():
        axes[name] |= more
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            torch.zeros(1, 3, height, width),
            str(path),
            input_names=["input"],
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    return path


def export_stand_ins(folder: str | Path) -> dict[str, Path]:
    """Write the stand-ins into ``folder``: ``detector`` (640 x 640), ``pose`` (192 x 256,
    batched, COCO-17), ``pose26`` (Halpe-26, one image at a time) and ``rtmo`` (640 x 640)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    simcc = ["simcc_x", "simcc_y"]
    detections = {"dets": {1: "num_dets"}}
    return {
        "detector": export_model(
            PersonBoxes(), folder / "det.onnx", (640, 640), ["dets", "labels"],
            symbolic={**detections, "labels": {1: "num_dets"}},
        ),
        "pose": export_model(SimccPose(), folder / "pose.onnx", (192, 256), simcc, batch=True),
        "pose26": export_model(SimccPose(26), folder / "pose26.onnx", (192, 256), simcc),
        "rtmo": export_model(
            OneStage(), folder / "rtmo.onnx", (640, 640), ["dets", "keypoints"],
            symbolic={**detections, "keypoints": {1: "num_dets"}},
        ),
    }  # fmt: skip
