"""How well a lifted 3D pose fits the 2D keypoints it was lifted from, frame by frame.

The camera is the video's (:func:`vidpose.pose.camera.video_intrinsics`); the pelvis position
``root`` (F, 3) is fitted per frame so that ``poses3d + root`` projects onto the keypoints
(:func:`vidpose.pose.camera.root_translation`, over every joint scored at least ``min_score``).

**Reprojection error** (:func:`reprojection_error`) of frame f: the mean pixel distance, over
the 12 limb joints (hips, knees, ankles, shoulders, elbows, wrists) scored at least
``min_score``, between the keypoint and the projection of ``poses3d + root``, divided by the
person's size in that frame (:func:`person_size`: the longer side of the box around their
scored keypoints, which for an upright person is their height from the eyes to the ankles).
NaN where no limb joint is scored or the root could not be fitted. Only the root is fitted,
not a scale: a pose of the wrong depth proportions shows here.

Frames above :data:`TRUST_THRESHOLD` are flagged; :func:`worst_stretch` finds the window of
about a second with the highest mean error.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vidpose.keypoints import MIN_KEYPOINT_SCORE
from vidpose.pose.camera import project, root_translation
from vidpose.pose.skeleton import LIMB_JOINTS

#: A frame whose reprojection error exceeds this fraction of the person's size is flagged.
TRUST_THRESHOLD = 0.10


def person_size(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """(F, J, 3) pixels + score → (F,) the longer side of the box around each frame's joints
    scored at least ``min_score``, pixels; NaN with fewer than two such joints."""
    points = np.asarray(keypoints, dtype=np.float64)
    scored = (points[..., 2] >= min_score) & np.isfinite(points[..., :2]).all(-1)
    low = np.where(scored[..., None], points[..., :2], np.inf).min(axis=1)
    high = np.where(scored[..., None], points[..., :2], -np.inf).max(axis=1)
    size = (high - low).max(axis=1)
    return np.where(scored.sum(axis=1) >= 2, size, np.nan)


def fit_root(
    poses3d: np.ndarray,
    keypoints17: np.ndarray,
    intrinsics: np.ndarray,
    min_score: float = MIN_KEYPOINT_SCORE,
) -> np.ndarray:
    """(F, 3) metres: the pelvis position putting ``poses3d`` (F, 17, 3) on ``keypoints17``
    (F, 17, 3) through ``intrinsics``; NaN where it cannot be fitted."""
    keypoints17 = np.asarray(keypoints17, dtype=np.float64)
    weights = keypoints17[..., 2] >= min_score
    return root_translation(poses3d, keypoints17[..., :2], intrinsics, weights)


def reprojection_error(
    poses3d: np.ndarray,
    root: np.ndarray,
    keypoints17: np.ndarray,
    intrinsics: np.ndarray,
    size: np.ndarray,
    min_score: float = MIN_KEYPOINT_SCORE,
) -> np.ndarray:
    """(F,) the mean distance over scored limb joints between ``keypoints17`` (F, 17, 3) and
    the projection of ``poses3d + root``, as a fraction of ``size`` (F,) pixels."""
    points = np.asarray(keypoints17, dtype=np.float64)[:, LIMB_JOINTS]
    projected = project(
        np.asarray(poses3d, np.float64)[:, LIMB_JOINTS] + np.asarray(root)[:, None], intrinsics
    )
    used = (points[..., 2] >= min_score) & np.isfinite(projected).all(-1)
    distance = np.linalg.norm(projected - points[..., :2], axis=-1)
    count = used.sum(axis=1)
    mean = np.where(used, distance, 0.0).sum(axis=1) / np.maximum(count, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, mean / size, np.nan)


class FittedPerson(NamedTuple):
    """:func:`fit_person`'s result, every array over the F frames of the video."""

    poses3d: np.ndarray  # (F, 17, 3) float32 metres, root-relative
    root: np.ndarray  # (F, 3) metres, camera frame; NaN where it cannot be fitted
    size: np.ndarray  # (F,) the person's size, pixels
    reprojection_error: np.ndarray  # (F,) fraction of the size; NaN where not measured


def fit_person(
    poses3d: np.ndarray,
    keypoints17: np.ndarray,
    size: np.ndarray,
    intrinsics: np.ndarray,
    fps: float,
    *,
    detector_hips: bool,
    image_fit: bool = True,
) -> FittedPerson:
    """What ``vidpose predict`` does with a person's lifted poses (F, 17, 3) (one skeleton
    already) and their keypoints on the 17 joints (F, 17, 3): the root (:func:`fit_root`),
    the fit to the image unless ``image_fit`` is False
    (:func:`vidpose.lifting.image_fit.fit_to_keypoints`, ``detector_hips`` when the keypoints
    are a detector's), and the reprojection error of every frame over ``size`` (F,) pixels
    (:func:`person_size` of the keypoints in their own layout)."""
    from vidpose.lifting.image_fit import fit_to_keypoints

    root = fit_root(poses3d, keypoints17, intrinsics)
    if image_fit:
        poses3d, root = fit_to_keypoints(
            poses3d, root, keypoints17, intrinsics, size, fps, detector_hips=detector_hips
        )
    error = reprojection_error(poses3d, root, keypoints17, intrinsics, size)
    return FittedPerson(np.asarray(poses3d, np.float32), root, size, error)


def worst_stretch(errors: np.ndarray, window: int) -> tuple[float, int, int] | None:
    """The ``window`` consecutive frames with the highest mean error (frames without one are
    left out of the mean; a window needs at least half of its frames with one): (mean, first
    frame, last frame), or None when no window qualifies. A video shorter than ``window`` is
    one window."""
    errors = np.asarray(errors, dtype=np.float64)
    window = max(1, min(int(window), len(errors)))
    if not len(errors):
        return None
    have = np.isfinite(errors)
    sums = np.concatenate([[0.0], np.cumsum(np.where(have, errors, 0.0))])
    counts = np.concatenate([[0], np.cumsum(have)])
    totals = sums[window:] - sums[:-window]
    numbers = counts[window:] - counts[:-window]
    means = np.where(numbers * 2 >= window, totals / np.maximum(numbers, 1), -np.inf)
    first = int(np.argmax(means))
    if not np.isfinite(means[first]):
        return None
    return float(means[first]), first, first + window - 1


def trust_summary(errors: np.ndarray, fps: float, threshold: float = TRUST_THRESHOLD) -> dict:
    """What the per-frame ``errors`` (F,) say about a video at ``fps``: the median over the
    frames with an error, the worst stretch of about a second (:func:`worst_stretch`: its mean
    and first and last frame and second), how many frames exceed ``threshold``."""
    errors = np.asarray(errors, dtype=np.float64)
    have = np.isfinite(errors)
    worst = worst_stretch(errors, max(1, int(round(fps))))
    return {
        "median": round(float(np.median(errors[have])), 4) if have.any() else None,
        "worst_stretch": None
        if worst is None
        else {
            "mean": round(worst[0], 4),
            "first_frame": worst[1],
            "last_frame": worst[2],
            "start_s": round(worst[1] / fps, 2),
            "end_s": round((worst[2] + 1) / fps, 2),
        },
        "threshold": threshold,
        "frames_flagged": int((errors[have] > threshold).sum()),
        "frames_measured": int(have.sum()),
    }
