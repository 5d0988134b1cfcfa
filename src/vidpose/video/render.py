"""Animations of 3D poses: the video with its crop box and 2D skeleton beside a 3D view.

Coordinates are the camera frame of the poses (x right, y down, z forward, metres,
root-relative). The 3D view shows x across, z (depth) into the picture and -y up, with axes fixed
for the whole animation and a floor grid at the lowest foot of the clip. Left limbs are blue,
right limbs red, the spine grey, as in most pose figures.

Without camera intrinsics the 2D overlay uses a weak-perspective projection
(:func:`weak_perspective_project`): the root-relative joints' x, y scaled and shifted so their
bounding box fills the crop square the way the training crops were made (the longer side of the
joints' box is the crop side / 1.2, centred). It shows what the model thinks, not a calibrated
reprojection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from vidpose.clips.crops import CROP_MARGIN
from vidpose.pose.skeleton import BONES, LEFT_JOINTS, RIGHT_JOINTS

LEFT_RGB = (40, 110, 230)
RIGHT_RGB = (230, 60, 50)
CENTRE_RGB = (150, 150, 150)
BOX_RGB = (60, 220, 90)
PANEL_HEIGHT = 400


def joint_colours() -> list[tuple[int, int, int]]:
    """RGB per joint (17): blue for left, red for right, grey on the midline."""
    colours = [CENTRE_RGB] * 17
    for joint in LEFT_JOINTS:
        colours[int(joint)] = LEFT_RGB
    for joint in RIGHT_JOINTS:
        colours[int(joint)] = RIGHT_RGB
    return colours


def bone_colours() -> list[tuple[int, int, int]]:
    """RGB per bone of ``BONES`` (16): the colour of the bone's child joint."""
    colours = joint_colours()
    return [colours[int(child)] for child, _ in BONES]


def weak_perspective_project(poses3d: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """Root-relative poses (F, 17, 3), metres, → image points (F, 17, 2), pixels.

    ``squares`` (F, 3) are the crops (x0, y0, side). Per frame, (x, y) are scaled so the longer
    side of the joints' bounding box is ``side / 1.2`` and the box centre is the crop centre,
    which inverts how training crops were cut around the projected joints.
    """
    poses3d = np.asarray(poses3d, dtype=np.float64)
    squares = np.asarray(squares, dtype=np.float64)
    xy = poses3d[..., :2]
    low, high = xy.min(axis=1), xy.max(axis=1)  # (F, 2)
    extent = np.maximum((high - low).max(axis=1), 1e-6)  # (F,)
    scale = squares[:, 2] / CROP_MARGIN / extent
    centre = squares[:, :2] + squares[:, 2:3] / 2
    return (xy - (low + high)[:, None, :] / 2) * scale[:, None, None] + centre[:, None, :]


def draw_skeleton_2d(image: np.ndarray, joints2d: np.ndarray, thickness: int = 2) -> None:
    """Draw bones and joints (17, 2), pixels, onto an RGB uint8 image in place."""
    import cv2

    points = np.round(joints2d).astype(np.int64)
    for (child, parent), colour in zip(BONES, bone_colours(), strict=True):
        start, end = tuple(map(int, points[parent])), tuple(map(int, points[child]))
        cv2.line(image, start, end, colour, thickness, cv2.LINE_AA)
    for point, colour in zip(points, joint_colours(), strict=True):
        cv2.circle(image, tuple(map(int, point)), thickness + 1, colour, -1, cv2.LINE_AA)


def draw_square(image: np.ndarray, square: np.ndarray, thickness: int = 2) -> None:
    """Outline the crop ``square`` (x0, y0, side) on an RGB uint8 image in place."""
    import cv2

    x0, y0, side = (int(round(float(v))) for v in square)
    cv2.rectangle(image, (x0, y0), (x0 + side, y0 + side), BOX_RGB, thickness, cv2.LINE_AA)


class SkeletonView3D:
    """A matplotlib 3D view with fixed axes that renders poses (17, 3) to RGB images.

    The limits are chosen once from every pose it will show (``all_poses``, (..., 17, 3)), so
    the view never jumps: x and z within ±r around the root, and up from the floor (the lowest
    foot over all frames) by 2r.
    """

    def __init__(self, all_poses: np.ndarray, size: int = PANEL_HEIGHT, title: str = "") -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        points = np.asarray(all_poses, dtype=np.float64).reshape(-1, 3)
        points = points[np.isfinite(points).all(axis=1)]
        if not len(points):
            points = np.zeros((1, 3))
        radius = max(0.9, 1.1 * float(np.abs(points[:, [0, 2]]).max()))
        self.floor = float(points[:, 1].max())  # y points down: the lowest point is the max
        self.figure = plt.figure(figsize=(size / 100, size / 100), dpi=100)
        self.axes = self.figure.add_subplot(projection="3d")
        axes = self.axes
        axes.set_xlim(-radius, radius)
        axes.set_ylim(-radius, radius)
        axes.set_zlim(-self.floor, -self.floor + 2 * radius)
        axes.set_box_aspect((1, 1, 1))
        axes.view_init(elev=12, azim=-75)
        axes.set_xlabel("x (m)", labelpad=-8)
        axes.set_ylabel("depth (m)", labelpad=-8)
        axes.set_zlabel("up (m)", labelpad=-8)
        axes.tick_params(labelsize=6, pad=-3)
        # Seen from the front, the depth axis is short on screen: few ticks, or they overlap.
        axes.xaxis.set_major_locator(MaxNLocator(nbins=4))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=2))
        axes.zaxis.set_major_locator(MaxNLocator(nbins=4))
        if title:
            axes.set_title(title, fontsize=9)
        grid = np.linspace(-radius, radius, 9)
        for value in grid:
            axes.plot([value, value], [-radius, radius], [-self.floor] * 2, color="0.8", lw=0.6)
            axes.plot([-radius, radius], [value, value], [-self.floor] * 2, color="0.8", lw=0.6)
        self.figure.tight_layout(pad=0.3)
        # Blitting: the axes, grid and labels never change, so draw them once and afterwards
        # only the bones (``animated`` lines, left out of full draws). Ten times faster.
        self.figure.canvas.draw()
        self.background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        self.artists: list[list] = []

    def _lines(self, slot: int, style: str, alpha: float) -> list:
        while len(self.artists) <= slot:
            self.artists.append([])
        if not self.artists[slot]:
            for colour in bone_colours():
                (line,) = self.axes.plot(
                    [], [], [], color=np.asarray(colour) / 255, lw=2.2, ls=style, alpha=alpha,
                    animated=True,
                )  # fmt: skip
                self.artists[slot].append(line)
        return self.artists[slot]

    def render(self, poses: list[np.ndarray], styles: list[str] | None = None) -> np.ndarray:
        """Draw each pose (17, 3) (solid, then dashed) and return the view as RGB (S, S, 3)."""
        styles = styles or ["-", "--"]
        canvas = self.figure.canvas
        canvas.restore_region(self.background)
        for slot, pose in enumerate(poses):
            lines = self._lines(slot, styles[slot % len(styles)], 1.0 if slot == 0 else 0.75)
            for line, (child, parent) in zip(lines, BONES, strict=True):
                segment = pose[[parent, child]]
                line.set_data_3d(segment[:, 0], segment[:, 2], -segment[:, 1])
                self.axes.draw_artist(line)
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def close(self) -> None:
        import matplotlib.pyplot as plt

        plt.close(self.figure)


