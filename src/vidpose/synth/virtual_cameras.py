"""Random virtual cameras around a take, for pose-only synthetic data (``synth --poses-only``).

Each camera stands at a random azimuth around the take's centre, at a distance, height, focal
length and downward tilt drawn uniformly from :class:`CameraRanges`, turned towards the take
(with a little jitter of aim and roll) and pitched down by the tilt. Camera coordinates follow
OpenCV (x right, y down, z forward, metres); images are ``IMAGE_SIZE`` pixels square with the
principal point near the centre. The defaults are Human3.6M's: cameras 4–6 m from the centre,
1.3–1.8 m up, tilted 8–16° down (its four cameras: about 5 m, 1.5–1.6 m, 10–16°), f ≈ 1145 px
on a 1000-pixel image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidpose.infra.errors import UserError

IMAGE_SIZE = 1000  # pixels, width = height
MIN_DEPTH_M = 0.1  # every joint must be at least this far in front of the camera


@dataclass(frozen=True)
class CameraRanges:
    """Uniform ranges (low, high) of the virtual cameras' placement."""

    height_m: tuple[float, float] = (1.3, 1.8)
    distance_m: tuple[float, float] = (4.0, 6.0)  # from the take's centre, horizontally
    focal_px: tuple[float, float] = (1140.0, 1150.0)
    tilt_deg: tuple[float, float] = (8.0, 16.0)  # downward pitch of the optical axis

    def check(self) -> CameraRanges:
        limits = {
            "height_m": (0.0, 50.0),
            "distance_m": (0.5, 200.0),
            "focal_px": (50.0, 50_000.0),
            "tilt_deg": (-80.0, 80.0),
        }
        for name, (low, high) in limits.items():
            a, b = getattr(self, name)
            if not (low <= a <= b <= high):
                raise UserError(
                    f"camera {name} range ({a:g}, {b:g}) must lie in [{low:g}, {high:g}]"
                )
        return self


@dataclass(frozen=True)
class Cameras:
    """``n`` pinhole cameras: world→camera rotations (n, 3, 3), centres (n, 3) m, and
    intrinsics (n, 4) = fx, fy, cx, cy px."""

    rotations: np.ndarray
    centres: np.ndarray
    intrinsics: np.ndarray

    def to_camera(self, world: np.ndarray) -> np.ndarray:
        """World points (F, J, 3) → (n, F, J, 3) in each camera's frame, metres."""
        n, (frames, joints, _) = len(self.centres), world.shape
        shifted = world.reshape(1, -1, 3) - self.centres[:, None, :]
        return (shifted @ self.rotations.transpose(0, 2, 1)).reshape(n, frames, joints, 3)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Camera-frame points (n, F, J, 3) → pixels (n, F, J, 2)."""
        k = self.intrinsics[:, None, None, :]
        z = points[..., 2]
        return np.stack(
            [
                k[..., 0] * points[..., 0] / z + k[..., 2],
                k[..., 1] * points[..., 1] / z + k[..., 3],
            ],
            axis=-1,
        )


def sample_cameras(
    rng: np.random.Generator,
    count: int,
    centre_xy: np.ndarray,
    extent_m: float,
    ranges: CameraRanges,
) -> Cameras:
    """``count`` random cameras around a take centred at ``centre_xy`` (2,) whose joints stay
    within ``extent_m`` of it horizontally; cameras stand at least 1 m outside that circle."""
    azimuth = rng.uniform(0.0, 2 * np.pi, count)
    distance = np.maximum(rng.uniform(*ranges.distance_m, count), extent_m + 1.0)
    height = rng.uniform(*ranges.height_m, count)
    tilt = np.deg2rad(rng.uniform(*ranges.tilt_deg, count))
    roll = np.deg2rad(rng.uniform(-2.0, 2.0, count))
    aim = centre_xy + rng.uniform(-0.3, 0.3, (count, 2))  # where the camera is turned to
    focal = rng.uniform(*ranges.focal_px, count)
    principal = IMAGE_SIZE / 2 + rng.normal(0.0, 4.0, (count, 2))

    centres = np.stack(
        [
            centre_xy[0] + distance * np.cos(azimuth),
            centre_xy[1] + distance * np.sin(azimuth),
            height,
        ],
        axis=-1,
    )
    heading = aim - centres[:, :2]
    heading /= np.linalg.norm(heading, axis=-1, keepdims=True)
    zeros = np.zeros(count)
    forward = np.stack(
        [np.cos(tilt) * heading[:, 0], np.cos(tilt) * heading[:, 1], -np.sin(tilt)], axis=-1
    )
    right = np.stack([heading[:, 1], -heading[:, 0], zeros], axis=-1)  # forward × z, level
    down = np.cross(forward, right)
    c, s = np.cos(roll)[:, None], np.sin(roll)[:, None]
    right, down = c * right + s * down, -s * right + c * down
    intrinsics = np.stack([focal, focal, principal[:, 0], principal[:, 1]], axis=-1)
    return Cameras(np.stack([right, down, forward], axis=1), centres, intrinsics)
