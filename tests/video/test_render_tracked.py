"""The lifted render (vidpose.video.render_tracked): the 3D projected back onto the frame with
the fitted root, the 2D keypoints, and each frame marked with how its pose was made."""

import numpy as np

from vidpose.keypoints.sequence import LayoutKeypoints
from vidpose.pose.camera import project, video_intrinsics
from vidpose.video.lifted import LiftedPerson, LiftedVideo
from vidpose.video.render import PANEL_HEIGHT, RIGHT_RGB
from vidpose.video.render_tracked import STATE_RGB, frame_state, lifted_frames
from vidpose.video.track.follow import PersonTrack

WIDTH, HEIGHT, FRAMES = 640, 360, 4


def _lifted() -> LiftedVideo:
    """One person standing 4 m away: frame 0 detected, 1 interpolated, 2 held, 3 not lifted.
    The 2D keypoints sit 40 px left of the 3D's projection, so the two are told apart."""
    pose = np.zeros((17, 3))
    pose[:, 1] = np.linspace(-0.8, 0.8, 17)
    pose[0] = 0.0  # the pelvis
    pose[3] = [-0.15, 0.9, 0.0]  # the right ankle, low and to the side
    root = np.array([0.0, 0.0, 4.0])
    intrinsics = video_intrinsics(WIDTH, HEIGHT)
    projected = project(pose + root, intrinsics)
    keypoints = np.zeros((FRAMES, 17, 3))
    keypoints[:3, :, :2] = projected - [40, 0]
    keypoints[:3, :, 2] = 0.9
    low, high = keypoints[0, :, :2].min(0), keypoints[0, :, :2].max(0)
    boxes = np.tile([*low, *high], (FRAMES, 1))
    boxes[3] = np.nan
    track = PersonTrack(
        track_id=0,
        boxes=boxes,
        scores=np.array([0.9, 0, 0.9, 0]),
        keypoints=keypoints,
        detected=np.array([True, False, True, False]),
        interpolated=np.array([False, True, False, False]),
        low_confidence=keypoints[..., 2] < 0.3,
        tracks=[],
    )
    poses3d = np.stack([pose] * 3 + [np.full((17, 3), np.nan)]).astype(np.float32)
    person = LiftedPerson(
        track=track,
        keypoints=LayoutKeypoints(keypoints, "h36m17"),
        poses3d=poses3d,
        poses3d_lifted=poses3d,
        held=np.array([False, False, True, False]),
        root=np.stack([root] * 3 + [np.full(3, np.nan)]),
        size=np.full(FRAMES, 200.0),
        reprojection_error=np.array([0.2, 0.01, np.nan, np.nan]),
    )
    return LiftedVideo(
        info=None, people=[person], intrinsics=intrinsics, model_name="test",
        lifter={}, source="keypoints-file", models="kp.npz",
    )  # fmt: skip


def test_each_frame_shows_the_reprojected_3d_and_how_its_pose_was_made():
    lifted = _lifted()
    person = lifted.main
    states = [frame_state(person, index) for index in range(FRAMES)]
    assert states == ["detected", "interpolated", "held", "not in view"]
    frames = np.zeros((FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    images = list(lifted_frames(frames, lifted))
    scale = PANEL_HEIGHT / HEIGHT
    ankle = project(person.poses3d[0, 3] + person.root[0], lifted.intrinsics) * scale
    x, y = np.round(ankle).astype(int)
    for index, image in enumerate(images):
        left = image[:, : int(WIDTH * scale)]
        assert tuple(left[1, x]) == STATE_RGB[states[index]]  # the strip along the top
        near = left[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3).astype(int)
        drawn = (np.abs(near - RIGHT_RGB).max(axis=1) < 60).any()
        assert drawn == (index < 3), index  # the right ankle's bone, where the 3D projects
        # The 2D keypoints (white dots) 40 px to the left of the projection.
        dot = left[y, int(round(x - 40 * scale))]
        assert (dot > 200).all() == (index < 3), index
    # The flagged frame's label is red: red text pixels in the label's corner.
    corner = images[0][6:20, :150].reshape(-1, 3).astype(int)
    assert ((corner[:, 0] > 180) & (corner[:, 1] < 90)).any()
    assert not ((images[1][6:20, :150, 0] > 180) & (images[1][6:20, :150, 1] < 90)).any()
