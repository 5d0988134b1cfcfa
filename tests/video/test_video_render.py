import numpy as np

from vidpose.video.encode import count_decodable_frames, write_video
from vidpose.video.render import (
    BOX_RGB,
    SkeletonView3D,
    clip_animation_frames,
    video_animation_frames,
    weak_perspective_project,
)


def standing_pose() -> np.ndarray:
    """A plausible upright pose (17, 3), metres, camera frame (y down), pelvis at 0."""
    return np.array(
        [
            [0, 0, 0], [-0.13, 0, 0], [-0.13, 0.45, 0], [-0.13, 0.9, 0],
            [0.13, 0, 0], [0.13, 0.45, 0], [0.13, 0.9, 0],
            [0, -0.25, 0], [0, -0.5, 0], [0, -0.6, 0], [0, -0.75, 0],
            [0.18, -0.5, 0], [0.3, -0.25, 0], [0.35, 0.0, 0],
            [-0.18, -0.5, 0], [-0.3, -0.25, 0], [-0.35, 0.0, 0],
        ],
        dtype=np.float64,
    )  # fmt: skip


def test_weak_perspective_fills_the_crop_like_a_training_crop():
    poses = np.stack([standing_pose(), standing_pose() * 0.5])
    squares = np.array([[10.0, 20.0, 120.0], [0.0, 0.0, 60.0]])
    points = weak_perspective_project(poses, squares)
    for frame_points, (x0, y0, side) in zip(points, squares, strict=True):
        low, high = frame_points.min(axis=0), frame_points.max(axis=0)
        np.testing.assert_allclose((high - low).max(), side / 1.2)
        np.testing.assert_allclose((low + high) / 2, [x0 + side / 2, y0 + side / 2])
    # y down in the camera frame stays y down in the image: the head is above the ankles.
    assert points[0, 10, 1] < points[0, 3, 1]


def test_3d_view_renders_fixed_size_images_that_follow_the_pose():
    pose = standing_pose()
    view = SkeletonView3D(np.stack([pose, pose + [0.3, 0, 0]]), size=200)
    first = view.render([pose])
    moved = view.render([pose + [0.3, 0, 0]])
    view.close()
    assert first.shape == moved.shape == (200, 200, 3) and first.dtype == np.uint8
    assert np.abs(first.astype(int) - moved.astype(int)).sum() > 0


def test_video_animation_shows_box_and_writes_a_decodable_file(tmp_path):
    frames = np.full((5, 90, 120, 3), 30, np.uint8)
    poses = np.stack([standing_pose() + [0.05 * t, 0, 0] for t in range(5)])
    squares = np.tile([30.0, 10.0, 60.0], (5, 1))
    images = list(video_animation_frames(frames, poses, squares))
    assert len(images) == 5
    assert all(image.shape == images[0].shape for image in images)
    assert images[0].shape[0] % 2 == 0 and images[0].shape[1] % 2 == 0
    left = images[0][:, : images[0].shape[0] * 120 // 90]
    assert np.any(np.all(np.abs(left.astype(int) - BOX_RGB) < 40, axis=-1))  # the crop box
    path = write_video(tmp_path / "anim.gif", images, fps=10)
    assert count_decodable_frames(path) == 5


def test_clip_animation_overlays_prediction(tmp_path):
    gt = np.stack([standing_pose() + [0.02 * t, 0, 0] for t in range(4)])
    frames = np.zeros((4, 64, 64, 3), np.uint8)
    poses2d = 32 + gt[..., :2] * 30
    alone = list(clip_animation_frames(frames, gt, poses2d))
    both = list(clip_animation_frames(frames, gt, poses2d, pred_poses3d=gt * 0.8))
    assert len(alone) == len(both) == 4
    assert alone[0].shape == both[0].shape
    assert np.abs(alone[0].astype(int) - both[0].astype(int)).sum() > 0


def _overlapping_tick_labels(view: SkeletonView3D) -> list:
    """Pairs of tick labels of one axis whose drawn boxes overlap, and labels drawn outside
    the figure."""
    renderer = view.figure.canvas.get_renderer()
    figure_box = view.figure.bbox
    problems = []
    for name in ("xaxis", "yaxis", "zaxis"):
        axis = getattr(view.axes, name)
        low, high = sorted(axis.get_view_interval())
        boxes = [
            (tick.label1.get_text(), tick.label1.get_window_extent(renderer))
            for tick in axis.get_major_ticks()
            if tick.label1.get_visible()
            and tick.label1.get_text()
            and low - 1e-9 <= tick.get_loc() <= high + 1e-9  # ticks beyond the limits are not drawn
        ]
        for i, (text, box) in enumerate(boxes):
            problems += [(name, text, other) for other, o in boxes[i + 1 :] if box.overlaps(o)]
            if box.x1 > figure_box.x1 + 1 or box.x0 < figure_box.x0 - 1:
                problems.append((name, text, "outside the figure"))
    return problems


def test_the_3d_views_tick_labels_do_not_overlap():
    for spread in (0.3, 0.9, 2.0, 4.0):  # one person, or several at their roots
        pose = standing_pose()
        view = SkeletonView3D(np.stack([pose + [-spread, 0, spread], pose + [spread, 0, -spread]]))
        try:
            assert _overlapping_tick_labels(view) == [], spread
        finally:
            view.close()
