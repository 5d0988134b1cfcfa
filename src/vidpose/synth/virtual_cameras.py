"""Random virtual cameras around a take, for pose-only synthetic data (``synth --poses-only``).

Two ways to draw them:

- :class:`CameraRanges` (``--cameras ranges``, the default): one kind of placement with uniform
  ranges the command line can set. Each camera stands at a random azimuth around the take's
  centre, at a distance, height, focal length and downward tilt drawn uniformly from the
  ranges, turned towards the take (with a little jitter of aim and roll) and pitched down by
  the tilt, on a ``IMAGE_SIZE`` pixels square image with the principal point near the centre.
  The defaults are Human3.6M-like: 4-6 m from the centre, 1.3-1.8 m up, tilted 8-16° down
  (its four cameras: about 5 m, 1.5-1.6 m, 10-16°), f ≈ 1145 px on a 1000-pixel image.
- :class:`vidpose.synth.camera_mix.CameraMix` (``--cameras mix``): a seeded mix of named
  kinds of placement, Human3.6M's studio and the phone and broadcast footage real videos come
  from (portrait and landscape images, wide and long lenses, low and high viewpoints, the person
  partly out of frame, cameras that pan to follow the person).

Camera coordinates follow OpenCV (x right, y down, z forward, metres); the world is z up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from vidpose.infra.errors import UserError

IMAGE_SIZE = 1000  # pixels, width = height, of the CameraRanges cameras
MIN_DEPTH_M = 0.1  # every joint must be at least this far in front of the camera
FOLLOW_SMOOTHING_S = 1.0  # a following camera turns towards the pelvis averaged over this long
FPS = 50.0  # frame rate of the takes the cameras see (the built-in motions', --motion files')


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

    def record(self) -> dict:
        """The settings as stores record them (meta.json)."""
        return {"kind": "ranges", **asdict(self), "image_size": [IMAGE_SIZE, IMAGE_SIZE]}

    def sample(
        self, rng: np.random.Generator, count: int, centre_xy: np.ndarray, extent_m: float
    ) -> Cameras:
        """``count`` cameras around a take centred at ``centre_xy`` (2,) whose joints stay
        within ``extent_m`` of it horizontally; cameras stand at least 1 m outside that circle."""
        azimuth = rng.uniform(0.0, 2 * np.pi, count)
        distance = np.maximum(rng.uniform(*self.distance_m, count), extent_m + 1.0)
        height = rng.uniform(*self.height_m, count)
        tilt = np.deg2rad(rng.uniform(*self.tilt_deg, count))
        roll = np.deg2rad(rng.uniform(-2.0, 2.0, count))
        aim = centre_xy + rng.uniform(-0.3, 0.3, (count, 2))  # where the camera is turned to
        focal = rng.uniform(*self.focal_px, count)
        principal = IMAGE_SIZE / 2 + rng.normal(0.0, 4.0, (count, 2))
        centres = ring_positions(centre_xy, azimuth, distance, height)
        heading = aim - centres[:, :2]
        intrinsics = np.stack([focal, focal, principal[:, 0], principal[:, 1]], axis=-1)
        return Cameras(
            rotations=look_rotations(heading, tilt, roll),
            centres=centres,
            intrinsics=intrinsics,
            image_sizes=np.full((count, 2), IMAGE_SIZE, np.int64),
            follow=np.zeros(count, bool),
            target_xy=np.tile(np.asarray(centre_xy, np.float64), (count, 1)),
        )


@dataclass(frozen=True)
class Cameras:
    """``n`` pinhole cameras: world→camera rotations (n, 3, 3), centres (n, 3) m, intrinsics
    (n, 4) = fx, fy, cx, cy px, image sizes (n, 2) = width, height px. A camera with ``follow``
    pans about the world's vertical axis to keep the take's pelvis (smoothed over
    :data:`FOLLOW_SMOOTHING_S`) where ``target_xy`` (n, 2), the point it was aimed by, was."""

    rotations: np.ndarray
    centres: np.ndarray
    intrinsics: np.ndarray
    image_sizes: np.ndarray
    follow: np.ndarray
    target_xy: np.ndarray

    def to_camera(self, world: np.ndarray) -> np.ndarray:
        """World points (F, J, 3) → (n, F, J, 3) in each camera's frame, metres. For a
        following camera the pan of frame f is the turn from ``target_xy`` to the smoothed
        pelvis (joint 0) of frame f, seen from the camera."""
        frames, joints, _ = world.shape
        shifted = world[None] - self.centres[:, None, None, :]  # (n, F, J, 3)
        if self.follow.any():
            pan = self.pan_angles(world[:, 0, :2])  # (n, F)
            c, s = np.cos(-pan)[..., None], np.sin(-pan)[..., None]
            x, y = shifted[..., 0], shifted[..., 1]
            shifted = np.stack([c * x - s * y, s * x + c * y, shifted[..., 2]], axis=-1)
        return np.einsum("nij,nfkj->nfki", self.rotations, shifted)

    def pan_angles(self, pelvis_xy: np.ndarray) -> np.ndarray:
        """(n, F) radians each camera turns about the vertical in each frame (0 for a fixed
        camera) to follow ``pelvis_xy`` (F, 2), the pelvis's track, smoothed."""
        track = smooth_track(pelvis_xy, int(round(FOLLOW_SMOOTHING_S * FPS)))
        to_track = track[None] - self.centres[:, None, :2]
        to_target = self.target_xy - self.centres[:, :2]
        pan = (
            np.arctan2(to_track[..., 1], to_track[..., 0])
            - np.arctan2(to_target[:, 1], to_target[:, 0])[:, None]
        )
        pan = (pan + np.pi) % (2 * np.pi) - np.pi
        return np.where(self.follow[:, None], pan, 0.0)

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


