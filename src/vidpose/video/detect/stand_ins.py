"""Stand-in ONNX models with the signatures of OpenMMLab's RTMDet, RTMPose and RTMO exports.

For tests and benchmarks on machines without the published files (no network): each computes
its answer from the image in closed form, so the whole 2D path (letterbox or affine crop,
channel order, normalisation, decoding back to frame pixels) is exercised and checkable:

- the pose model's SimCC peak of every joint is the column / row where the red channel minus
  the blue one is highest (a pure red dot), at 2 bins per input pixel, as RTMPose's split ratio;
  joint k's score is the peak times (k + 1) / K;
- the detector returns the box around the pixels whose red channel is above the mean (a white
  rectangle), a shifted duplicate (for NMS), a low-score box and a non-person box;
- the one-stage model returns the same box and keypoints spread along its diagonal.

Their cost is nothing like the real models': a benchmark on them times everything but the
networks. Needs torch (and onnx for the exporter).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

JOINTS = 17


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
    def __init__(self, joints: int = JOINTS, split_ratio: int = 2):
        super().__init__()
        self.split_ratio = split_ratio
        self.register_buffer("gains", (torch.arange(joints) + 1.0) / joints)

    def forward(self, image):
        red_minus_blue = image[:, 0] - image[:, 2]  # (B, H, W), RGB input
        columns = red_minus_blue.amax(dim=1).repeat_interleave(self.split_ratio, dim=1)
        rows = red_minus_blue.amax(dim=2).repeat_interleave(self.split_ratio, dim=1)
        gains = self.gains[None, :, None]
        return columns[:, None, :] * gains, rows[:, None, :] * gains


class PersonBoxes(torch.nn.Module):
    def forward(self, image):
        mask = (image[:, 2] > 0).float()  # BGR input: channel 2 is red
        box = _box(mask)
        score = 0.9 * mask.amax(dim=(1, 2))[:, None]  # 0 when there is no rectangle
        shifted = box + 1.0
        low = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
        other = torch.tensor([[50.0, 50.0, 90.0, 90.0]])
        dets = torch.stack(
            [
                torch.cat([box, score], dim=1),
                torch.cat([shifted, score - 0.1], dim=1),
                torch.cat([low, score - 0.8], dim=1),
                torch.cat([other, torch.tensor([[0.95]])], dim=1),
            ],
            dim=1,
        )  # (1, 4, 5)
        labels = torch.tensor([[0, 0, 0, 1]])  # the last is not a person
        return dets, labels


class OneStage(torch.nn.Module):
    def __init__(self, joints: int = JOINTS):
        super().__init__()
        self.register_buffer("steps", torch.linspace(0, 1, joints))

    def forward(self, image):
        mask = (image[:, 2] > 200).float()  # raw BGR pixels: a white rectangle
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
):
    """Export ``module`` with an input named ``input`` of (N, 3, height, width); ``batch``
    and ``dynamic_size`` make N, or height and width, dynamic in the file."""
    width, height = input_size
    axes = {"input": {}, **{name: {} for name in outputs}}
    if batch:
        for name in axes:
            axes[name][0] = "batch"
    if dynamic_size:
        axes["input"] |= {2: "height", 3: "width"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            torch.zeros(1, 3, height, width),
            str(path),
            input_names=["input"],
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    return path


def export_stand_ins(folder: str | Path) -> dict[str, Path]:
    """Write the stand-ins into ``folder``: ``detector`` (640 x 640), ``pose`` (192 x 256,
    batched, COCO-17), ``pose26`` (Halpe-26, one image at a time) and ``rtmo`` (640 x 640)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    simcc = ["simcc_x", "simcc_y"]
    dets = ["dets", "labels"]
    return {
        "detector": export_model(PersonBoxes(), folder / "det.onnx", (640, 640), dets),
        "pose": export_model(SimccPose(), folder / "pose.onnx", (192, 256), simcc, batch=True),
        "pose26": export_model(SimccPose(26), folder / "pose26.onnx", (192, 256), simcc),
        "rtmo": export_model(OneStage(), folder / "rtmo.onnx", (640, 640), ["dets", "keypoints"]),
    }
