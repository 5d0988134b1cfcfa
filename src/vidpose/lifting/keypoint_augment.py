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
- left/right swaps (``swaps``): with this probability per window and limb pair (the elbows
  and wrists; the knees and ankles), the left and right joints of the pair trade places for a
  burst of 1 to ``SWAP_FRAMES`` frames, as a detector confuses crossing legs or arms;
- jitter (``noise``): per joint and frame, Gaussian noise with a std of ``noise`` times the
  person's 2D size in that frame (the larger side of the box around its joints), as a
  detector's error grows with the person's size on screen, times ``1 + noise_growth · d``
  where d is 1 at the elbows and knees and 2 at the wrists and ankles (0 elsewhere): real
  detectors are least sure of the joints furthest out;
- outliers (``outliers``): with this probability per joint and frame, a further error with a
  std of ``OUTLIER_SIZE`` times the person's size (a limb assigned to the wrong side or
  person);
- dropped joints (``dropout``): with this probability per joint and frame, confidence 0 and
  (0, 0), as a detector's missing joint reaches the lifter;
- missing frames (``missing_frames``): with this probability per window, a burst of 1 to
  ``MISSING_FRAMES`` frames without the person, filled as the video path fills them: linearly
  between the frames either side (the tracker's gap filling), a joint's confidence the
  smaller of its two ends' (a joint missing at either end stays missing), or by repeating the
  one frame there is at a window's edge.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any

import torch

from vidpose.infra.errors import UserError
from vidpose.pose.mirror import mirror_joints

#: Std of an outlier's displacement, in units of the person's 2D size.
OUTLIER_SIZE = 0.2
#: Longest burst of a left/right swap and of missing frames, frames (0.2 and 0.5 s at 50 fps).
SWAP_FRAMES = 10
MISSING_FRAMES = 25
#: Joints from the torso out along each limb (1 elbows and knees, 2 wrists and ankles): the
#: jitter's growth factor (H36M-17 order).
LIMB_DEPTH = (0, 0, 1, 2, 0, 1, 2, 0, 0, 0, 0, 0, 1, 2, 0, 1, 2)
#: The (left, right) joint pairs a swap exchanges: the arms' elbows and wrists, the legs' knees
#: and ankles.
SWAP_PAIRS = (((12, 15), (13, 16)), ((5, 2), (6, 3)))


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
    - ``noise_growth``: the jitter's growth towards the wrists and ankles (≥ 0).
    - ``swaps``: probability per window and limb pair of a left/right swap burst, in [0, 1].
    - ``missing_frames``: probability per window of a burst of missing frames, in [0, 1].
    """

    enabled: bool = True
    flip: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    noise: float = field(default=0.0, metadata={"min": 0.0})
    outliers: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    dropout: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    camera_rotation_deg: float = field(default=0.0, metadata={"min": 0.0, "max": 90.0})
    noise_growth: float = field(default=0.0, metadata={"min": 0.0})
    swaps: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    missing_frames: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})

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
        names = ("flip", "noise", "outliers", "dropout", "camera_rotation_deg", "swaps")
        names += ("missing_frames",)
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
    """Swaps, jitter, outliers, dropped joints and missing frames on (B, W, 17, 3)
    screen-normalised keypoints with confidence (see the module docstring); dropped joints
    come back as (0, 0, 0). A setting of 0 draws nothing from ``generator``."""
    if config.swaps:
        keypoints = swap_bursts(keypoints, config.swaps, generator)
    if config.noise or config.outliers or config.dropout:
        keypoints = _joint_errors(keypoints, config, generator)
    if config.missing_frames:
        keypoints = missing_frame_bursts(keypoints, config.missing_frames, generator)
    return keypoints


def _joint_errors(
    keypoints: torch.Tensor, config: KeypointAugmentConfig, generator: torch.Generator
) -> torch.Tensor:
    """Jitter (growing along the limbs), outliers and dropped joints, per joint and frame."""
    shape, device = keypoints.shape[:-1], keypoints.device
    size = person_size(keypoints)
    gauss = torch.randn((*shape, 4), generator=generator, device=device)
    uniform = torch.rand((*shape, 2), generator=generator, device=device)
    growth = 1 + config.noise_growth * torch.tensor(LIMB_DEPTH, device=device, dtype=size.dtype)
    shift = config.noise * size * growth[:, None] * gauss[..., :2]
    outlier = (uniform[..., :1] < config.outliers).to(keypoints.dtype)
    shift = shift + outlier * OUTLIER_SIZE * size * gauss[..., 2:]
    keep = (uniform[..., 1:] >= config.dropout).to(keypoints.dtype)
    moved = torch.cat([keypoints[..., :2] + shift, keypoints[..., 2:]], dim=-1)
    return moved * keep


def _bursts(
    shape: tuple[int, int], frames: int, probability: float, longest: int, generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per window and kind (B, K): whether it has a burst, its first frame and its length
    (1 … ``longest``), drawn uniformly; the burst may run past the window's end."""
    device = generator.device
    happens = torch.rand(shape, generator=generator, device=device) < probability
    first = torch.randint(0, frames, shape, generator=generator, device=device)
    length = torch.randint(1, longest + 1, shape, generator=generator, device=device)
    return happens, first, length


def swap_bursts(keypoints: torch.Tensor, probability: float, generator) -> torch.Tensor:
    """(B, W, 17, C): for each window and limb pair of :data:`SWAP_PAIRS`, with
    ``probability`` a burst of frames where the pair's left and right joints trade places."""
    batch, frames = keypoints.shape[:2]
    happens, first, length = _bursts(
        (batch, len(SWAP_PAIRS)), frames, probability, SWAP_FRAMES, generator
    )
    t = torch.arange(frames, device=keypoints.device)[None, :, None]
    active = happens[:, None] & (t >= first[:, None]) & (t < (first + length)[:, None])  # (B, W, K)
    out = keypoints
    for kind, pairs in enumerate(SWAP_PAIRS):
        order = list(range(keypoints.shape[-2]))
        for left, right in pairs:
            order[left], order[right] = right, left
        swapped = out[..., order, :]
        out = torch.where(active[..., kind, None, None], swapped, out)
    return out


def missing_frame_bursts(keypoints: torch.Tensor, probability: float, generator) -> torch.Tensor:
    """(B, W, 17, 3): with ``probability`` per window, a burst of frames replaced as the video
    path fills frames without the person (see the module docstring)."""
    batch, frames = keypoints.shape[:2]
    happens, first, length = _bursts((batch, 1), frames, probability, MISSING_FRAMES, generator)
    t = torch.arange(frames, device=keypoints.device)[None, :]
    before, after = first - 1, first + length  # (B, 1): the known frames either side
    inside = happens & (t >= first) & (t < after)
    has_before, has_after = before >= 0, after < frames
    lo = torch.where(has_before, before, after).clamp(0, frames - 1).expand(-1, frames)
    hi = torch.where(has_after, after, before).clamp(0, frames - 1).expand(-1, frames)
    span = (hi - lo).clamp_min(1).to(keypoints.dtype)
    alpha = ((t - lo).to(keypoints.dtype) / span).clamp(0, 1)
    fillable = inside & (has_before | has_after)
    lo = torch.where(fillable, lo, t.expand(batch, -1))
    hi = torch.where(fillable, hi, t.expand(batch, -1))
    alpha = torch.where(fillable, alpha, torch.zeros_like(alpha))[..., None, None]
    rows = torch.arange(batch, device=keypoints.device)[:, None]
    start, end = keypoints[rows, lo], keypoints[rows, hi]
    xy = (1 - alpha) * start[..., :2] + alpha * end[..., :2]
    confidence = torch.minimum(start[..., 2:], end[..., 2:])
    return torch.cat([xy, confidence], dim=-1) * (confidence > 0).to(keypoints.dtype)
