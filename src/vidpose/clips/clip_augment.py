"""Batched, on-device training augmentation that keeps image, 2D and 3D poses consistent.

One random draw per clip, applied identically to all T frames of that clip (a per-frame draw
would make the motion jitter and teach the temporal module nonsense). Everything is tensor ops
on the inputs' device: one ``grid_sample`` for the whole batch (a clip's T frames are warped as
T·3 channels of one image, so there is one sampling grid per clip), no Python loop over clips
or frames, no host synchronisation.

Conventions (the store's, docs/architecture.md):

- Pixel coordinates: x right, y down, **the centre of pixel column i is at x = i**, so a frame
  W pixels wide spans x in [-0.5, W - 0.5] and its centre is at ((W - 1) / 2, (H - 1) / 2).
  ``grid_sample(align_corners=True)`` uses exactly this convention, so the warp and the 2D
  poses agree to floating-point precision.
- 3D poses: metres, camera frame (x right, y down, z forward), root-relative.

The transform of one clip, in order (c = crop centre):

1. horizontal flip (probability ``flip``): image mirrored about the vertical centre line,
   2D x → W - 1 - x, 3D X → -X, and left/right joints swapped (``skeleton.FLIP_PERMUTATION``);
2. in-plane rotation by θ ~ U(-rotation_deg, +rotation_deg) about c: 2D p → c + R(θ)(p - c)
   with R(θ) = [[cos θ, -sin θ], [sin θ, cos θ]] acting on (x, y); with y pointing down a
   positive θ turns the picture clockwise on screen. The 3D pose is rotated by θ about the
   ray through the crop centre (``axis``: the crop's own viewing direction, mirrored with the
   clip), which is what turning a camera that looks at the person about its axis does;
   projecting the rotated 3D pose gives the rotated 2D pose up to second order in the crop's
   angle off the optical axis. Without an axis it is rotated about the camera z axis (R(θ) on
   (X, Y)), exact only when the crop is centred on the optical axis: off it, by 16° say, a 15°
   turn about z tilts the pose by a further 4° against the picture;
3. zoom by s ~ U(1 - scale, 1 + scale) about c: 2D p → c + s (p - c); 3D unchanged (a zoom is a
   change of focal length, which does not move a root-relative metric pose);
4. colour: a hue rotation by φ ~ U(-hue, +hue) · 180° (the RGB vector turned about the grey
   axis (1, 1, 1), which keeps each pixel's grey level: red → green → blue at ±120°), then a
   per-channel gain ~ U(1 - color, 1 + color), contrast ~ U(1 - contrast, 1 + contrast) about
   the clip's mean grey level and a brightness offset ~ U(-brightness, +brightness) · 255;
   applied before the warp and clamped to [0, 255].

Areas that come from outside the source frame after the warp are **zero (black)**.

Frames come back with the input's dtype: uint8 in → uint8 out (rounded), float in [0, 255] →
float. uint8 output feeds ``vidpose.models.frame_input.normalize_frames`` directly. The returned
frames may be a non-contiguous (B, T, H, W, 3) view of channel-first memory; ``permute`` to
(B, T, 3, H, W), as normalisation does, makes it contiguous again for free.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any

import torch
import torch.nn.functional as F

from vidpose.infra.errors import UserError
from vidpose.pose.mirror import flip_permutation, mirror_joints

#: The range settings (each drawn from a range of that half-width).
_RANGES = ("flip", "scale", "rotation_deg", "color", "brightness", "contrast", "hue")


def _in(high: float, open_above: bool = False) -> Any:
    """A range setting's field metadata: [0, high], or [0, high) with ``open_above``."""
    return {"min": 0.0, ("max_exclusive" if open_above else "max"): high}


