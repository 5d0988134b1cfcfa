"""The fit of a lifted sequence to its keypoints (vidpose.lifting.image_fit): a walking body of
known bones seen by a known camera, in closed form."""

from __future__ import annotations

import numpy as np

from vidpose.lifting.detector_2d import HIP_DROP
from vidpose.lifting.image_fit import fit_to_keypoints
from vidpose.pose.camera import project, video_intrinsics
from vidpose.pose.skeleton import ANCESTORS, LIMB_JOINTS, bone_lengths, bone_vectors

FPS = 50.0
CAMERA = video_intrinsics(1000, 1000)
#: A standing body (metres, x right, y down, z forward), pelvis at the origin.
STANDING = np.array([
    [0, 0, 0], [-0.13, 0, 0], [-0.13, 0.45, 0], [-0.13, 0.9, 0.02],
    [0.13, 0, 0], [0.13, 0.45, 0], [0.13, 0.9, 0.02],
    [0, -0.23, 0], [0, -0.48, 0], [0, -0.58, 0.05], [0, -0.7, 0.02],
    [0.16, -0.46, 0], [0.18, -0.18, 0], [0.18, 0.07, 0],
    [-0.16, -0.46, 0], [-0.18, -0.18, 0], [-0.18, 0.07, 0],
], dtype=np.float64)  # fmt: skip
#: (bone index = child joint - 1, phase) of the bones swinging about the x axis as one walks.
SWINGS = [(1, 0.0), (2, 0.3), (4, np.pi), (5, np.pi + 0.3), (11, np.pi), (12, np.pi), (14, 0.0)]


