"""Crop and camera geometry: model-input pixels ↔ camera-frame metres (the integral head's lift).

A clip's geometry is a :class:`Geometry` (what ``PoseModel.forward(frames, geometry)`` takes):

- ``crop`` (B, T, 3): the square crop (x0, y0, side) of each frame, in source-image pixels —
  the store's ``crop.npy``;
- ``intrinsics`` (B, 4): fx, fy, cx, cy of the source camera, pixels — ``intrinsics.npy``;
- ``input_size``: int S, the side of the square image the crop was resized to (the stored
  frames' side in a batch as read, the model input's side once the batch is prepared).

Model-input pixel (u, v) shows source pixel ``(x0 + u·side/S, y0 + v·side/S)`` — the store's
convention (stored pixel = (source - x0)·S_stored/side) carried to the resized input, so store
``poses2d`` become model-input pixels by ``poses2d · S / S_stored`` (:func:`poses2d_to_input`).

Without geometry :func:`default_geometry` stands in: the crop is the whole 1000 × 1000 image of
a Human3.6M-like camera, f = 1145 px, principal point at the centre. A video of unknown
camera gets :func:`vidpose.pose.camera.video_intrinsics`: the same field of view (f = 1.145 × the
longer image side, about 47° across it) unless the user gives the focal length, and the
principal point at the image centre; its crops are known, so each window still gets its own
geometry.

Root depth without ground truth (:func:`prior_root_depth`): a person crop spans about
``CROP_SPAN_M`` = 2 m at the person's distance (the crop is ~1.2 × the person's extent), so
``Z_root ≈ f · CROP_SPAN_M / side`` with f = sqrt(fx·fy); the integral head corrects it with a
learned factor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from vidpose.pose.camera import FOCAL_PER_SIDE, project_torch

#: The default camera's image side and focal length, pixels (Human3.6M-like).
DEFAULT_SOURCE_SIZE = 1000.0
DEFAULT_FOCAL = FOCAL_PER_SIDE * DEFAULT_SOURCE_SIZE
#: Metres a person crop spans at the person's distance: the size prior of the root depth.
CROP_SPAN_M = 2.0


@dataclass(frozen=True)
class Geometry:
    """The crop and camera of a batch of clips (module docstring): ``crop`` (B|1, T|1, 3) and
    ``intrinsics`` (B|1, 4), source-image pixels, and ``input_size`` S, the side of the square
    image the crop is shown at."""

    crop: torch.Tensor
    intrinsics: torch.Tensor
    input_size: int

    def at_size(self, input_size: int) -> Geometry:
        """The same crop shown at side ``input_size`` (a resized input)."""
        return replace(self, input_size=int(input_size))

    def to(
        self, device: torch.device | str | None, dtype: torch.dtype | None = None, **kwargs
    ) -> Geometry:
        """The geometry on ``device`` (and ``dtype``); ``kwargs`` go to ``Tensor.to``."""
        return replace(
            self,
            crop=self.crop.to(device, dtype, **kwargs),
            intrinsics=self.intrinsics.to(device, dtype, **kwargs),
        )

    def select(self, index) -> Geometry:
        """The clips ``index`` (an index or slice along the batch) of this geometry."""
        return replace(self, crop=self.crop[index], intrinsics=self.intrinsics[index])


def default_geometry(
    input_size: int, device: torch.device | None = None, dtype: torch.dtype = torch.float32
) -> Geometry:
    """The geometry used when none is given: crop = the whole 1000-px image of a camera with
    f = 1145 px and the principal point at the centre. Shapes (1, 1, 3) and (1, 4) broadcast
    over any batch and clip length."""
    side, focal = DEFAULT_SOURCE_SIZE, DEFAULT_FOCAL
    crop = torch.tensor([[[0.0, 0.0, side]]], device=device, dtype=dtype)
    intrinsics = torch.tensor([[focal, focal, side / 2, side / 2]], device=device, dtype=dtype)
    return Geometry(crop, intrinsics, int(input_size))


def make_geometry(crop, intrinsics, input_size: int, device=None) -> Geometry:
    """Geometry from the store arrays of a batch: ``crop`` (B, T, 3) and ``intrinsics`` (B, 4)
    (numpy or torch), as float32 tensors on ``device``."""
    return Geometry(
        torch.as_tensor(crop, dtype=torch.float32, device=device),
        torch.as_tensor(intrinsics, dtype=torch.float32, device=device),
        int(input_size),
    )


def poses2d_to_input(poses2d, stored_size: int, input_size: int):
    """Store ``poses2d`` (..., 17, 2), stored-frame pixels → model-input pixels (same kind)."""
    return poses2d * (float(input_size) / float(stored_size))


def _parts(geometry: Geometry) -> tuple[torch.Tensor, torch.Tensor, float]:
    """crop (B|1, T|1, 3), intrinsics (B|1, 1, 4) ready to broadcast over (B, T), and S."""
    crop, intrinsics = geometry.crop, geometry.intrinsics
    if crop.ndim != 3 or crop.shape[-1] != 3:
        raise ValueError(f"geometry crop must be (B, T, 3), got {tuple(crop.shape)}")
    if intrinsics.ndim != 2 or intrinsics.shape[-1] != 4:
        raise ValueError(f"geometry intrinsics must be (B, 4), got {tuple(intrinsics.shape)}")
    return crop, intrinsics[:, None, :], float(geometry.input_size)


def input_to_normalized(uv: torch.Tensor, geometry: Geometry) -> torch.Tensor:
    """Model-input pixels (B, T, J, 2) → normalised camera coordinates ((x - cx)/fx,
    (y - cy)/fy) (B, T, J, 2), via the crop."""
    crop, intrinsics, size = _parts(geometry)
    scale = crop[..., None, 2:3] / size  # source pixels per input pixel
    source = crop[..., None, :2] + uv * scale
    return (source - intrinsics[..., None, 2:4]) / intrinsics[..., None, 0:2]


def lift_to_camera(
    uv: torch.Tensor, depth: torch.Tensor, geometry: Geometry, axis: torch.Tensor | None = None
) -> torch.Tensor:
    """Model-input pixels (B, T, J, 2) and depths (B, T, J), metres → camera-frame points
    (B, T, J, 3), metres. Inverse of :func:`project_to_input`.

    ``axis`` None: the depths are camera Z, and the point is (x̂·Z, ŷ·Z, Z). ``axis`` (B, T, 3),
    a unit vector (:func:`crop_axis`): the depths are measured along it, and the point is the
    one on the pixel's ray r = (x̂, ŷ, 1) whose projection on the axis is the depth:
    r·depth / (r·axis)."""
    normalized = input_to_normalized(uv, geometry)
    rays = torch.cat([normalized, torch.ones_like(normalized[..., :1])], dim=-1)
    if axis is None:
        return rays * depth[..., None]
    along = (rays * axis[..., None, :]).sum(dim=-1, keepdim=True)
    return rays * (depth[..., None] / along)


def crop_axis(geometry: Geometry) -> torch.Tensor:
    """The unit ray (B|1, T|1, 3) through the centre of each crop, camera frame: the optical axis
    of a camera turned to look at the person (Yu et al. 2021's perspective crop). The centre is
    the input's centre pixel (S - 1)/2, which a flip mirrors about cx and a zoom keeps
    (:func:`augment_geometry`), so augmentation moves the axis exactly as it moves the scene."""
    crop, _, size = _parts(geometry)
    centre = torch.full_like(crop[..., None, :2], (size - 1) / 2)  # (B, T, 1, 2)
    normalized = input_to_normalized(centre, geometry)[..., 0, :]
    ray = torch.cat([normalized, torch.ones_like(normalized[..., :1])], dim=-1)
    return ray / ray.norm(dim=-1, keepdim=True)


def project_to_input(points: torch.Tensor, geometry: Geometry) -> torch.Tensor:
    """Camera-frame points (B, T, J, 3), metres (Z > 0) → model-input pixels (B, T, J, 2):
    the pinhole projection (vidpose.pose.camera) to source pixels, then the crop."""
    crop, _, size = _parts(geometry)
    source = project_torch(points, geometry.intrinsics.expand(points.shape[0], 4))
    return (source - crop[..., None, :2]) * (size / crop[..., None, 2:3])


def prior_root_depth(geometry: Geometry) -> torch.Tensor:
    """The size prior's root depth Z ≈ sqrt(fx·fy)·CROP_SPAN_M / side, metres, (B|1, T|1)."""
    crop, intrinsics, _ = _parts(geometry)
    focal = torch.sqrt(intrinsics[..., 0] * intrinsics[..., 1])
    return focal * CROP_SPAN_M / crop[..., 2]


def augment_geometry(geometry: Geometry, flip: torch.Tensor, zoom: torch.Tensor) -> Geometry:
    """The geometry of clips augmented by ``vidpose.clips.clip_augment`` with per-clip ``flip``
    (B,) bool and ``zoom`` (B,) (both about the input centre c = (S - 1)/2).

    A zoom by s is the crop shrunk by s about the same centre, exactly. A flip (x → S - 1 - x,
    3D X → -X) is the same picture from the mirrored camera: x0 → 2·cx - x0 - side·(S - 1)/S.
    In-plane rotation has no crop equivalent: the crop is left unrotated, and
    ``vidpose.clips.clip_augment`` turns the 3D pose about this geometry's :func:`crop_axis`
    instead (to second order in the crop's angle off the optical axis, the same picture).
    """
    crop, intrinsics, size = _parts(geometry)
    x0, y0, side = crop.unbind(-1)
    cx = intrinsics[..., 2]
    flip = flip.to(crop.device).view(-1, 1)
    x0 = torch.where(flip, 2 * cx - x0 - side * (size - 1) / size, x0)
    zoom = zoom.to(crop.dtype).view(-1, 1)
    centre = (size - 1) / 2 * side / size  # crop-relative source offset of the input centre
    x0 = x0 + centre * (1 - 1 / zoom)
    y0 = y0 + centre * (1 - 1 / zoom)
    return replace(geometry, crop=torch.stack([x0, y0, side / zoom], dim=-1))


def flip_geometry(geometry: Geometry) -> Geometry:
    """The geometry for horizontally mirrored inputs (test-time flip averaging)."""
    crop = geometry.crop
    batch = crop.shape[0]
    return augment_geometry(
        geometry,
        torch.ones(batch, dtype=torch.bool, device=crop.device),
        torch.ones(batch, dtype=crop.dtype, device=crop.device),
    )


def heatmap_coordinates(cells: int, input_side: int, device=None, dtype=None) -> torch.Tensor:
    """Model-input pixel coordinate (pixel centres at integers) of each of ``cells`` heatmap
    cells spanning ``input_side`` pixels: (cells,)."""
    step = input_side / cells
    index = torch.arange(cells, device=device, dtype=dtype)
    return (index + 0.5) * step - 0.5


__all__ = [
    "CROP_SPAN_M",
    "DEFAULT_FOCAL",
    "DEFAULT_SOURCE_SIZE",
    "Geometry",
    "augment_geometry",
    "crop_axis",
    "default_geometry",
    "flip_geometry",
    "heatmap_coordinates",
    "input_to_normalized",
    "lift_to_camera",
    "make_geometry",
    "poses2d_to_input",
    "prior_root_depth",
    "project_to_input",
]
