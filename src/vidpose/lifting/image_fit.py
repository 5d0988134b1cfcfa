"""Fit a lifted sequence to the image: move each frame's pose so that it projects onto its 2D
keypoints, keeping the person's bone lengths and staying near what the lifter predicted.

A lifter sees the 2D only through a window of normalised keypoints and does not know the
camera, so its poses project a few per cent of the person's height away from the keypoints
they were lifted from (the image-plane part of its error). Knowing the camera, a joint can be
moved perpendicular to its viewing ray to meet its keypoint without changing what the image
says about depth. :func:`fit_to_keypoints` does this for a whole sequence at once, by
minimising over every frame's bone directions and root position

    sum  rho(|project(pose + root) - keypoint| / (tau size))   2D, scored limb joints
  + sum  |pose - lifted|^2 / (2 sigma^2)                       stay near the lifter
  + sum  |pose[f-1] - 2 pose[f] + pose[f+1]|^2 / (2 a^2)       smooth in time

with a = sigma_acc / fps^2 (an acceleration in m/s^2 as a change per frame squared) and rho
Huber's function (quadratic up to tau of the person's size, linear beyond: a
mis-detected joint pulls with a bounded force). Bones are a direction times the sequence's
fixed length, so every frame keeps exactly the lengths it came in with
(:mod:`vidpose.lifting.bones`). A joint whose keypoint is a small distance e away moves about
1 / (1 + (tau h / sigma)^2) of the way, h the person's height in metres: about 90 % with the
defaults (tau = 2 %, sigma = 10 cm); depth changes only as the fixed bone lengths force it.
``sigma_acc`` (80 m/s^2) lets a limb's motion bend as fast as a swing or a kick does while
damping the frame-to-frame jitter of a detector.

The defaults were chosen on held-out real motion, not on a video: on the shipped lifter's
development subjects (held-out CMU takes, camera mix, COCO-17 2D with a detector's errors and
the true camera) the fit lowers P1 and P2 by 8-10 mm, and by the same with the focal length
0.7 or 1.5 times the true one (``benchmarks/image_fit.py``).

Only the 12 limb joints are fitted: a detector's face points and the pelvis, spine and thorax
a keypoint layout derives from them are not Human3.6M's joints. Nor are its hips: when the
keypoints come from a detector (``detector_hips``), the fitted hip is the point
:data:`vidpose.lifting.detector_2d.HIP_DROP` of the way from the hip joint centre to the knee,
where the lifter's training 2D put a detector's hips.
"""

from __future__ import annotations

import numpy as np
import torch

from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.lifting.detector_2d import dropped_hip
from vidpose.pose.camera import project_torch
from vidpose.pose.skeleton import ANCESTORS, JOINT_NAMES, LIMB_JOINTS, bone_vectors

_HIPS = [JOINT_NAMES.index(n) for n in ("right_hip", "left_hip")]
_KNEES = [JOINT_NAMES.index(n) for n in ("right_knee", "left_knee")]


def _poses_from(vectors: torch.Tensor, lengths: torch.Tensor, ancestors: torch.Tensor):
    """Bone vectors (F, 16, 3) of any length → poses (F, 17, 3), pelvis at the origin, with the
    vectors' directions and ``lengths`` (16,)."""
    directions = vectors / vectors.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    bones = torch.cat([torch.zeros_like(directions[:, :1]), directions * lengths[:, None]], 1)
    return torch.einsum("jk,fkd->fjd", ancestors, bones)


def _huber(x: torch.Tensor) -> torch.Tensor:
    """Huber's function of a non-negative residual, quadratic below 1 and linear above."""
    return torch.where(x < 1, 0.5 * x * x, x - 0.5)


def _sequence_loss(pose, root, fixed, *, detector_hips, fps, tau, sigma, sigma_acc):
    """The module docstring's objective, per frame, for poses (N, 17, 3) and roots (N, 3);
    ``fixed`` holds the problem's fixed tensors (targets, weights, sizes, camera, the lifted
    poses, the consecutive frame triples)."""
    joints = pose.clone()
    if detector_hips:
        joints[:, _HIPS] = dropped_hip(pose[:, _HIPS], pose[:, _KNEES])
    pixels = project_torch(joints[:, LIMB_JOINTS] + root[:, None], fixed["camera"])
    residual = (pixels - fixed["target"]).norm(dim=-1) / (tau * fixed["size"])
    loss = (fixed["weight"] * _huber(residual)).sum()
    loss = loss + ((pose - fixed["lifted"]) ** 2).sum() / (2 * sigma**2)
    triples = fixed["triples"]
    if len(triples):
        acc = pose[triples] - 2 * pose[triples + 1] + pose[triples + 2]
        loss = loss + (acc**2).sum() / (2 * (sigma_acc / fps**2) ** 2)
    return loss / len(pose)