def _rotate_x(vectors: np.ndarray, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    y, z = vectors[..., 1], vectors[..., 2]
    return np.stack([vectors[..., 0], c * y - s * z, s * y + c * z], axis=-1)


def _rotate_z(vectors: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """About the camera's axis: a turn the image shows in full."""
    c, s = np.cos(angle), np.sin(angle)
    x, y = vectors[..., 0], vectors[..., 1]
    return np.stack([c * x - s * y, s * x + c * y, vectors[..., 2]], axis=-1)


def _with_bones(bones: np.ndarray) -> np.ndarray:
    padded = np.concatenate([np.zeros((len(bones), 1, 3)), bones], axis=1)
    return np.einsum("jk,fkd->fjd", ANCESTORS.astype(np.float64), padded)


def _walk(frames: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Root-relative poses (F, 17, 3) of a body swinging its legs and arms at 1 Hz (bones of
    constant length), and its root (F, 3) 4 m in front of the camera, drifting right."""
    t = np.arange(frames) / FPS
    bones = np.repeat(bone_vectors(STANDING)[None], frames, axis=0)
    for bone, phase in SWINGS:
        bones[:, bone] = _rotate_x(bones[:, bone], 0.4 * np.sin(2 * np.pi * t + phase))
    poses = _with_bones(bones)
    root = np.column_stack([-0.5 + 0.5 * t, 0.1 + 0 * t, 4.0 + 0 * t])
    return poses, root


def _keypoints(points3d: np.ndarray, root: np.ndarray) -> np.ndarray:
    """(F, 17, 3): the projection of ``points3d + root`` with score 1."""
    pixels = project(points3d + root[:, None], CAMERA)
    return np.concatenate([pixels, np.ones(pixels.shape[:-1] + (1,))], axis=-1)


def _size(keypoints: np.ndarray) -> np.ndarray:
    return np.ptp(keypoints[..., 1], axis=1)


def _fit(poses, root, keypoints, **kwargs):
    kwargs.setdefault("detector_hips", False)
    return fit_to_keypoints(poses, root, keypoints, CAMERA, _size(keypoints), FPS, **kwargs)


def _error_px(poses, root, keypoints):
    pixels = project(poses + root[:, None], CAMERA)[:, LIMB_JOINTS]
    return np.linalg.norm(pixels - keypoints[:, LIMB_JOINTS, :2], axis=-1).mean()


def test_a_pose_that_fits_its_keypoints_stays_as_it_is():
    poses, root = _walk()
    fitted, fitted_root = _fit(poses, root, _keypoints(poses, root))
    # Only the time smoothing pulls, a little, where the limbs swing fastest.
    assert np.linalg.norm(fitted - poses, axis=-1).mean() < 0.002
    assert np.abs(fitted - poses).max() < 0.01
    assert np.abs(fitted_root - root).max() < 0.01


def test_a_pose_wrong_in_the_image_moves_onto_its_keypoints_with_the_same_bones():
    poses, root = _walk()
    keypoints = _keypoints(poses, root)
    rng = np.random.default_rng(0)
    # The lifter's error: every bone turned a little in the image plane, smoothly over time.
    wobble = 0.25 * np.sin(np.arange(len(poses)) / 7.0)[:, None] * rng.uniform(-1, 1, 16)
    lifted = _with_bones(_rotate_z(bone_vectors(poses), wobble))
    fitted, fitted_root = _fit(lifted, root, keypoints)
    before = np.linalg.norm(lifted - poses, axis=-1).mean()
    after = np.linalg.norm(fitted - poses, axis=-1).mean()
    assert after < 0.4 * before
    assert _error_px(fitted, fitted_root, keypoints) < 0.2 * _error_px(lifted, root, keypoints)
    np.testing.assert_allclose(bone_lengths(fitted), bone_lengths(lifted), atol=1e-5)
    assert fitted.dtype == np.float32


def test_a_pose_wrong_in_depth_is_not_made_worse():
    poses, root = _walk()
    rng = np.random.default_rng(1)
    # Bones turned toward or away from the camera: the image cannot say by how much.
    wobble = 0.25 * np.sin(np.arange(len(poses)) / 7.0)[:, None] * rng.uniform(-1, 1, 16)
    lifted = _with_bones(_rotate_x(bone_vectors(poses), wobble))
    fitted, _ = _fit(lifted, root, _keypoints(poses, root))
    before = np.linalg.norm(lifted - poses, axis=-1).mean()
    assert np.linalg.norm(fitted - poses, axis=-1).mean() < before


def test_a_detectors_hips_are_fitted_where_the_lifter_learned_them():
    poses, root = _walk()
    marked = poses.copy()
    marked[:, [1, 4]] += HIP_DROP * (poses[:, [2, 5]] - poses[:, [1, 4]])
    keypoints = _keypoints(marked, root)
    as_detector, _ = _fit(poses, root, keypoints, detector_hips=True)
    as_joints, _ = _fit(poses, root, keypoints, detector_hips=False)
    assert np.linalg.norm(as_detector - poses, axis=-1).mean() < 0.002
    hip_move = np.linalg.norm(as_joints[:, [1, 4]] - poses[:, [1, 4]], axis=-1)
    assert hip_move.mean() > 0.02


def test_frames_without_a_pose_or_keypoints():
    poses, root = _walk(60)
    keypoints = _keypoints(poses, root)
    poses[20:25] = np.nan  # the person not in view
    keypoints[40:45, :, 2] = 0.0  # in view, no joint scored
    keypoints[40:45, :, :2] = 0.0
    fitted, fitted_root = _fit(poses, root, keypoints)
    assert np.isnan(fitted[20:25]).all() and np.isfinite(np.delete(fitted, range(20, 25), 0)).all()
    # An unscored frame is held by the lifter and its neighbours: it stays where it was.
    assert np.linalg.norm(fitted[40:45] - poses[40:45], axis=-1).mean() < 0.002
    nothing, nothing_root = _fit(np.full_like(poses, np.nan), root, keypoints)
    assert np.isnan(nothing).all() and np.array_equal(nothing_root, root)


def test_one_wild_keypoint_pulls_its_joint_only_a_little():
    poses, root = _walk()
    keypoints = _keypoints(poses, root)
    keypoints[50, 13, :2] += 150.0  # left wrist, one frame, about 0.5 m away at 4 m
    fitted, _ = _fit(poses, root, keypoints)
    assert np.linalg.norm(fitted[50, 13] - poses[50, 13]) < 0.06