def smooth_track(track: np.ndarray, window: int) -> np.ndarray:
    """(F, D) → the centred moving average over ``window`` frames (edges repeated)."""
    if window <= 1 or len(track) < 2:
        return np.asarray(track, np.float64)
    half = window // 2
    padded = np.concatenate([np.repeat(track[:1], half, 0), track, np.repeat(track[-1:], half, 0)])
    sums = np.cumsum(np.concatenate([np.zeros((1, track.shape[1])), padded]), axis=0)
    size = 2 * half + 1
    return (sums[size:] - sums[:-size]) / size


def ring_positions(
    centre_xy: np.ndarray, azimuth: np.ndarray, distance: np.ndarray, height: np.ndarray
) -> np.ndarray:
    """(n, 3) world positions at ``azimuth`` (n,) radians, ``distance`` (n,) m from
    ``centre_xy`` (2,) horizontally, ``height`` (n,) m above the floor."""
    return np.stack(
        [
            centre_xy[0] + distance * np.cos(azimuth),
            centre_xy[1] + distance * np.sin(azimuth),
            height,
        ],
        axis=-1,
    )


def look_rotations(heading_xy: np.ndarray, tilt: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(n, 3, 3) world→camera rotations of cameras facing horizontal direction ``heading_xy``
    (n, 2), pitched down by ``tilt`` (n,) and rolled by ``roll`` (n,) radians: the rows are
    the camera's right, down and forward axes in world coordinates."""
    heading = heading_xy / np.linalg.norm(heading_xy, axis=-1, keepdims=True)
    zeros = np.zeros(len(heading))
    forward = np.stack(
        [np.cos(tilt) * heading[:, 0], np.cos(tilt) * heading[:, 1], -np.sin(tilt)], axis=-1
    )
    right = np.stack([heading[:, 1], -heading[:, 0], zeros], axis=-1)  # forward × z, level
    down = np.cross(forward, right)
    c, s = np.cos(roll)[:, None], np.sin(roll)[:, None]
    right, down = c * right + s * down, -s * right + c * down
    return np.stack([right, down, forward], axis=1)


def sample_cameras(
    rng: np.random.Generator, count: int, centre_xy: np.ndarray, extent_m: float, ranges
) -> Cameras:
    """``count`` random cameras around a take centred at ``centre_xy`` (2,) whose joints stay
    within ``extent_m`` of it horizontally, drawn by ``ranges`` (:class:`CameraRanges` or
    :class:`~vidpose.synth.camera_mix.CameraMix`)."""
    return ranges.sample(rng, count, np.asarray(centre_xy, np.float64), float(extent_m))
