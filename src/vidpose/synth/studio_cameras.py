"""Human3.6M-like cameras, projection and the square person crop.

Camera coordinates follow OpenCV: x right, y down, z forward (metres). A source image is
1000 × 1000 pixels with f ≈ 1145 px, like Human3.6M's. A stored frame of side ``size`` shows the
crop square (x0, y0, side) of the source image, so a source pixel u maps to
``(u - x0) * size / side`` (:func:`to_stored`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidpose.clips.crops import CROP_MARGIN
from vidpose.pose.camera import project

#: Human3.6M camera ids, in the order of their placement azimuths below.
CAMERA_IDS = ("54138969", "55011271", "58860488", "60457274")
SOURCE_IMAGE_SIZE = 1000

#: Description of the crop convention written to meta.json.
CROP_CONVENTION = {
    "crop": "crop.npy (N, T, 3) = x0, y0, side of the square crop in source-image pixels",
    "source_image_size": [SOURCE_IMAGE_SIZE, SOURCE_IMAGE_SIZE],
    "intrinsics": "intrinsics.npy (N, 4) = fx, fy, cx, cy in source-image pixels",
    "projection": (
        "P = poses3d + root[..., None, :] (camera frame, metres, x right, y down, z forward); "
        "u = (fx * X / Z + cx - x0) * S / side, v = (fy * Y / Z + cy - y0) * S / side, "
        "with S the stored frame size; this equals poses2d"
    ),
    "crop_rule": f"square around the projected joints, side = {CROP_MARGIN} x the longer side",
}


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: world→camera rotation (3, 3), centre (3,) metres, fx fy cx cy px."""

    rotation: np.ndarray
    centre: np.ndarray
    intrinsics: np.ndarray

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) → camera coordinates (..., 3), metres."""
        return (np.asarray(points, np.float64) - self.centre) @ self.rotation.T

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """Camera-frame points (..., 3) → source-image pixels (..., 2)."""
        return project(points_cam, self.intrinsics)


def look_at(centre: np.ndarray, target: np.ndarray, roll: float = 0.0) -> np.ndarray:
    """World→camera rotation (3, 3) of a camera at ``centre`` looking at ``target`` (z up)."""
    forward = target - centre
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    c, s = np.cos(roll), np.sin(roll)
    right, down = c * right + s * down, -s * right + c * down
    return np.stack([right, down, forward])


def place_cameras(
    rng: np.random.Generator, centre_xy=(0.0, 0.0), extent: float = 0.0
) -> list[Camera]:
    """Four cameras around ``centre_xy`` like Human3.6M's, with jitter: ≈5 m away, ≈1.5 m up.

    Cameras stay at least 2.5 m outside ``extent``, the radius the person moves within.
    """
    cameras = []
    for k in range(len(CAMERA_IDS)):
        azimuth = np.deg2rad(45 + 90 * k + rng.uniform(-12, 12))
        distance = max(rng.uniform(4.6, 5.8), extent + 2.5)
        height = rng.uniform(1.3, 1.8)
        centre = np.array(
            [
                centre_xy[0] + distance * np.cos(azimuth),
                centre_xy[1] + distance * np.sin(azimuth),
                height,
            ]
        )
        target = np.array(
            [
                centre_xy[0] + rng.uniform(-0.3, 0.3),
                centre_xy[1] + rng.uniform(-0.3, 0.3),
                rng.uniform(0.8, 1.2),
            ]
        )
        focal = 1145.0 + rng.normal(0, 3)
        intrinsics = np.array(
            [focal, focal + rng.normal(0, 1.5), 500 + rng.normal(0, 4), 500 + rng.normal(0, 4)]
        )
        rotation = look_at(centre, target, roll=np.deg2rad(rng.uniform(-2, 2)))
        cameras.append(Camera(rotation, centre, intrinsics))
    return cameras


def crop_boxes(points2d: np.ndarray, margin: float = CROP_MARGIN) -> np.ndarray:
    """Square crops (..., 3) = (x0, y0, side) around projected joints (..., 17, 2).

    The square is centred on the joints' bounding box and its side is ``margin`` × the box's
    longer side, like the person crops of Human3.6M pipelines.
    """
    low, high = points2d.min(axis=-2), points2d.max(axis=-2)
    side = margin * (high - low).max(axis=-1)
    centre = (low + high) / 2
    return np.concatenate([centre - side[..., None] / 2, side[..., None]], axis=-1)


def to_stored(points2d: np.ndarray, crop: np.ndarray, size: int) -> np.ndarray:
    """Source-image pixels (..., J, 2) → stored-frame pixels, for crops (..., 3)."""
    scale = size / crop[..., None, 2:3]
    return (points2d - crop[..., None, :2]) * scale


def project_to_stored(
    poses3d: np.ndarray, root: np.ndarray, intrinsics: np.ndarray, crop: np.ndarray, size: int
) -> np.ndarray:
    """Stored-frame pixels (N, T, 17, 2) from a store's root-relative poses3d (N, T, 17, 3),
    root (N, T, 3), intrinsics (N, 4) and crop (N, T, 3), for frames of side ``size``."""
    points = np.asarray(poses3d, np.float64) + np.asarray(root, np.float64)[..., None, :]
    intr = np.asarray(intrinsics, np.float64)[:, None, None, :]
    fx, fy, cx, cy = intr[..., 0], intr[..., 1], intr[..., 2], intr[..., 3]
    u = fx * points[..., 0] / points[..., 2] + cx
    v = fy * points[..., 1] / points[..., 2] + cy
    return to_stored(np.stack([u, v], axis=-1), np.asarray(crop, np.float64), size)
