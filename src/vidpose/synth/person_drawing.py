"""Drawing a person: shaded limbs with perspective thickness, depth-ordered, on a scene.

The person is built from parts — a tube per limb segment, torso and hip polygons, a head with
hair, face and eyes, hands and shoes — each drawn at its own depth, far parts first (painter's
algorithm), so near limbs hide far ones. Thickness comes from each part's radius in metres and
its distance, so depth shows in the image as in real video. Frames are drawn directly at the
output size (optionally supersampled) through the crop-adjusted projection.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidpose.synth.body import Subject
from vidpose.synth.scene import (
    SHIFT,
    Scene,
    crop_matrix,
    draw_shadow,
    fixed_point,
    render_background,
)

ONE = 1 << SHIFT


def _unit(vec: np.ndarray) -> np.ndarray:
    return vec / (np.linalg.norm(vec) + 1e-9)


def _colour(rgb, factor: float) -> tuple[float, float, float]:
    return tuple(float(min(255.0, c * factor)) for c in rgb)


class _Canvas:
    """Projects camera-frame points into the frame and draws anti-aliased primitives."""

    def __init__(self, image: np.ndarray, frame_from_cam: np.ndarray, light_cam: np.ndarray):
        self.image = image
        self.matrix = frame_from_cam
        self.focal = frame_from_cam[0, 0]  # pixels per metre at one metre depth
        light = light_cam[:2]
        self.light2d = light / (np.linalg.norm(light) + 1e-9)
        self.light_cam = light_cam

    def px(self, point: np.ndarray) -> np.ndarray:
        homog = self.matrix @ point
        return homog[:2] / homog[2]

    def radius(self, radius_m: float, point: np.ndarray) -> float:
        return radius_m * self.focal / max(point[2], 1e-3)

    def tube(self, a: np.ndarray, b: np.ndarray, radius_m: float, rgb) -> None:
        """A shaded cylinder with round caps from ``a`` to ``b`` (camera frame)."""
        pa, pb = self.px(a), self.px(b)
        r = self.radius(radius_m, (a + b) / 2)
        passes = ((1.0, 0.62, 0.0), (0.72, 0.9, 0.12), (0.3, 1.12, 0.3))
        for width, tone, offset in passes:
            shift = -self.light2d * offset * r
            thickness = max(1, int(round(2 * r * width)))
            cv2.line(
                self.image,
                fixed_point(pa + shift),
                fixed_point(pb + shift),
                _colour(rgb, tone),
                thickness,
                cv2.LINE_AA,
                SHIFT,
            )

    def ball(self, centre: np.ndarray, radius_m: float, rgb, shaded: bool = True) -> None:
        c = self.px(centre)
        r = self.radius(radius_m, centre)
        layers = ((1.0, 0.65, 0.0), (0.8, 0.9, 0.15), (0.4, 1.1, 0.35)) if shaded else ((1, 1, 0),)
        for size, tone, offset in layers:
            radius = max(1, int(round(r * size * ONE)))
            cv2.circle(
                self.image,
                fixed_point(c - self.light2d * offset * r),
                radius,
                _colour(rgb, tone),
                -1,
                cv2.LINE_AA,
                SHIFT,
            )

    def polygon(self, points: list[np.ndarray], rgb, edge_m: float) -> None:
        poly = np.array([self.px(p) for p in points])
        fixed = np.round(poly * ONE).astype(np.int32)
        cv2.fillPoly(self.image, [fixed], _colour(rgb, 1.0), cv2.LINE_AA, SHIFT)
        depth = float(np.mean([p[2] for p in points]))
        edge = max(1, int(round(self.radius(edge_m, np.array([0, 0, depth])))))
        cv2.polylines(self.image, [fixed], True, _colour(rgb, 0.65), edge, cv2.LINE_AA, SHIFT)


def _body_parts(add, canvas: _Canvas, j: np.ndarray, subject: Subject, up_cam: np.ndarray):
    """Queue the torso, hips, legs and arms of joints ``j`` (17, 3) with ``add``."""
    r = subject.radii
    right = _unit(j[1] - j[4])
    torso_up = _unit(j[8] - j[0])
    forward = _unit(np.cross(torso_up, right))
    flat_forward = _unit(forward - np.dot(forward, up_cam) * up_cam)
    torso_tone = 0.75 + 0.35 * abs(float(np.dot(forward, canvas.light_cam)))
    sleeve = subject.skin if subject.short_sleeves else subject.shirt
    shin = subject.skin if subject.shorts else subject.pants

    hip_out = {1: j[1] + 0.35 * (j[1] - j[0]), 4: j[4] + 0.35 * (j[4] - j[0])}
    belly = j[7] - 0.05 * torso_up
    chest = [j[11], j[14], hip_out[1] + 0.08 * torso_up, hip_out[4] + 0.08 * torso_up]
    shirt = _colour(subject.shirt, torso_tone)
    add(chest, lambda: canvas.tube(j[8], belly, r["torso"], subject.shirt))
    add(chest, lambda: canvas.polygon(chest, shirt, 0.02))
    hips = [
        hip_out[4] + 0.1 * torso_up,
        hip_out[1] + 0.1 * torso_up,
        hip_out[1] - 0.05 * torso_up,
        hip_out[4] - 0.05 * torso_up,
    ]
    pants = _colour(subject.pants, torso_tone)
    add([p - 0.01 * forward for p in hips], lambda: canvas.polygon(hips, pants, 0.015))

    for hip, knee, ankle in ((1, 2, 3), (4, 5, 6)):
        toe = j[ankle] + 0.15 * flat_forward - 0.06 * up_cam
        add(
            [j[hip], j[knee]],
            lambda a=j[hip], b=j[knee]: canvas.tube(a, b, r["thigh"], subject.pants),
        )
        add([j[knee], j[ankle]], lambda a=j[knee], b=j[ankle]: canvas.tube(a, b, r["shin"], shin))
        add([j[ankle], toe], lambda a=j[ankle], b=toe: canvas.tube(a, b, r["foot"], subject.shoes))
    for shoulder, elbow, wrist in ((11, 12, 13), (14, 15, 16)):
        hand = j[wrist] + 0.06 * _unit(j[wrist] - j[elbow])
        add(
            [j[shoulder], j[elbow]],
            lambda a=j[shoulder], b=j[elbow]: canvas.tube(a, b, r["upper_arm"], subject.shirt),
        )
        add(
            [j[elbow], j[wrist]],
            lambda a=j[elbow], b=j[wrist]: canvas.tube(a, b, r["forearm"], sleeve),
        )
        add([hand], lambda c=hand: canvas.ball(c, r["hand"], subject.skin))


def _head_parts(add, canvas: _Canvas, j: np.ndarray, subject: Subject) -> None:
    """Queue the neck and the head (face, hair, eyes where the face turns to the camera)."""
    r = subject.radii
    chest_right = _unit(j[14] - j[11])
    head_up = _unit(j[10] - j[8])
    head_forward = _unit(np.cross(head_up, chest_right))
    centre = j[9] + 0.5 * (j[10] - j[9])
    head_r = r["head"]
    add([j[8], j[9]], lambda: canvas.tube(j[8], j[9], r["neck"], subject.skin))
    face = centre + 0.15 * head_r * head_forward
    hair = centre - 0.22 * head_r * head_forward + 0.18 * head_r * head_up
    layers = sorted(
        [(face, 0.9 * head_r, subject.skin), (hair, 0.92 * head_r, subject.hair)],
        key=lambda item: -item[0][2],
    )
    facing = float(np.dot(head_forward, -_unit(centre)))
    eye_side = _unit(np.cross(head_forward, head_up))

    def head():
        for c, radius, rgb in layers:
            canvas.ball(c, radius, rgb)
        if facing > 0.15:  # eyes only where the face turns towards the camera
            for sign in (-1, 1):
                eye = centre + 0.85 * head_r * head_forward + sign * 0.35 * head_r * eye_side
                canvas.ball(eye, 0.08 * head_r, (35, 25, 20), shaded=False)

    add([centre], head)


def draw_person(
    image: np.ndarray,
    joints: np.ndarray,
    subject: Subject,
    frame_from_cam: np.ndarray,
    light_cam: np.ndarray,
    up_cam: np.ndarray,
) -> None:
    """Draw the person with joints (17, 3) in camera coordinates (metres) onto ``image``.

    ``frame_from_cam`` (3, 3) maps camera coordinates to homogeneous frame pixels (see
    :func:`vidpose.synth.scene.crop_matrix`); ``light_cam`` and ``up_cam`` are unit vectors
    towards the light and up, in camera coordinates. Parts are drawn far to near (painter's
    order by their mean depth).
    """
    canvas = _Canvas(image, frame_from_cam, light_cam)
    parts: list[tuple[float, callable]] = []

    def add(depth_points, draw):
        parts.append((float(np.mean([p[2] for p in depth_points])), draw))

    _body_parts(add, canvas, joints, subject, up_cam)
    _head_parts(add, canvas, joints, subject)
    for _, draw in sorted(parts, key=lambda item: -item[0]):
        draw()


def render_clip(
    scene: Scene,
    subject: Subject,
    joints_cam: np.ndarray,
    ground_xy: np.ndarray,
    crops: np.ndarray,
    size: int,
    rng: np.random.Generator,
    supersample: int = 1,
) -> np.ndarray:
    """Frames (T, size, size, 3) uint8 of joints (T, 17, 3) in camera coordinates.

    ``ground_xy`` (T, 2) is the world floor point under the person (for the shadow), ``crops``
    (T, 3) the square crop of each frame in source-image pixels; ``rng`` draws sensor noise.
    """
    big = size * supersample
    up_cam = scene.camera.rotation @ np.array([0.0, 0.0, 1.0])
    light_cam = scene.camera.rotation @ scene.light
    frames = np.empty((len(joints_cam), size, size, 3), np.uint8)
    sigma = scene.blur_sigma * size / 112.0
    gain = scene.gain.astype(np.float32)
    for t, (joints, crop) in enumerate(zip(joints_cam, crops, strict=True)):
        image = render_background(scene, crop, big)
        draw_shadow(image, scene, crop, ground_xy[t])
        draw_person(image, joints, subject, crop_matrix(scene, crop, big), light_cam, up_cam)
        if supersample > 1:
            image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        image = cv2.GaussianBlur(image, (0, 0), sigma)
        noise = rng.standard_normal(image.shape, dtype=np.float32)
        noise *= scene.noise_sigma
        noise += image * gain
        np.clip(noise, 0, 255, out=noise)
        frames[t] = noise
    return frames
