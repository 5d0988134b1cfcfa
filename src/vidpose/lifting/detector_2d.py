"""Training 2D for a lifter that will read a detector: COCO-17 keypoints made from 3D poses.

A lifter fed by RTMPose sees COCO-17 keypoints mapped to the 17 Human3.6M joints
(:func:`vidpose.keypoints.layouts.to_h36m17`): the pelvis is the mid-point of the hips, the
spine the mean of hips and shoulders, the thorax the mid-point of the shoulders, the ``neck``
the **nose** and the ``head`` the **mid-point of the eyes**. Trained on the projected Human3.6M
joints instead, it would meet a head 8-10 cm lower and a thorax in another place at test time.
So the shipped lifter trains on COCO-17 keypoints synthesised from each 3D pose and mapped the
same way: the limb joints are the skeleton's own but for the hips; the face points come from a
head frame.

A detector's hips are not Human3.6M's hip joint centres: COCO marks the hip lower, near the
top of the thigh bone. On a real detector's keypoints of a real person (BlazePose on the
Sports2D demo, upright frames, ``benchmarks/detector_points.py``) the thigh is 0.69 of the
torso in the image (mid-hips to mid-shoulders), the shin 1.10 of the thigh and the leg 1.44
of the torso; with Human3.6M's hip centres vidpose's body gives 0.91, 0.93 and 1.74. All three
agree when the hips move :data:`HIP_DROP` (14 %) of the way down to the knees, so the
synthesised COCO hips sit there (about 6 cm below the hip centres).

The head frame (camera coordinates, metres): ``up`` is the direction neck → head (top);
``forward`` is the part of thorax → neck perpendicular to ``up`` (in vidpose's synthetic
body and in Human3.6M the neck joint sits at nose level in front of the thorax), blended
with the torso's facing (shoulders × spine) so it stays defined when that part vanishes;
``left`` = up × forward. The face points are fixed offsets in this frame from the ``neck``
joint (:data:`FACE_OFFSETS`): forward and sideways adult averages (nose 4 cm forward, eyes
3.2 cm and ears 7.5 cm to each side, ears 6 cm back), heights measured on the same real
detector's keypoints (each point's height above the mid-shoulders in torso heights, the hips
moved as above): with adult averages (the nose at the neck joint's height, eyes 3.5 cm and
ears 2 cm above it) the synthetic face sat 5.3, 4.6 and 5 cm too low against the shoulders, so
the nose is 5.5 cm, the eyes 8 cm and the ears 7 cm above the neck joint. That is where this
detector puts the face on this person relative to vidpose's body; re-measure it when the body
changes. The target 3D pose is left as it is, so the lifter learns the detector's offsets.
"""

from __future__ import annotations

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.keypoints.layouts import COCO17, H36M17

#: Where a detector's hips sit: this share of the way from the hip joint centre to the knee.
HIP_DROP = 0.14

#: (left, up, forward) metres from the ``neck`` joint for each face point of COCO-17.
FACE_OFFSETS = {
    "nose": (0.0, 0.055, 0.04),
    "left_eye": (0.032, 0.08, 0.01),
    "right_eye": (-0.032, 0.08, 0.01),
    "left_ear": (0.075, 0.07, -0.06),
    "right_ear": (-0.075, 0.07, -0.06),
}


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norm, 1e-9)


