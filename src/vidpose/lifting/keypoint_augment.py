"""Training augmentation of 2D keypoint windows and their 3D targets (the lifter's ``augment:``).

One random draw per training sample for what applies to the whole window (flip, camera
rotation: one camera sees the whole window), per joint and frame for what a detector gets
wrong frame by frame (jitter, outliers, dropped joints). All tensor ops on the batch's device,
drawn from a seeded generator the trainer saves for exact resume.

Conventions: keypoints in VideoPose3D's screen-normalised coordinates (``x / w · 2 − 1``,
image centre at 0; see ``vidpose.keypoints.normalize``), 3D in metres in the camera frame
(x right, y down, z forward), root-relative.

- flip (probability ``flip``): 2D x → −x (the mirror image about the vertical centre line),
  3D X → −X, and left/right joints swapped. It is its own inverse.
- camera rotation (``camera_rotation_deg`` > 0, pose stores from motion capture only): the
  camera turns about its centre by random angles in ±``camera_rotation_deg`` about each of its
  axes; the pose, rotated the opposite way in camera coordinates, is re-projected with the
  sequence's intrinsics, so the 2D input and the 3D target stay an exact pair. Measured 2D
  (a real video's detections or markers) cannot be moved so, hence the mocap-only rule.
- jitter (``noise``): per joint and frame, Gaussian noise with a std of ``noise`` times the
  person's 2D size in that frame (the larger side of the box around its joints), as a
  detector's error grows with the person's size on screen;
- outliers (``outliers``): with this probability per joint and frame, a further error with a
  std of ``OUTLIER_SIZE`` times the person's size (a limb assigned to the wrong side or
  person);
- dropped joints (``dropout``): with this probability per joint and frame, confidence 0 and
  (0, 0), as a detector's missing joint reaches the lifter.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any

import torch

from vidpose.clips.clip_augment import mirror_joints
from vidpose.infra.errors import UserError

#: Std of an outlier's displacement, in units of the person's 2D size.
OUTLIER_SIZE = 0.2


@dataclass
class KeypointAugmentConfig:
    """The ``augment:`` section of a lifter's run config (see the module docstring).

    - ``enabled``: false turns all augmentation off.
    - ``flip``: probability of the horizontal flip with left/right swap, in [0, 1].
    - ``noise``: std of the per-joint 2D jitter, a fraction of the person's 2D size (≥ 0).
    - ``outliers``: probability per joint and frame of an outlier, in [0, 1].
    - ``dropout``: probability per joint and frame of a dropped joint, in [0, 1].
    - ``camera_rotation_deg``: largest camera turn about each axis, degrees, in [0, 90];
      applied only to pose stores from motion capture (meta ``from_mocap``).
    """

    enabled: bool = True
    flip: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    noise: float = field(default=0.0, metadata={"min": 0.0})
    outliers: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    dropout: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    camera_rotation_deg: float = field(default=0.0, metadata={"min": 0.0, "max": 90.0})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self, prefix: str = "augment") -> None:
        """What the fields' ranges (checked by ``vidpose.runs.run_config.load_section``) cannot say:
        every setting is a finite number."""
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name != "enabled" and not math.isfinite(value):
                raise UserError(f"{prefix}.{spec.name}: expected a finite number, got {value!r}")

    @property
    def is_identity(self) -> bool:
        names = ("flip", "noise", "outliers", "dropout", "camera_rotation_deg")
        return not self.enabled or all(getattr(self, name) == 0 for name in names)


def flip_keypoints(keypoints: torch.Tensor) -> torch.Tensor:
    """(..., 17, C) screen-normalised → mirrored: x → −x, left/right joints swapped."""
    return mirror_joints(keypoints)


def flip_poses3d(poses3d: torch.Tensor) -> torch.Tensor:
    """(..., 17, 3) metres, camera frame → mirrored: X → −X, left/right joints swapped."""
    return mirror_joints(poses3d)


def rotation_matrices(angles: torch.Tensor) -> torch.Tensor:
    """(B, 3) radians about the camera's x, y, z axes → (B, 3, 3) rotations R = Rz · Ry · Rx,
    acting on column vectors."""
    cos, sin = torch.cos(angles), torch.sin(angles)
    one, zero = torch.ones_like(cos[:, 0]), torch.zeros_like(cos[:, 0])

    def matrix(rows):
        return torch.stack([torch.stack(row, -1) for row in rows], -2)

    rx = matrix([[one, zero, zero], [zero, cos[:, 0], -sin[:, 0]], [zero, sin[:, 0], cos[:, 0]]])
    ry = matrix([[cos[:, 1], zero, sin[:, 1]], [zero, one, zero], [-sin[:, 1], zero, cos[:, 1]]])
    rz = matrix([[cos[:, 2], -sin[:, 2], zero], [sin[:, 2], cos[:, 2], zero], [zero, zero, one]])
    return rz @ ry @ rx


def rotate_camera(
    poses3d: torch.Tensor, root: torch.Tensor, rotations: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The view of a camera turned about its centre: root-relative ``poses3d`` (B, W, 17, 3)
    and ``root`` (B, W, 3) in the old camera frame, ``rotations`` (B, 3, 3) → both in the new
    frame (X' = R X for every point)."""
    turned = rotations[:, None, None]  # (B, 1, 1, 3, 3)
    poses = (turned @ poses3d.unsqueeze(-1)).squeeze(-1)
    root = (rotations[:, None] @ root.unsqueeze(-1)).squeeze(-1)
    return poses, root


def person_size(keypoints: torch.Tensor) -> torch.Tensor:
    """(..., 17, 3) x, y, confidence → (..., 1, 1): the larger side of the box around the
    joints with confidence > 0 (0 when there are none)."""
    visible = keypoints[..., 2:3] > 0
    big = torch.finfo(keypoints.dtype).max
    xy = keypoints[..., :2]
    low = torch.where(visible, xy, torch.full_like(xy, big)).amin(-2, keepdim=True)
    high = torch.where(visible, xy, torch.full_like(xy, -big)).amax(-2, keepdim=True)
    side = (high - low).amax(-1, keepdim=True)
    return torch.where(side > 0, side, torch.zeros_like(side))


def detector_errors(
    keypoints: torch.Tensor, config: KeypointAugmentConfig, generator: torch.Generator
) -> torch.Tensor:
    """Jitter, outliers and dropped joints on (B, W, 17, 3) screen-normalised keypoints with
    confidence (see the module docstring); dropped joints come back as (0, 0, 0)."""
    if not (config.noise or config.outliers or config.dropout):
        return keypoints
    shape, device = keypoints.shape[:-1], keypoints.device
    size = person_size(keypoints)
    gauss = torch.randn((*shape, 4), generator=generator, device=device)
    uniform = torch.rand((*shape, 2), generator=generator, device=device)
    shift = config.noise * size * gauss[..., :2]
    outlier = (uniform[..., :1] < config.outliers).to(keypoints.dtype)
    shift = shift + outlier * OUTLIER_SIZE * size * gauss[..., 2:]
    keep = (uniform[..., 1:] >= config.dropout).to(keypoints.dtype)
    moved = torch.cat([keypoints[..., :2] + shift, keypoints[..., 2:]], dim=-1)
    return moved * keep
