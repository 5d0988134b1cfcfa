"""Backgrounds: a textured floor and wall seen through the camera, a soft shadow, the light.

Each (sequence, camera) gets its own :class:`Scene`: procedural tileable textures (tiles,
planks, carpet, concrete; paint, bricks, panels), a wall behind the subject, a light direction
and the camera's image quality (blur, noise, gain). Floor and wall are drawn with exact
perspective by warping the textures through plane homographies into the cropped frame.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import cv2
import numpy as np

from vidpose.synth.studio_cameras import Camera


@dataclass(frozen=True)
class Scene:
    """Everything about a view that is not the person."""

    camera: Camera
    floor: np.ndarray  # (TEXTURE_PX, TEXTURE_PX, 3) uint8, tileable
    floor_m_per_px: float
    wall: np.ndarray
    wall_m_per_px: float
    wall_distance: float  # metres from the camera, along its horizontal view direction
    wainscot: tuple[float, float]  # height (m) and tint of the lower wall band; tint 1 = none
    props: tuple[np.ndarray, ...]  # boxes against the wall: (8, 3) corners, world, metres
    prop_colours: tuple[tuple[float, float, float], ...]
    light: np.ndarray  # (3,) unit vector towards the light, world frame
    blur_sigma: float  # in units of a 112-pixel frame
    noise_sigma: float  # grey levels
    gain: np.ndarray  # (3,) per-channel multiplier


def _smooth_noise(rng: np.random.Generator, size: int, cutoff: float) -> np.ndarray:
    """Tileable noise (size, size) with unit std, low-passed at ``cutoff`` cycles per image."""
    white = rng.standard_normal((size, size))
    fy = np.fft.fftfreq(size)[:, None] * size
    fx = np.fft.rfftfreq(size)[None, :] * size
    spectrum = np.fft.rfft2(white) * np.exp(-(fx**2 + fy**2) / (2 * cutoff**2))
    noise = np.fft.irfft2(spectrum, s=(size, size))
    return noise / (noise.std() + 1e-9)


def _palette(rng: np.random.Generator, low: int, high: int) -> np.ndarray:
    """A colour with brightness in [low, high], mostly muted like real rooms."""
    colour = rng.uniform(low, high, size=3)
    grey = colour.mean()
    return grey + rng.uniform(0.15, 0.8) * (colour - grey)


def _shade(base: np.ndarray, field: np.ndarray) -> np.ndarray:
    """Colour ``base`` (3,) modulated by a scalar field (H, W) around 1."""
    return np.clip(base[None, None, :] * field[..., None], 0, 255)


def floor_texture(rng: np.random.Generator, n: int = 256) -> tuple[np.ndarray, float]:
    """A tileable floor texture (n, n, 3) uint8 and its metres per texture pixel."""
    k = 256 / n  # patterns are laid out for 256 pixels; smaller textures have coarser pixels
    kind = rng.integers(4)
    yy, xx = (np.mgrid[0:n, 0:n] * k).astype(np.int64)
    grain = _smooth_noise(rng, n, rng.uniform(8, 40))
    if kind == 0:  # square tiles with grout
        count = int(rng.choice([4, 8]))
        cell = 256 // count
        checker = ((xx // cell + yy // cell) % 2).astype(float)
        a, b = _palette(rng, 90, 230), _palette(rng, 60, 200)
        image = np.where(checker[..., None] > 0, a, b) * (1 + 0.04 * grain[..., None])
        grout = (xx % cell < 2) | (yy % cell < 2)
        image[grout] *= 0.55
        return np.clip(image, 0, 255).astype(np.uint8), k * float(rng.uniform(0.012, 0.02))
    if kind == 1:  # wooden planks
        rows = int(rng.choice([8, 16]))
        height = 256 // rows
        board = yy // height
        offsets = rng.integers(0, n, size=rows)
        length = int(rng.choice([64, 128, 256]))
        seam = ((xx + offsets[board]) % length < 2) | (yy % height < 1)
        streaks = _smooth_noise(rng, n, 3)[(yy // k).astype(int) % n, (xx // 8) % n]
        tone = 1 + 0.12 * streaks + 0.1 * rng.standard_normal(rows)[board]
        image = _shade(_palette(rng, 90, 200) * np.array([1.0, 0.75, 0.5]), tone)
        image[seam] *= 0.6
        return image.astype(np.uint8), k * float(rng.uniform(0.008, 0.014))
    if kind == 2:  # carpet
        fine = rng.standard_normal((n, n))
        tone = 1 + 0.12 * grain + 0.06 * fine
        carpet = _shade(_palette(rng, 50, 200), tone).astype(np.uint8)
        return carpet, k * float(rng.uniform(0.01, 0.02))
    tone = 1 + 0.08 * grain + 0.05 * _smooth_noise(rng, n, 60)  # concrete
    grey = rng.uniform(110, 200) * (1 + rng.uniform(-0.06, 0.06, size=3))
    return _shade(grey, tone).astype(np.uint8), k * float(rng.uniform(0.01, 0.02))


def wall_texture(rng: np.random.Generator, n: int = 256) -> tuple[np.ndarray, float]:
    """A tileable wall texture (n, n, 3) uint8 and its metres per texture pixel."""
    k = 256 / n
    kind = rng.integers(4)
    yy, xx = (np.mgrid[0:n, 0:n] * k).astype(np.int64)
    grain = _smooth_noise(rng, n, rng.uniform(4, 20))
    base = _palette(rng, 70, 235)
    if kind == 0:  # painted
        return _shade(base, 1 + 0.05 * grain).astype(np.uint8), k * float(rng.uniform(0.01, 0.03))
    if kind == 1:  # bricks
        rows = 16
        height = 256 // rows
        row = yy // height
        shift = (row % 2) * 16
        brick = (row * 7 + (xx + shift) // 32) % 97
        tone = 1 + 0.08 * np.sin(brick * 12.9898) + 0.05 * grain
        image = _shade(base * np.array([1.0, 0.6, 0.5]), tone)
        mortar = (yy % height < 2) | ((xx + shift) % 32 < 2)
        image[mortar] = np.clip(0.35 * image[mortar] + 140, 0, 255)
        return image.astype(np.uint8), k * float(rng.uniform(0.0035, 0.005))
    if kind == 2:  # vertical panels
        width = int(rng.choice([32, 64]))
        tone = 1 + 0.04 * grain + 0.08 * np.sin(np.pi * (xx % width) / width)
        image = _shade(base, tone)
        image[xx % width < 2] *= 0.6
        return image.astype(np.uint8), k * float(rng.uniform(0.006, 0.012))
    stripes = int(rng.choice([4, 8, 16]))  # striped wallpaper
    other = _palette(rng, 70, 235)
    band = (xx * stripes // 256) % 2
    image = np.where(band[..., None] > 0, base, other) * (1 + 0.04 * grain[..., None])
    return np.clip(image, 0, 255).astype(np.uint8), k * float(rng.uniform(0.004, 0.01))


def _prefilter(texture: np.ndarray, minification: float) -> np.ndarray:
    """Blur a tileable texture (seamlessly) that will be shrunk ``minification`` times."""
    if minification < 1.3:
        return texture
    sigma = 0.45 * minification
    pad = min(int(3 * sigma) + 1, texture.shape[0])
    padded = np.pad(texture, ((pad, pad), (pad, pad), (0, 0)), mode="wrap")
    blurred = cv2.GaussianBlur(padded, (0, 0), sigma)
    return np.ascontiguousarray(blurred[pad:-pad, pad:-pad])


def make_scene(
    rng: np.random.Generator,
    camera: Camera,
    texture_px: int = 256,
    centre_xy=(0.0, 0.0),
    extent: float = 2.0,
    frame_px: int = 224,
) -> Scene:
    """A random scene for ``camera`` around a person moving within ``extent`` metres of
    ``centre_xy``: the wall stands behind that area. ``texture_px`` (a power of two ≤ 256)
    trades detail for speed (128 is plenty for small frames); ``frame_px`` is the side of the
    frames drawn, so textures are pre-blurred where they would shimmer (alias)."""
    floor, floor_m = floor_texture(rng, texture_px)
    wall, wall_m = wall_texture(rng, texture_px)
    azimuth, elevation = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.2)
    light = np.array([np.cos(azimuth), np.sin(azimuth), np.tan(elevation)]) * np.cos(elevation)
    to_centre = np.linalg.norm(camera.centre[:2] - np.asarray(centre_xy))
    wall_distance = float(to_centre + max(rng.uniform(3.0, 5.0), extent + 1.0))
    # a person crop shows about 2.2 m at the person's distance: frame pixels per metre there
    person_ppm = frame_px / 2.2
    wall = _prefilter(wall, 1 / (wall_m * person_ppm * to_centre / wall_distance))
    floor_depth = (to_centre + wall_distance) / 2
    floor = _prefilter(floor, 1 / (floor_m * person_ppm * to_centre / floor_depth))
    wainscot = (float(rng.uniform(0.8, 1.2)), float(rng.choice([1.0, rng.uniform(0.6, 1.3)])))
    props, colours = _props(rng, camera, wall_distance)
    return Scene(
        camera=camera,
        floor=floor,
        floor_m_per_px=floor_m,
        wall=wall,
        wall_m_per_px=wall_m,
        wall_distance=wall_distance,
        wainscot=wainscot,
        props=props,
        prop_colours=colours,
        light=light,
        blur_sigma=float(rng.uniform(0.3, 0.8)),
        noise_sigma=float(rng.uniform(1.5, 4.5)),
        gain=rng.uniform(0.85, 1.12) * rng.uniform(0.94, 1.06, size=3),
    )


def _props(rng: np.random.Generator, camera: Camera, wall_distance: float):
    """Up to three boxes (cabinets, crates, shelves) standing against the wall."""
    forward, right = _view_axes_of(camera)
    ground = np.array([camera.centre[0], camera.centre[1], 0.0])
    boxes, colours = [], []
    for _ in range(int(rng.integers(0, 4))):
        width, depth, height = rng.uniform([0.4, 0.3, 0.4], [1.6, 0.7, 2.0])
        along = rng.uniform(-3.5, 3.5)
        middle = ground + (wall_distance - depth / 2) * forward + along * right
        boxes.append(box_corners(middle, right, width, depth, height))
        colours.append(tuple(float(v) for v in _palette(rng, 40, 220)))
    return tuple(boxes), tuple(colours)


def box_corners(
    floor_centre: np.ndarray, right: np.ndarray, width: float, depth: float, height: float
) -> np.ndarray:
    """Corners (8, 3) of an upright box standing on the floor, ``width`` along ``right``."""
    right = np.asarray(right, np.float64) / np.linalg.norm(right)
    back = np.array([right[1], -right[0], 0.0])
    return np.array(
        [
            floor_centre + a * width / 2 * right + (b - 0.5) * depth * back + [0, 0, c * height]
            for a in (-1, 1)
            for b in (0, 1)
            for c in (0, 1)
        ]
    )


def with_box(scene: Scene, corners: np.ndarray, colour) -> Scene:
    """``scene`` with one more box (corners from :func:`box_corners`), e.g. a stool."""
    return replace(
        scene,
        props=(*scene.props, corners),
        prop_colours=(*scene.prop_colours, tuple(float(c) for c in colour)),
    )


# the faces of a box from :func:`box_corners` as corner indices (corner = 4a + 2b + c)
_BOX_FACES = (
    (0, 1, 5, 4),
    (2, 3, 7, 6),
    (0, 1, 3, 2),
    (4, 6, 7, 5),
    (1, 3, 7, 5),
    (0, 2, 6, 4),
)


def draw_props(image: np.ndarray, scene: Scene, frame_from_cam: np.ndarray) -> None:
    """Draw the boxes' faces that turn towards the camera, far boxes first, in place."""
    cam = scene.camera
    order = sorted(
        range(len(scene.props)),
        key=lambda i: -np.linalg.norm(scene.props[i].mean(axis=0) - cam.centre),
    )
    for i in order:
        corners = scene.props[i]
        centre = corners.mean(axis=0)
        for face in _BOX_FACES:
            points = corners[list(face)]
            normal = points.mean(axis=0) - centre
            normal /= np.linalg.norm(normal)
            if np.dot(normal, cam.centre - points.mean(axis=0)) <= 0:
                continue
            homog = (frame_from_cam @ cam.to_camera(points).T).T
            if (homog[:, 2] <= 0.1).any():
                continue
            polygon = homog[:, :2] / homog[:, 2:3]
            tone = 0.55 + 0.45 * max(0.0, float(np.dot(normal, scene.light)))
            colour = tuple(min(255.0, c * tone) for c in scene.prop_colours[i])
            fixed = np.round(np.clip(polygon, -1e5, 1e5) * (1 << SHIFT)).astype(np.int32)
            cv2.fillPoly(image, [fixed], colour, cv2.LINE_AA, SHIFT)
            edge = tuple(0.7 * c for c in colour)
            cv2.polylines(image, [fixed], True, edge, 1, cv2.LINE_AA, SHIFT)


