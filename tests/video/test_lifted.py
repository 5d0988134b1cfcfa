"""The lifter's video pipeline (vidpose.video.lifted.lift_video) on small synthetic videos whose
keypoints are a known 3D pose sequence projected with vidpose.pose.camera: a portrait phone video at
30 fps and a landscape one at 50 fps, in closed form with a lifter that knows the pose, and with
the shipped lifter side by side."""

import json

import numpy as np
import pytest
import torch

from vidpose.pose.camera import project, video_intrinsics
from vidpose.pose.skeleton import LEFT_JOINTS, RIGHT_JOINTS
from vidpose.video.encode import write_video
from vidpose.video.lifted import lift_video

#: (width, height, fps): a portrait phone video at 30 fps, a landscape one at 50 fps.
VIDEOS = [(1080, 1920, 30.0), (1920, 1080, 50.0)]


class ConstantLifter(torch.nn.Module):
    """A lifter (the interface of vidpose.models' lifters) that always answers ``pose``: the
    pipeline's resampling, camera and root fit are then checkable in closed form."""

    context = (4, 4)
    window = None
    input_channels = 2

    def __init__(self, pose: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("pose", torch.as_tensor(pose, dtype=torch.float32))
        self.unused = torch.nn.Parameter(torch.zeros(1))  # gives the model a device

    def forward(self, inputs):
        batch, window = inputs.shape[:2]
        return self.pose.expand(batch, window - sum(self.context), 17, 3).clone()


def _pose() -> np.ndarray:
    """A random pose whose left and right bones have equal lengths (a person's do), so that
    the video path's one-skeleton step keeps it as it is: the left joints mirror the right
    ones through the body's mid-plane x = 0, the trunk and head lie on it."""
    rng = np.random.default_rng(4)
    pose = np.column_stack(
        [rng.uniform(-0.3, 0.3, 17), np.linspace(-0.8, 0.8, 17), rng.uniform(-0.2, 0.2, 17)]
    )
    pose -= pose[0]
    pose[[0, 7, 8, 9, 10], 0] = 0.0
    pose[LEFT_JOINTS] = pose[RIGHT_JOINTS] * [-1.0, 1.0, 1.0]
    return pose


def _video(folder, width, height, fps, frames):
    frames_iter = (np.zeros((height, width, 3), np.uint8) for _ in range(frames))
    return write_video(folder / f"v{width}x{height}_{fps:g}.mp4", frames_iter, fps)


def _keypoint_file(folder, keypoints, layout, width, height, fps, name="kp.npz"):
    path = folder / name
    np.savez(path, keypoints=keypoints, layout=layout, width=width, height=height, fps=fps)
    return path


@pytest.mark.parametrize(("width", "height", "fps"), VIDEOS)
def test_the_root_and_the_reprojection_are_exact_for_a_lifter_that_knows_the_pose(
    tmp_path, width, height, fps
):
    frames = 24
    pose = _pose()
    intrinsics = video_intrinsics(width, height)
    assert intrinsics.tolist() == [1.145 * max(width, height)] * 2 + [
        (width - 1) / 2,
        (height - 1) / 2,
    ]
    depth = intrinsics[0] * 1.6 / (0.6 * height)  # the person fills 60 % of the height
    root = np.column_stack(
        [np.linspace(-0.4, 0.4, frames), np.full(frames, 0.1), np.full(frames, depth)]
    )
    points = project(pose + root[:, None], intrinsics)
    keypoints = np.concatenate([points, np.full((frames, 17, 1), 0.9)], axis=-1)
    keypoints[16:] = 0  # the person leaves after frame 15
    video = _video(tmp_path, width, height, fps, frames)
    path = _keypoint_file(tmp_path, keypoints, "h36m17", width, height, fps)
    lifted = lift_video(
        video,
        model=ConstantLifter(pose),
        checkpoint={"fps": 50.0, "config": {}},
        model_name="constant",
        keypoints_file=path,
        progress=False,
    )
    person = lifted.main
    np.testing.assert_allclose(lifted.intrinsics, intrinsics)
    assert person.known.tolist() == [True] * 16 + [False] * 8 and not person.held.any()
    np.testing.assert_allclose(person.poses3d[:16], np.broadcast_to(pose, (16, 17, 3)), atol=1e-6)
    assert np.isnan(person.poses3d[16:]).all() and np.isnan(person.root[16:]).all()
    np.testing.assert_allclose(person.root[:16], root[:16], atol=1e-4)
    np.testing.assert_allclose(person.reprojection_error[:16], 0, atol=1e-6)
    assert np.isnan(person.reprojection_error[16:]).all() and not person.flagged.any()
    # A focal length the user gives is the camera the root is fitted with.
    points = project(pose + root[:, None], video_intrinsics(width, height, 800.0))
    keypoints[:16, :, :2] = points[:16]
    _keypoint_file(tmp_path, keypoints, "h36m17", width, height, fps)
    lifted = lift_video(
        video,
        model=ConstantLifter(pose),
        checkpoint={"fps": 50.0, "config": {}},
        keypoints_file=path,
        focal=800.0,
        progress=False,
    )
    np.testing.assert_allclose(lifted.main.root[:16], root[:16], atol=1e-4)


def _walk(fps: float, seconds: float = 2.4):
    """A synthetic subject's walk (vidpose.synth) root-relative in a camera frame, (F, 17, 3)
    metres, sampled at ``fps`` from the 50-fps motion."""
    from vidpose.synth import body, motion
    from vidpose.synth import studio_cameras as cameras

    rng = np.random.default_rng(11)
    subject = body.make_subject("S9")
    world = motion.action_motion("Walking", subject, int(seconds * 50) + 1, rng)
    camera = cameras.place_cameras(rng, world[:, 0, :2].mean(axis=0))[1]
    joints = camera.to_camera(world)
    relative = joints - joints[:, :1]
    times = np.arange(int(seconds * fps)) / fps * 50
    low = np.floor(times).astype(int)
    weight = (times - low)[:, None, None]
    return (1 - weight) * relative[low] + weight * relative[np.minimum(low + 1, len(relative) - 1)]


def test_a_portrait_30_fps_video_is_lifted_as_well_as_a_landscape_50_fps_one(tmp_path):
    """The same walk, seen by a portrait phone at 30 fps and a landscape camera at 50 fps,
    each filling 60 % of the height, detector-style COCO-17 keypoints: the shipped lifter (at
    its 50 fps) gives the same accuracy and the 3D projects as well."""
    from vidpose.lifting.detector_2d import coco17_points3d

    results = {}
    for width, height, fps in VIDEOS:
        truth = _walk(fps)
        frames = len(truth)
        intrinsics = video_intrinsics(width, height)
        depth = intrinsics[0] * 1.8 / (0.6 * height)
        root = np.column_stack(
            [np.linspace(-0.3, 0.3, frames), np.full(frames, 0.2), np.full(frames, depth)]
        )
        coco = project(coco17_points3d(truth + root[:, None]), intrinsics)
        keypoints = np.concatenate([coco, np.ones((frames, 17, 1))], axis=-1)
        folder = tmp_path / f"{width}x{height}"
        folder.mkdir()
        video = _video(folder, width, height, fps, frames)
        path = _keypoint_file(folder, keypoints, "coco17", width, height, fps)
        person = lift_video(video, keypoints_file=path, progress=False).main
        assert person.known.all()
        mpjpe_mm = 1000 * np.linalg.norm(person.poses3d - truth, axis=-1).mean()
        results[(width, fps)] = (mpjpe_mm, float(np.median(person.reprojection_error)))
    (portrait, portrait_error), (landscape, landscape_error) = results.values()
    assert portrait < 90 and landscape < 90, results
    assert portrait <= landscape + 10, results
    assert portrait_error < 0.04 and abs(portrait_error - landscape_error) < 0.01, results


def test_person_all_lifts_everyone_tracked_for_a_second(tmp_path):
    """Two people in view the whole second, a third for a fifth of it: two are lifted, each
    from its own keypoints (the closed-form lifter: each root is recovered)."""
    width, height, fps, frames = 640, 360, 25.0, 25
    pose = _pose()
    intrinsics = video_intrinsics(width, height)
    roots = [np.array([-1.0, 0.0, 6.0]), np.array([1.2, 0.1, 5.0]), np.array([0.0, 0.0, 9.0])]
    keypoints = np.zeros((frames, 3, 17, 3))
    for index, root in enumerate(roots):
        keypoints[:, index, :, :2] = project(pose + root, intrinsics)
        keypoints[:, index, :, 2] = 0.9
    keypoints[5:, 2] = 0  # the third is there for 5 frames only
    frames_info = [
        {
            "frame_id": f,
            "instances": [
                {"keypoints": keypoints[f, p, :, :2].tolist(), "keypoint_scores": [0.9] * 17}
                for p in range(3)
                if keypoints[f, p, 0, 2] > 0
            ],
        }
        for f in range(frames)
    ]
    path = tmp_path / "people.json"
    # MMPose's prediction file, its dataset naming the Human3.6M layout (no mapping to undo).
    path.write_text(
        json.dumps({"meta_info": {"dataset_name": "h36m"}, "instance_info": frames_info})
    )
    lifted = lift_video(
        _video(tmp_path, width, height, fps, frames),
        model=ConstantLifter(pose),
        checkpoint={"fps": 50.0, "config": {}},
        keypoints_file=path,
        person="all",
        progress=False,
    )
    assert len(lifted.people) == 2 and len(lifted.tracks) == 3
    found = sorted(tuple(np.round(p.root[0], 3)) for p in lifted.people)
    assert found == sorted(tuple(np.round(r, 3)) for r in roots[:2])


def test_the_real_clip_projects_closer_after_the_fit_to_the_image(sports2d):
    from vidpose.pose.skeleton import bone_lengths

    def main_person(image_fit: bool):
        return lift_video(
            sports2d["video"], keypoints_file=sports2d["keypoints"], image_fit=image_fit,
            progress=False,
        ).main  # fmt: skip

    fitted, plain = main_person(True), main_person(False)
    np.testing.assert_array_equal(fitted.poses3d_lifted, plain.poses3d)
    assert np.nanmedian(fitted.reprojection_error) < 0.8 * np.nanmedian(plain.reprojection_error)
    known = fitted.known
    np.testing.assert_allclose(
        bone_lengths(fitted.poses3d[known]), bone_lengths(plain.poses3d[known]), atol=1e-5
    )