@dataclass
class AugmentConfig:
    """The ``augment:`` section of a run config.

    - ``enabled``: false turns all augmentation off (inputs come back untouched).
    - ``flip``: probability of a horizontal flip with left/right swap, in [0, 1].
    - ``scale``: zoom factor drawn from [1 - scale, 1 + scale], scale in [0, 1).
    - ``rotation_deg``: in-plane rotation drawn from [-rotation_deg, +rotation_deg], in [0, 180].
    - ``color``: per-channel gain drawn from [1 - color, 1 + color], in [0, 1].
    - ``brightness``: additive offset drawn from [-brightness, +brightness] × 255, in [0, 1].
    - ``contrast``: contrast factor drawn from [1 - contrast, 1 + contrast], in [0, 1].
    - ``hue``: hue rotation drawn from [-hue, +hue] × 180°, in [0, 1] (1: any hue; clothes of
      colours the training subjects never wore).
    """

    enabled: bool = True
    flip: float = field(default=0.5, metadata=_in(1.0))
    scale: float = field(default=0.25, metadata=_in(1.0, open_above=True))  # 1 - scale > 0
    rotation_deg: float = field(default=30.0, metadata=_in(180.0))
    color: float = field(default=0.2, metadata=_in(1.0))
    brightness: float = field(default=0.0, metadata=_in(1.0))
    contrast: float = field(default=0.0, metadata=_in(1.0))
    hue: float = field(default=0.0, metadata=_in(1.0))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (what a run's resolved config stores)."""
        return dataclasses.asdict(self)

    def validate(self, prefix: str = "augment") -> None:
        """What the fields' ranges (checked by ``vidpose.runs.run_config.load_section``) cannot say:
        every range is a finite number."""
        for name in _RANGES:
            if not math.isfinite(getattr(self, name)):
                raise UserError(
                    f"{prefix}.{name}: expected a finite number, got {getattr(self, name)!r}"
                )

    @property
    def is_identity(self) -> bool:
        """True when no setting can change an input (disabled, or every range zero)."""
        return not self.enabled or all(getattr(self, name) == 0 for name in _RANGES)


@dataclass
class AugmentParams:
    """The random draws for a batch of B clips (all tensors on one device, length B first).

    ``flip`` (B,) bool; ``angle`` (B,) radians; ``zoom`` (B,) factor; ``gain`` (B, 3) per RGB
    channel; ``contrast`` (B,) factor; ``brightness`` (B,) additive, in pixel-value units;
    ``hue`` (B,) radians of rotation about the grey axis, or None (no hue change).
    ``geometric`` / ``photometric`` false say the config rules out any warp / colour change,
    so that work is skipped (known from the config, so no device value is inspected).
    """

    flip: torch.Tensor
    angle: torch.Tensor
    zoom: torch.Tensor
    gain: torch.Tensor
    contrast: torch.Tensor
    brightness: torch.Tensor
    hue: torch.Tensor | None = None
    geometric: bool = True
    photometric: bool = True

    def to(self, device: torch.device | str) -> AugmentParams:
        """The same draws on ``device``."""
        return dataclasses.replace(
            self,
            **{
                f.name: getattr(self, f.name).to(device)
                for f in fields(self)
                if isinstance(getattr(self, f.name), torch.Tensor)
            },
        )


def sample_params(
    batch_size: int,
    cfg: AugmentConfig,
    generator: torch.Generator,
    device: torch.device | str | None = None,
) -> AugmentParams:
    """Draw one transform per clip from ``generator`` (on the generator's device).

    The draws come from one ``torch.rand`` call (a second one for ``hue`` > 0, so configs
    without hue draw exactly what they drew before hue existed), so a seeded generator gives the
    same params on every run; the result is moved to ``device`` when given.
    """
    uniform = torch.rand(
        (batch_size, 8), generator=generator, device=generator.device, dtype=torch.float32
    )

    def symmetric(column: slice | int, half_width: float) -> torch.Tensor:
        return (uniform[:, column] * 2 - 1) * half_width

    hue = None
    if cfg.hue > 0:
        turn = torch.rand(batch_size, generator=generator, device=generator.device)
        hue = (turn * 2 - 1) * (cfg.hue * math.pi)

    params = AugmentParams(
        flip=uniform[:, 0] < cfg.flip,
        angle=symmetric(1, math.radians(cfg.rotation_deg)),
        zoom=1 + symmetric(2, cfg.scale),
        gain=1 + symmetric(slice(3, 6), cfg.color),
        contrast=1 + symmetric(6, cfg.contrast),
        brightness=symmetric(7, cfg.brightness * 255.0),
        hue=hue,
        geometric=any(value > 0 for value in (cfg.flip, cfg.scale, cfg.rotation_deg)),
        photometric=any(value > 0 for value in (cfg.color, cfg.brightness, cfg.contrast, cfg.hue)),
    )
    return params if device is None else params.to(device)


def augment_batch(
    frames: torch.Tensor,
    poses3d: torch.Tensor,
    poses2d: torch.Tensor | None,
    cfg: AugmentConfig,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Augment a batch of clips; one random transform per clip, the same for all its frames.

    ``frames`` (B, T, H, W, 3) uint8 (or float in [0, 255]); ``poses3d`` (B, T, 17, 3) metres,
    root-relative camera frame; ``poses2d`` (B, T, 17, 2) stored-frame pixels, or None.
    The 3D rotation turns about the camera z axis: :func:`apply_params` takes the crop's axis.
    Returns ``(frames, poses3d, poses2d)`` on the inputs' device (see the module docstring for
    the geometry and dtypes). Disabled or all-zero settings return the inputs themselves.

    For no host synchronisation pass a generator on the frames' device
    (``torch.Generator(device=frames.device)``); a CPU generator with CUDA frames works too but
    copies the few draws to the GPU.
    """
    if cfg.is_identity:
        return frames, poses3d, poses2d
    params = sample_params(frames.shape[0], cfg, generator, device=frames.device)
    return apply_params(frames, poses3d, poses2d, params)


def apply_params(
    frames: torch.Tensor,
    poses3d: torch.Tensor,
    poses2d: torch.Tensor | None,
    params: AugmentParams,
    axis: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Apply given draws (see :func:`augment_batch` for shapes, units and conventions).

    ``axis`` (B, T, 3): unit rays through the crop centres of the clips as given
    (``vidpose.models.crop_geometry.crop_axis``), camera frame; a flipped clip's is mirrored with
    it (X → -X, as ``augment_geometry`` mirrors the crop). The 3D rotation turns about it;
    None: about the camera z axis."""
    if frames.dim() != 5 or frames.shape[-1] != 3 or min(frames.shape[2:4]) < 2:
        raise ValueError(f"frames must be (B, T, H>=2, W>=2, 3), got {tuple(frames.shape)}")
    height, width = frames.shape[2:4]
    out_frames = _recolour_and_warp(frames, params)
    out_poses3d = _transform_poses3d(poses3d, params, axis)
    out_poses2d = None if poses2d is None else _transform_poses2d(poses2d, params, height, width)
    return out_frames, out_poses3d, out_poses2d


def flip_batch(
    frames: torch.Tensor, poses3d: torch.Tensor | None = None, *, channels_first: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Mirror every frame horizontally (for test-time flip averaging).

    ``frames`` (..., H, W, 3), or (..., 3, H, W) with ``channels_first``; ``poses3d``
    (..., 17, 3) metres, camera frame, or None. Returns ``(flipped frames, flipped poses3d or
    None)``; the poses get X → -X and the left/right swap, matching the image.
    """
    width_dim = -1 if channels_first else -2
    flipped = torch.flip(frames, dims=(width_dim,))
    return flipped, (None if poses3d is None else unflip_poses3d(poses3d))


def unflip_poses3d(poses3d: torch.Tensor) -> torch.Tensor:
    """Map a prediction made on mirrored frames back to the original frames.

    ``poses3d`` (..., 17, 3) metres, camera frame: X → -X and left/right joints swapped (the
    flip is its own inverse). Evaluation averages ``pred(frames)`` and
    ``unflip_poses3d(pred(flip_batch(frames)[0]))``.
    """
    return mirror_joints(poses3d)


def _rotation_matrices(angle: torch.Tensor) -> torch.Tensor:
    """(B,) radians → (B, 2, 2) matrices [[cos, -sin], [sin, cos]]."""
    cos, sin = torch.cos(angle), torch.sin(angle)
    return torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)


def _flip_signs(flip: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B,) bool → (B,) -1 where flipped, +1 elsewhere."""
    return 1 - 2 * flip.to(dtype)


def _mirror_x(points: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """Negate X of the flipped clips' points (B, ..., 3) (flip: (B,) bool)."""
    signs = torch.ones(points.shape[0], 3, dtype=points.dtype, device=points.device)
    signs[:, 0] = _flip_signs(flip, points.dtype)
    return points * signs.view(points.shape[0], *[1] * (points.dim() - 2), 3)


def _swap_left_right(poses: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """Swap left/right joints of the flipped clips of ``poses`` (B, T, 17, D)."""
    swapped = poses.index_select(2, flip_permutation(poses.device))
    return torch.where(flip.view(-1, 1, 1, 1), swapped, poses)


def _transform_poses2d(
    poses2d: torch.Tensor, params: AugmentParams, height: int, width: int
) -> torch.Tensor:
    """p → c + zoom · R(θ) · flip · (p - c) for (B, T, 17, 2) pixels, then the joint swap."""
    dtype = poses2d.dtype
    centre_x, centre_y = (width - 1) / 2, (height - 1) / 2
    offset = torch.stack([poses2d[..., 0] - centre_x, poses2d[..., 1] - centre_y], dim=-1)
    # Flip negates x before the rotation, i.e. it scales the first column of the matrix.
    linear = _rotation_matrices(params.angle.to(dtype)) * params.zoom.to(dtype)[:, None, None]
    linear = torch.stack(
        [linear[..., 0] * _flip_signs(params.flip, dtype)[:, None], linear[..., 1]], dim=-1
    )
    moved = torch.einsum("bij,btkj->btki", linear, offset)
    moved = torch.stack([moved[..., 0] + centre_x, moved[..., 1] + centre_y], dim=-1)
    return _swap_left_right(moved, params.flip)


def _transform_poses3d(
    poses3d: torch.Tensor, params: AugmentParams, axis: torch.Tensor | None = None
) -> torch.Tensor:
    """Mirror X of flipped clips, rotate by θ about ``axis`` (B, T, 3; None: the camera z axis),
    swap joints."""
    dtype = poses3d.dtype
    mirrored = _mirror_x(poses3d, params.flip)
    cos = torch.cos(params.angle.to(dtype)).view(-1, 1, 1, 1)
    sin = torch.sin(params.angle.to(dtype)).view(-1, 1, 1, 1)
    if axis is None:
        axis = torch.zeros_like(mirrored[:, :, 0])
        axis[..., 2] = 1
    else:
        axis = _mirror_x(axis.to(dtype), params.flip)
    axis = axis[..., None, :].expand_as(mirrored)
    # Rodrigues: p cos θ + (a × p) sin θ + a (a·p)(1 - cos θ); about z, R(θ) on (X, Y).
    along = (axis * mirrored).sum(dim=-1, keepdim=True)
    moved = (
        mirrored * cos + torch.linalg.cross(axis, mirrored, dim=-1) * sin + axis * along * (1 - cos)
    )
    return _swap_left_right(moved, params.flip)


def hue_rotations(angle: torch.Tensor) -> torch.Tensor:
    """(B,) radians → (B, 3, 3) rotations of RGB vectors about the grey axis (1, 1, 1)/√3.

    Rodrigues' formula R = cos φ·I + sin φ·[k]ₓ + (1 - cos φ)·k kᵀ: grey stays grey and every
    colour keeps its mean over the channels; φ = 120° maps red → green → blue → red.
    """
    like = {"dtype": angle.dtype, "device": angle.device}
    # With k = (1, 1, 1)/√3: k kᵀ = ones/3 and [k]ₓ = the cyclic matrix below / √3.
    cross = torch.tensor([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], **like) / math.sqrt(3)
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    return cos * torch.eye(3, **like) + sin * cross + (1 - cos) * torch.full((3, 3), 1 / 3, **like)


def _apply_colour(clips: torch.Tensor, params: AugmentParams) -> torch.Tensor:
    """Colour-jitter float ``clips`` (B, T, 3, H, W), one draw per clip; clamps. Returns the
    result (``clips`` itself, changed in place, unless a hue rotation made a new tensor)."""
    batch = clips.shape[0]
    if params.hue is not None:
        rotation = hue_rotations(params.hue.to(clips.dtype))
        # A matmul, not einsum: the warp views the result as (B, T·3, H, W), so it must come
        # back in the input's contiguous layout.
        clips = torch.matmul(rotation[:, None], clips.flatten(3)).view(clips.shape)
    contrast = params.contrast.to(clips.dtype).view(batch, 1, 1, 1, 1)
    gain = params.gain.to(clips.dtype).view(batch, 1, 3, 1, 1)
    brightness = params.brightness.to(clips.dtype).view(batch, 1, 1, 1, 1)
    # Contrast stretches about the clip's mean grey (not each frame's) so that all frames of a
    # clip get the very same colour map.
    grey = clips.mean(dim=(1, 2, 3, 4), keepdim=True)
    scale = contrast * gain
    offset = (1 - contrast) * grey * gain + brightness
    return clips.mul_(scale).add_(offset).clamp_(0.0, 255.0)


def _sampling_theta(params: AugmentParams, height: int, width: int) -> torch.Tensor:
    """(B, 2, 3) ``affine_grid`` matrices mapping output to source normalised coordinates.

    In pixels, relative to the centre, the source of output offset q is flip · R(-θ) · q / zoom.
    With align_corners=True a normalised coordinate is that offset divided by the half-size
    h = ((W - 1) / 2, (H - 1) / 2), so entry (i, j) of the matrix gets a factor h_j / h_i.
    """
    dtype = torch.float32
    inverse = _rotation_matrices(-params.angle.to(dtype)) / params.zoom.to(dtype)[:, None, None]
    half_x, half_y = (width - 1) / 2, (height - 1) / 2
    row_x = inverse[:, 0] * _flip_signs(params.flip, dtype)[:, None]
    row_x = torch.stack([row_x[:, 0], row_x[:, 1] * (half_y / half_x)], dim=-1)
    row_y = torch.stack([inverse[:, 1, 0] * (half_x / half_y), inverse[:, 1, 1]], dim=-1)
    zeros = torch.zeros_like(row_x[:, :1])
    return torch.stack([torch.cat([row_x, zeros], -1), torch.cat([row_y, zeros], -1)], dim=1)


def _recolour_and_warp(frames: torch.Tensor, params: AugmentParams) -> torch.Tensor:
    """Colour then warp (B, T, H, W, 3) frames with one ``grid_sample`` call.

    The T frames of a clip share one transform, so they go through ``grid_sample`` as T·3
    channels of one image: one sampling grid per clip instead of per frame (T times less grid
    work, and the interpolation weights are computed once for all frames).
    """
    batch, clip_len, height, width, _ = frames.shape
    if not (params.geometric or params.photometric):
        return frames
    # Convert to float and to channel-first in one pass.
    clips = torch.empty(
        (batch, clip_len, 3, height, width), dtype=torch.float32, device=frames.device
    )
    clips.copy_(frames.permute(0, 1, 4, 2, 3))
    if params.photometric:
        clips = _apply_colour(clips, params)
    if params.geometric:
        theta = _sampling_theta(params, height, width)
        grid = F.affine_grid(theta, [batch, 1, height, width], align_corners=True)
        clips = F.grid_sample(
            clips.view(batch, clip_len * 3, height, width),
            grid,
            mode="bilinear",
            padding_mode="zeros",
            align_corners=True,
        ).view(batch, clip_len, 3, height, width)
    # A (B, T, H, W, 3) view of channel-first memory: callers that normalise permute back to
    # (B, T, 3, H, W), which is then contiguous again without a copy.
    warped = clips.permute(0, 1, 3, 4, 2)
    if frames.dtype == torch.uint8:
        # Bilinear weights are convex, so values stay within [0, 255] up to rounding.
        return warped.round_().to(torch.uint8)
    return warped.clamp_(0, 255).to(frames.dtype)