def crop_matrix(scene: Scene, crop: np.ndarray, size: int) -> np.ndarray:
    """(3, 3) map from camera coordinates to homogeneous pixels of a frame of side ``size``."""
    fx, fy, cx, cy = scene.camera.intrinsics
    x0, y0, side = crop
    s = size / side
    return np.array([[fx * s, 0, (cx - x0) * s], [0, fy * s, (cy - y0) * s], [0, 0, 1.0]])


def _plane_homography(scene, frame_from_cam, origin, e1, e2, m_per_px) -> np.ndarray:
    cam = scene.camera
    plane = np.stack([cam.rotation @ e1, cam.rotation @ e2, cam.rotation @ (origin - cam.centre)])
    return frame_from_cam @ plane.T @ np.diag([m_per_px, m_per_px, 1.0])


def _view_axes(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    return _view_axes_of(scene.camera)


def _view_axes_of(camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal unit view direction and the horizontal unit vector to its right (world)."""
    forward = camera.rotation[2].copy()
    forward[2] = 0
    forward /= np.linalg.norm(forward)
    return forward, np.array([forward[1], -forward[0], 0.0])


@functools.lru_cache(maxsize=8)
def _pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    return xs, ys


def render_background(scene: Scene, crop: np.ndarray, size: int) -> np.ndarray:
    """The floor and wall as seen in the crop (3,) = (x0, y0, side), as (size, size, 3) uint8."""
    frame_from_cam = crop_matrix(scene, crop, size)
    forward, right = _view_axes(scene)
    cam_ground = np.array([scene.camera.centre[0], scene.camera.centre[1], 0.0])
    wall_origin = cam_ground + scene.wall_distance * forward
    up = np.array([0.0, 0.0, 1.0])
    flags = dict(flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    h_floor = _plane_homography(
        scene, frame_from_cam, cam_ground, right, forward, scene.floor_m_per_px
    )
    h_wall = _plane_homography(scene, frame_from_cam, wall_origin, right, -up, scene.wall_m_per_px)
    floor = cv2.warpPerspective(scene.floor, h_floor, (size, size), **flags)
    wall = cv2.warpPerspective(scene.wall, h_wall, (size, size), **flags)

    # the floor shows below the line where it meets the wall
    to_frame = frame_from_cam @ scene.camera.rotation
    ends = [to_frame @ end_point for end_point in _wall_ends(scene)]
    line = np.cross(ends[0], ends[1])
    inside = to_frame @ (cam_ground + 0.5 * scene.wall_distance * forward - scene.camera.centre)
    xs, ys = _pixel_grid(size)
    side_of = line[0] * xs + line[1] * ys + line[2]
    floor_side = np.sign(line @ (inside / inside[2]))
    height, tint = scene.wainscot
    if tint != 1.0:
        # the lower band of the wall, up to a rail at ``height``, is painted another shade
        rail = [to_frame @ (end_point + [0, 0, height]) for end_point in _wall_ends(scene)]
        rail_line = np.cross(rail[0], rail[1])
        below = np.sign(rail_line @ (inside / inside[2]))
        band = (rail_line[0] * xs + rail_line[1] * ys + rail_line[2]) * below > 0
        wall[band] = np.clip(wall[band] * tint, 0, 255).astype(np.uint8)
        a, b = (end[:2] / end[2] for end in rail)
        rail_colour = tuple(float(v) for v in 0.75 * scene.wall[0, 0])
        cv2.line(wall, fixed_point(a), fixed_point(b), rail_colour, 1, cv2.LINE_AA, SHIFT)
    image = floor
    np.copyto(image, wall, where=(side_of * floor_side <= 0)[..., None])
    a, b = (end[:2] / end[2] for end in ends)
    thickness = max(1, int(round(0.06 * frame_from_cam[0, 0] / ends[0][2])))
    skirting = tuple(float(v) for v in 0.5 * scene.wall[0, 0])
    cv2.line(image, fixed_point(a), fixed_point(b), skirting, thickness, cv2.LINE_AA, SHIFT)
    draw_props(image, scene, frame_from_cam)
    return image


def _wall_ends(scene: Scene) -> list[np.ndarray]:
    """Two far points of the wall's foot, relative to the camera centre (world axes)."""
    forward, right = _view_axes(scene)
    cam = scene.camera.centre
    foot = np.array([cam[0], cam[1], 0.0]) + scene.wall_distance * forward - cam
    return [foot - 30.0 * right, foot + 30.0 * right]


SHIFT = 4  # cv2 drawing with 1/16-pixel precision


def fixed_point(point) -> tuple[int, int]:
    """Pixel coordinates → cv2 fixed point; far-off points are clamped to stay in int range."""
    x = min(max(float(point[0]), -1e5), 1e5)
    y = min(max(float(point[1]), -1e5), 1e5)
    return int(round(x * (1 << SHIFT))), int(round(y * (1 << SHIFT)))


def draw_shadow(image: np.ndarray, scene: Scene, crop: np.ndarray, ground_xy: np.ndarray) -> None:
    """Darken a soft ellipse on the floor under the person, in place."""
    size = image.shape[0]
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = np.stack(
        [ground_xy[0] + 0.38 * np.cos(angles), ground_xy[1] + 0.3 * np.sin(angles), 0 * angles],
        -1,
    )
    homog = (crop_matrix(scene, crop, size) @ scene.camera.to_camera(ring).T).T
    polygon = homog[:, :2] / homog[:, 2:3]
    sigma = max(0.5, 0.02 * size)
    pad = 3 * sigma + 1
    x0, y0 = np.floor(np.maximum(polygon.min(axis=0) - pad, 0)).astype(int)
    x1, y1 = np.ceil(np.minimum(polygon.max(axis=0) + pad, size)).astype(int)
    if x1 <= x0 or y1 <= y0:
        return
    # only the shadow's own rectangle is blurred and darkened: much cheaper than the frame
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    local = np.round((polygon - [x0, y0]) * (1 << SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [local], 255, cv2.LINE_AA, SHIFT)
    mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    darken = 1.0 - (0.45 / 255.0) * mask.astype(np.float32)[..., None]
    region = image[y0:y1, x0:x1]
    region[:] = (region * darken).astype(np.uint8)