def fit_to_keypoints(
    poses3d: np.ndarray,
    root: np.ndarray,
    keypoints17: np.ndarray,
    intrinsics: np.ndarray,
    size: np.ndarray,
    fps: float,
    *,
    detector_hips: bool,
    tau: float = 0.02,
    sigma: float = 0.1,
    sigma_acc: float = 80.0,
    steps: int = 100,
    min_score: float = MIN_KEYPOINT_SCORE,
) -> tuple[np.ndarray, np.ndarray]:
    """One person's sequence fitted to its keypoints (module docstring).

    ``poses3d`` (F, 17, 3) metres, root-relative, camera axes, the same bone lengths in every
    frame (:func:`vidpose.lifting.bones.constant_bones`); ``root`` (F, 3) metres, camera frame
    (:func:`vidpose.pose.camera.root_translation`); ``keypoints17`` (F, 17, 3) pixels and score
    on the 17 Human3.6M joints; ``intrinsics`` (4,) fx, fy, cx, cy; ``size`` (F,) the person's
    size in pixels (:func:`vidpose.video.fit.person_size`); ``fps`` the frame rate. Frames whose
    pose, root or size is not finite are left as they are and break the time smoothing; a frame
    without scored limb keypoints is held near the lifter and its neighbours only.

    Returns the fitted poses (F, 17, 3) float32 (same bone lengths) and roots (F, 3) float64.
    """
    poses = np.asarray(poses3d, dtype=np.float64)
    roots = np.asarray(root, dtype=np.float64)
    sizes = np.asarray(size, dtype=np.float64)
    usable = np.isfinite(poses).all((1, 2)) & np.isfinite(roots).all(1) & np.isfinite(sizes)
    usable &= sizes > 0
    out_poses, out_roots = poses.astype(np.float32), roots.copy()
    if not usable.any():
        return out_poses, out_roots
    index = np.flatnonzero(usable)
    vectors0 = torch.from_numpy(bone_vectors(poses[index]))
    lengths = vectors0.norm(dim=-1).median(dim=0).values
    ancestors = torch.from_numpy(ANCESTORS.astype(np.float64))
    points = np.asarray(keypoints17, dtype=np.float64)[index][:, LIMB_JOINTS]
    scored = (points[..., 2] >= min_score) & np.isfinite(points[..., :2]).all(-1)
    fixed = {
        "target": torch.from_numpy(np.where(scored[..., None], points[..., :2], 0.0)),
        "weight": torch.from_numpy(scored.astype(np.float64)),
        "size": torch.from_numpy(sizes[index])[:, None],
        "camera": torch.from_numpy(np.asarray(intrinsics, np.float64)).expand(len(index), 4),
        "lifted": _poses_from(vectors0, lengths, ancestors),
        # Second differences only across three consecutive usable frames.
        "triples": torch.from_numpy(np.flatnonzero((index[2:] - index[:-2]) == 2)),
    }
    weights = dict(detector_hips=detector_hips, fps=fps, tau=tau, sigma=sigma, sigma_acc=sigma_acc)

    vectors = vectors0.clone().contiguous().requires_grad_(True)
    start = torch.from_numpy(roots[index])
    offset = torch.zeros_like(start, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [vectors, offset], max_iter=steps, line_search_fn="strong_wolfe", tolerance_change=1e-12
    )

    def objective():
        optimizer.zero_grad()
        pose = _poses_from(vectors, lengths, ancestors)
        loss = _sequence_loss(pose, start + offset, fixed, **weights)
        loss.backward()
        return loss

    optimizer.step(objective)
    with torch.no_grad():
        out_poses[index] = _poses_from(vectors, lengths, ancestors).numpy().astype(np.float32)
        out_roots[index] = (start + offset).numpy()
    return out_poses, out_roots
