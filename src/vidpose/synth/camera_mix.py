"""A seeded mix of camera kinds for pose-only synthetic data (``synth --poses-only --cameras
mix``): the cameras real videos are filmed with, not only Human3.6M's studio.

Each camera draws its kind with the kind's ``share``, then its placement from the kind's
uniform ranges. Two ways of aiming: a kind with ``tilt_deg`` is pitched down by that angle (as
Human3.6M's cameras are, whatever the person's height); the others look at a point
``aim_height_m`` above the floor on the take's centre line, so a camera 8 m up looks down at the
person and one at knee height looks up. ``offcentre`` turns the camera sideways by up to that
fraction of its half field of view, so the person stands off the image's centre and, near 1,
partly outside it; ``follow`` is the share of cameras that pan to follow the person
(:class:`vidpose.synth.virtual_cameras.Cameras`), as a camera operator or a phone does.
Focal lengths are given per image side (``focal_per_side`` × the longer side; Human3.6M's
1145 px over 1000 px is 1.145, a phone's main camera 0.7-1.1, a broadcast zoom 1.5-5).

:data:`CAMERA_KINDS`, the shares summing to 1 (the figures for Human3.6M are docs/human36m.md's,
measured on its released files):

| kind | share | images (w × h) | f / long side | height m | distance m | tilt, aim m | follow |
|---|---|---|---|---|---|---|---|
| ``h36m`` | 0.40 | 1000 × 1000, 1000 × 1002 | 1.145-1.15 | 1.46-1.63 | 4.3-6.1 | 10.5-16° | 0 |
| ``phone_landscape`` | 0.15 | 1920 × 1080, 1280 × 720 | 0.7-1.1 | 0.9-1.9 | 2.5-8 | 0.6-1.3 | 0.5 |
| ``phone_portrait`` | 0.15 | 1080 × 1920, 720 × 1280 | 0.7-1.1 | 0.9-1.9 | 2-6 | 0.6-1.3 | 0.5 |
| ``broadcast`` | 0.10 | 1920 × 1080, 1280 × 720 | 1.5-5 | 2-12 | 12-45 | 0.7-1.2 | 1 |
| ``low`` | 0.05 | 1920 × 1080, 1080 × 1920 | 0.5-1.0 | 0.2-0.7 | 2.5-6 | 0.8-1.4 | 0.3 |
| ``high`` | 0.08 | 1920 × 1080, 1280 × 720 | 0.6-1.4 | 3-9 | 3-12 | 0.3-1.0 | 0.3 |
| ``close`` | 0.07 | 1920 × 1080, 1080 × 1920 | 0.7-1.1 | 1.0-1.8 | 1.2-2.5 | 0.9-1.6 | 0.5 |

``offcentre`` is 0 for ``h36m`` (whose aim wanders ±0.3 m instead), 0.5 for the phones, 0.3
for broadcast and high, 0.4 for low and 0.9 for close; roll ±2° (h36m, high), ±5° (phones,
close), ±1° (broadcast), ±3° (low). Every camera stands at least 1 m outside the circle the
take's joints move in, so close-ups of a take that travels stand further back. The principal
point lies at the image centre ± 0.4 % of the width (Human3.6M: ± 4 px).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.synth.virtual_cameras import Cameras, look_rotations, ring_positions

LANDSCAPE = ((1920, 1080), (1280, 720))
PORTRAIT = ((1080, 1920), (720, 1280))


@dataclass(frozen=True)
class CameraKind:
    """One kind of camera placement (see the module docstring for the fields' meaning)."""

    share: float
    image_sizes: tuple[tuple[int, int], ...]
    focal_per_side: tuple[float, float]
    height_m: tuple[float, float]
    distance_m: tuple[float, float]
    tilt_deg: tuple[float, float] | None = None
    aim_height_m: tuple[float, float] | None = None
    aim_jitter_m: float = 0.0
    offcentre: float = 0.0
    roll_deg: float = 2.0
    follow: float = 0.0


CAMERA_KINDS: dict[str, CameraKind] = {
    "h36m": CameraKind(
        0.40, ((1000, 1000), (1000, 1002)), (1.145, 1.15), (1.46, 1.63), (4.3, 6.1),
        tilt_deg=(10.5, 16.0), aim_jitter_m=0.3,
    ),
    "phone_landscape": CameraKind(
        0.15, LANDSCAPE, (0.7, 1.1), (0.9, 1.9), (2.5, 8.0),
        aim_height_m=(0.6, 1.3), offcentre=0.5, roll_deg=5.0, follow=0.5,
    ),
    "phone_portrait": CameraKind(
        0.15, PORTRAIT, (0.7, 1.1), (0.9, 1.9), (2.0, 6.0),
        aim_height_m=(0.6, 1.3), offcentre=0.5, roll_deg=5.0, follow=0.5,
    ),
    "broadcast": CameraKind(
        0.10, LANDSCAPE, (1.5, 5.0), (2.0, 12.0), (12.0, 45.0),
        aim_height_m=(0.7, 1.2), offcentre=0.3, roll_deg=1.0, follow=1.0,
    ),
    "low": CameraKind(
        0.05, (LANDSCAPE[0], PORTRAIT[0]), (0.5, 1.0), (0.2, 0.7), (2.5, 6.0),
        aim_height_m=(0.8, 1.4), offcentre=0.4, roll_deg=3.0, follow=0.3,
    ),
    "high": CameraKind(
        0.08, LANDSCAPE, (0.6, 1.4), (3.0, 9.0), (3.0, 12.0),
        aim_height_m=(0.3, 1.0), offcentre=0.3, roll_deg=2.0, follow=0.3,
    ),
    "close": CameraKind(
        0.07, (LANDSCAPE[0], PORTRAIT[0]), (0.7, 1.1), (1.0, 1.8), (1.2, 2.5),
        aim_height_m=(0.9, 1.6), offcentre=0.9, roll_deg=5.0, follow=0.5,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class CameraMix:
    """Cameras drawn from ``kinds`` (name → :class:`CameraKind`, default :data:`CAMERA_KINDS`)
    by their shares."""

    kinds: dict[str, CameraKind] = field(default_factory=lambda: dict(CAMERA_KINDS))

    def check(self) -> CameraMix:
        shares = np.array([kind.share for kind in self.kinds.values()])
        if not len(shares) or (shares < 0).any() or not np.isclose(shares.sum(), 1.0):
            raise UserError(f"camera mix: the kinds' shares must sum to 1, got {shares.sum():g}")
        return self

    def record(self) -> dict:
        """The settings as stores record them (meta.json)."""
        return {"kind": "mix", "kinds": {name: asdict(k) for name, k in self.kinds.items()}}

    def sample(
        self, rng: np.random.Generator, count: int, centre_xy: np.ndarray, extent_m: float
    ) -> Cameras:
        """``count`` cameras around a take centred at ``centre_xy`` (2,) whose joints stay
        within ``extent_m`` of it horizontally; each at least 1 m outside that circle."""
        names = list(self.kinds)
        shares = np.array([self.kinds[name].share for name in names])
        picks = rng.choice(len(names), size=count, p=shares / shares.sum())
        parts = [self._one(rng, self.kinds[names[i]], centre_xy, extent_m) for i in picks]
        return Cameras(*(np.stack([part[i] for part in parts]) for i in range(6)))

    @staticmethod
    def _one(rng: np.random.Generator, kind: CameraKind, centre_xy: np.ndarray, extent_m: float):
        """(rotation, centre, intrinsics, image size, follow, target) of one camera."""
        width, height_px = kind.image_sizes[rng.integers(len(kind.image_sizes))]
        focal = rng.uniform(*kind.focal_per_side) * max(width, height_px)
        distance = max(rng.uniform(*kind.distance_m), extent_m + 1.0)
        height = rng.uniform(*kind.height_m)
        azimuth = rng.uniform(0.0, 2 * np.pi)
        centre = ring_positions(centre_xy, np.array([azimuth]), np.array([distance]), [height])[0]
        aim = centre_xy + rng.uniform(-kind.aim_jitter_m, kind.aim_jitter_m, 2)
        heading = aim - centre[:2]
        if kind.tilt_deg is not None:
            tilt = np.deg2rad(rng.uniform(*kind.tilt_deg))
        else:
            drop = height - rng.uniform(*kind.aim_height_m)
            tilt = np.arctan2(drop, np.linalg.norm(heading))
        half_fov = np.arctan2(width / 2, focal)
        turn = rng.uniform(-1.0, 1.0) * kind.offcentre * half_fov
        c, s = np.cos(turn), np.sin(turn)
        heading = np.array([c * heading[0] - s * heading[1], s * heading[0] + c * heading[1]])
        roll = np.deg2rad(rng.uniform(-kind.roll_deg, kind.roll_deg))
        rotation = look_rotations(heading[None], np.array([tilt]), np.array([roll]))[0]
        principal = (np.array([width, height_px]) - 1) / 2 + rng.normal(0.0, 0.004 * width, 2)
        intrinsics = np.array([focal, focal, principal[0], principal[1]])
        follow = rng.uniform() < kind.follow
        return rotation, centre, intrinsics, np.array([width, height_px]), follow, aim