def head_frame(points3d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit (left, up, forward) vectors (..., 3) of the head of H36M-17 poses (..., 17, 3)."""
    joint = {name: points3d[..., H36M17.index(name), :] for name in H36M17}
    up = _unit(joint["head"] - joint["neck"])
    torso_forward = _unit(
        np.cross(
            joint["left_shoulder"] - joint["right_shoulder"], joint["thorax"] - joint["pelvis"]
        )
    )
    ahead = joint["neck"] - joint["thorax"]
    ahead = ahead - np.sum(ahead * up, axis=-1, keepdims=True) * up
    forward = ahead + 0.02 * torso_forward  # the torso decides only when ``ahead`` is ~0
    forward = _unit(forward - np.sum(forward * up, axis=-1, keepdims=True) * up)
    left = np.cross(up, forward)
    return left, up, forward


def dropped_hip(hip, knee):
    """Where a detector marks the hip (NumPy or torch, (..., 3)): :data:`HIP_DROP` of the way
    from the hip joint centre ``hip`` to the ``knee``."""
    return hip + HIP_DROP * (knee - hip)


def coco17_points3d(points3d: np.ndarray) -> np.ndarray:
    """H36M-17 joints (..., 17, 3) → COCO-17 points (..., 17, 3) in the same frame and units
    (metres): limbs copied but the hips moved :data:`HIP_DROP` towards the knees, face points
    placed by :data:`FACE_OFFSETS` in the head frame."""
    points3d = np.asarray(points3d, dtype=np.float64)
    left, up, forward = head_frame(points3d)
    neck = points3d[..., H36M17.index("neck"), :]
    out = np.zeros((*points3d.shape[:-2], len(COCO17), 3))
    for index, name in enumerate(COCO17):
        if name in FACE_OFFSETS:
            a, b, c = FACE_OFFSETS[name]
            out[..., index, :] = neck + a * left + b * up + c * forward
        elif name.endswith("_hip"):
            hip = points3d[..., H36M17.index(name), :]
            knee = points3d[..., H36M17.index(name.replace("hip", "knee")), :]
            out[..., index, :] = dropped_hip(hip, knee)
        else:
            out[..., index, :] = points3d[..., H36M17.index(name), :]
    return out


def coco17_keypoints(store) -> np.ndarray:
    """COCO-17 keypoints (F, 17, 3) pixels + confidence 1 for every frame of a sequence
    store: its poses placed at their root, projected with each sequence's intrinsics."""
    lengths = [info.frames for info in store.sequences]
    return coco17_pixels(
        np.asarray(store.poses3d), np.asarray(store.root), store.intrinsics, lengths
    )


def coco17_pixels(poses3d, root, intrinsics, lengths) -> np.ndarray:
    """COCO-17 keypoints (F, 17, 3) pixels + confidence 1 of root-relative ``poses3d``
    (F, 17, 3) metres at ``root`` (F, 3), sequences of ``lengths`` frames back to back, each
    projected with its row of ``intrinsics`` (S, 4)."""
    from vidpose.pose.camera import project

    out = np.ones((len(poses3d), len(COCO17), 3), np.float32)
    start = 0
    for frames, camera_k in zip(lengths, np.asarray(intrinsics), strict=True):
        rows = slice(start, start + frames)
        camera = np.asarray(poses3d[rows], np.float64) + np.asarray(root[rows])[:, None]
        out[rows, :, :2] = project(coco17_points3d(camera), camera_k)
        start += frames
    return out


def as_detected(keypoints: np.ndarray, image_sizes: np.ndarray, lengths) -> np.ndarray:
    """Keypoints (F, J, 3) pixels + confidence of whole sequences (``lengths`` frames each,
    back to back; ``image_sizes`` (S, 2) width, height) as the video path hands a detector's
    to the lifter: a joint outside its image is missing (confidence 0, at (0, 0)), and a frame
    with no joint left repeats the nearest frame that has one (a sequence without any keeps its
    zeros)."""
    out = np.array(keypoints, dtype=np.float32)
    start = 0
    for frames, (width, height) in zip(lengths, np.asarray(image_sizes), strict=True):
        part = out[start : start + frames]
        x, y = part[..., 0], part[..., 1]
        outside = (x < -0.5) | (x > width - 0.5) | (y < -0.5) | (y > height - 0.5)
        part[outside] = 0.0
        known = (part[..., 2] > 0).any(-1)
        if known.any() and not known.all():
            part[:] = fill_unknown_frames(part, known)
        start += frames
    return out


def fill_unknown_frames(keypoints: np.ndarray, known: np.ndarray) -> np.ndarray:
    """(F, J, C) with ``known`` (F,) bool → a copy where each unknown frame repeats the
    nearest known frame (the earlier one on ties)."""
    index = np.flatnonzero(known)
    if not len(index):
        raise UserError("no frame has the person's keypoints")
    frames = np.arange(len(known))
    after = np.clip(np.searchsorted(index, frames), 0, len(index) - 1)
    before = np.clip(after - 1, 0, len(index) - 1)
    pick_before = np.abs(frames - index[before]) <= np.abs(index[after] - frames)
    nearest = np.where(pick_before, index[before], index[after])
    return keypoints[nearest]