def fit_height(image: np.ndarray, height: int) -> np.ndarray:
    import cv2

    if image.shape[0] == height:
        return image
    scale = height / image.shape[0]
    width = max(1, int(round(image.shape[1] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


def side_by_side(left: np.ndarray, right: np.ndarray, height: int = PANEL_HEIGHT) -> np.ndarray:
    """Two RGB images scaled to ``height`` and joined left to right; even width and height."""
    joined = np.concatenate([fit_height(left, height), fit_height(right, height)], axis=1)
    return joined[: joined.shape[0] // 2 * 2, : joined.shape[1] // 2 * 2]


def video_animation_frames(
    frames: Iterable[np.ndarray], poses3d: np.ndarray, squares: np.ndarray
) -> Iterator[np.ndarray]:
    """Yield side-by-side RGB frames: video with crop box and projected skeleton | 3D view.

    ``frames`` are the video frames (H, W, 3) the poses (F, 17, 3) were predicted for, and
    ``squares`` (F, 3) their crop squares (x0, y0, side).
    """
    joints2d = weak_perspective_project(poses3d, squares)
    view = SkeletonView3D(poses3d, title="prediction (camera frame)")
    try:
        for index, frame in enumerate(frames):
            if index >= len(poses3d):
                break
            image = np.array(frame, copy=True)
            thickness = max(1, int(round(max(image.shape[:2]) / 250)))
            draw_square(image, squares[index], thickness)
            draw_skeleton_2d(image, joints2d[index], thickness)
            yield side_by_side(image, view.render([poses3d[index]]))
    finally:
        view.close()


def clip_animation_frames(
    frames: np.ndarray,
    gt_poses3d: np.ndarray,
    gt_poses2d: np.ndarray | None = None,
    pred_poses3d: np.ndarray | None = None,
) -> Iterator[np.ndarray]:
    """Yield side-by-side RGB frames for a dataset clip: frame with the ground-truth 2D
    skeleton | 3D view with the ground truth (solid) and, if given, the prediction (dashed).

    ``frames`` (T, H, W, 3) uint8; ``gt_poses3d``/``pred_poses3d`` (T, 17, 3) metres;
    ``gt_poses2d`` (T, 17, 2) pixels in the frames.
    """
    shown = [gt_poses3d] + ([pred_poses3d] if pred_poses3d is not None else [])
    title = "ground truth (solid)" + (", prediction (dashed)" if pred_poses3d is not None else "")
    view = SkeletonView3D(np.stack(shown), title=title)
    try:
        for index, frame in enumerate(frames):
            # Stored clips are small (64-224 px); enlarge before drawing so lines stay crisp.
            image = fit_height(np.asarray(frame), PANEL_HEIGHT)
            if gt_poses2d is not None:
                scale = PANEL_HEIGHT / frame.shape[0]
                draw_skeleton_2d(image, gt_poses2d[index] * scale, thickness=3)
            poses = [pose[index] for pose in shown]
            yield side_by_side(image, view.render(poses))
    finally:
        view.close()
