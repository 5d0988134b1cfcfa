from dataclasses import replace

import numpy as np

from vidpose.synth.body import PARAMS, forward_kinematics, make_subject
from vidpose.synth.person_drawing import draw_person, render_clip
from vidpose.synth.scene import crop_matrix, make_scene, render_background
from vidpose.synth.studio_cameras import Camera, crop_boxes, look_at

SIZE = 128
RED, BLUE, GREY = (255, 0, 0), (0, 0, 255), 128


def _subject():
    return replace(make_subject("S1"), skin=RED, shirt=BLUE, short_sleeves=True, hair=(0, 255, 0))


def _pose(**angles):
    params = {name: np.zeros(1) for name in PARAMS}
    params.update({k: np.array([v]) for k, v in angles.items()})
    return forward_kinematics(_subject(), params)  # (1, 17, 3), facing +y


def _camera(distance=5.0, behind=False):
    centre = np.array([0.0, distance if not behind else -distance, 1.5])  # faces +y
    rotation = look_at(centre, np.array([0.0, 0.0, 1.0]))
    return Camera(rotation, centre, np.array([1145.0, 1145.0, 500.0, 500.0]))


def _draw(world, camera, crop=None):
    joints = camera.to_camera(world[0])
    crop = crop_boxes(camera.project(joints)) if crop is None else crop
    scene = make_scene(np.random.default_rng(0), camera)
    image = np.full((SIZE, SIZE, 3), GREY, np.uint8)
    up = camera.rotation @ [0.0, 0.0, 1.0]
    draw_person(image, joints, _subject(), crop_matrix(scene, crop, SIZE), up, up)
    stored = (crop_matrix(scene, crop, SIZE) @ joints.T).T
    return image, stored[:, :2] / stored[:, 2:], crop


def _person_mask(image):
    return np.abs(image.astype(int) - GREY).sum(-1) > 30


def test_person_covers_the_body_and_not_the_corners():
    image, joints2d, _ = _draw(_pose(), _camera())
    mask = _person_mask(image)
    for j in (0, 7, 8, 10, 2, 5):
        x, y = np.round(joints2d[j]).astype(int)
        assert mask[y, x], f"joint {j} not drawn"
    assert not mask[:5, :5].any() and not mask[-5:, -5:].any()
    assert 0.08 < mask.mean() < 0.6


def test_near_parts_hide_far_ones():
    # right forearm folded across the chest
    world = _pose(r_sh_flex=0.6, r_sh_rot=1.1, r_elbow=1.9)
    mid = (world[0, 15] + world[0, 16]) / 2

    def colour_at_forearm(camera):
        image, _, crop = _draw(world, camera)
        point = crop_matrix(
            make_scene(np.random.default_rng(0), camera), crop, SIZE
        ) @ camera.to_camera(mid)
        x, y = np.round(point[:2] / point[2]).astype(int)
        return image[y, x].astype(int)

    front = colour_at_forearm(_camera())  # forearm between camera and chest: skin (red)
    back = colour_at_forearm(_camera(behind=True))  # chest between camera and forearm: shirt
    assert front[0] > front[2] + 60
    assert back[2] > back[0] + 60


def test_thickness_shrinks_with_distance():
    world = _pose()
    near = _camera(3.0)
    crop = crop_boxes(near.project(near.to_camera(world[0])))
    near_image, _, _ = _draw(world, near, crop)
    far_image, _, _ = _draw(world, _camera(6.0), crop)
    ratio = _person_mask(near_image).sum() / _person_mask(far_image).sum()
    assert 2.5 < ratio < 6  # area goes with 1 / distance squared


def test_floor_below_and_wall_above_the_person():
    camera = _camera()
    scene = replace(
        make_scene(np.random.default_rng(0), camera),
        floor=np.full((64, 64, 3), (0, 200, 0), np.uint8),
        wall=np.full((64, 64, 3), (200, 0, 200), np.uint8),
    )
    crop = crop_boxes(camera.project(camera.to_camera(_pose()[0])))
    background = render_background(scene, crop, SIZE).astype(int)
    assert background[-3, SIZE // 2, 1] > 150 and background[-3, SIZE // 2, 0] < 60  # floor
    assert background[3, SIZE // 2, 0] > 150 and background[3, SIZE // 2, 1] < 60  # wall


def test_render_clip_gives_noisy_frames_of_the_person():
    camera = _camera()
    world = np.repeat(_pose(), 3, axis=0)
    joints = camera.to_camera(world)
    crops = crop_boxes(camera.project(joints))
    scene = make_scene(np.random.default_rng(0), camera, 128)
    frames = render_clip(
        scene, _subject(), joints, world[:, 0, :2], crops, 48, np.random.default_rng(1), 2
    )
    assert frames.shape == (3, 48, 48, 3) and frames.dtype == np.uint8
    assert not np.array_equal(frames[0], frames[1])  # sensor noise differs per frame
    assert np.abs(frames[0].astype(int) - frames[1]).mean() < 12  # but the picture is the same
