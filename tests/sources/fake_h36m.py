"""A tiny fake Human3.6M release in the real layout, for tests.

CDF files are written with cdflib's writer (variable ``Pose``, shape (1, F, 96) mm for
``D3_Positions_mono``, (1, F, 64) pixels for ``D2_Positions``); videos are mp4 files written
with OpenCV, 200 pixels wide, a dark background with one bright disc drawn at the head's 2D
position, so a test can check that stored joints land where the frames show them.

The tree holds the release's irregularities: ``TakingPhoto 1`` and ``WalkingDog`` names, a
video named ``WalkingDog`` for poses named ``WalkDog``, sub-sequence numbers, an ``_ALL``
video without poses, videos a few frames longer than the poses, and files that must be
skipped: a corrupt video, a video shorter than its poses, an unreadable CDF, an unknown
action, and S11 ``Directions`` of camera 54138969 (corrupt in the real release).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidpose.pose.skeleton import H36M_32_TO_17

CAMERAS = ("54138969", "55011271", "58860488", "60457274")
IMAGE_SIZES = {  # (width, height): two of the real cameras are 1000 × 1002
    "54138969": (200, 202),
    "55011271": (200, 200),
    "58860488": (200, 200),
    "60457274": (200, 202),
}
INTRINSICS = {  # fx, fy, cx, cy: a 200-pixel camera with Human3.6M's field of view
    "54138969": (229.0, 228.7, 102.5, 103.1),
    "55011271": (229.9, 229.5, 101.8, 101.6),
    "58860488": (229.8, 229.7, 103.9, 100.3),
    "60457274": (229.1, 228.9, 103.0, 100.4),
}
D2_OFFSET_PX = np.array([3.0, -2.0])  # D2_Positions differ from the projection (lens distortion)
HEAD = 10  # index among the 17 joints of the joint drawn in the videos
EXTRA_VIDEO_FRAMES = 2  # real videos often decode more frames than there are poses

# Root-relative 17-joint template, camera axes (x right, y down), metres.
_TEMPLATE = np.array(
    [
        [0.0, 0.0, 0.0],
        [-0.13, 0.0, 0.0],
        [-0.13, 0.45, 0.02],
        [-0.13, 0.88, 0.0],
        [0.13, 0.0, 0.0],
        [0.13, 0.45, 0.02],
        [0.13, 0.88, 0.0],
        [0.0, -0.23, 0.0],
        [0.0, -0.48, 0.0],
        [0.0, -0.58, 0.0],
        [0.0, -0.72, -0.03],
        [0.17, -0.46, 0.0],
        [0.2, -0.2, 0.05],
        [0.22, 0.03, 0.1],
        [-0.17, -0.46, 0.0],
        [-0.2, -0.2, 0.05],
        [-0.22, 0.03, 0.1],
    ]
)


@dataclass
class FakeSequence:
    subject: str
    action: str  # canonical
    sequence: str  # canonical
    camera: str
    poses_mm: np.ndarray  # (F, 32, 3) camera frame
    has_d2: bool

    @property
    def split(self) -> str:
        return "test" if self.subject in ("S9", "S11") else "train"

    @property
    def joints_m(self) -> np.ndarray:
        """(F, 17, 3) camera frame, metres."""
        return self.poses_mm[:, H36M_32_TO_17] / 1000.0

    def projection(self) -> np.ndarray:
        """(F, 17, 2) pinhole projection, source pixels."""
        fx, fy, cx, cy = INTRINSICS[self.camera]
        joints = self.joints_m
        return np.stack(
            [fx * joints[..., 0] / joints[..., 2] + cx, fy * joints[..., 1] / joints[..., 2] + cy],
            axis=-1,
        )

    def points2d(self) -> np.ndarray:
        """Where the video shows the joints: D2_Positions when the release has them."""
        return self.projection() + (D2_OFFSET_PX if self.has_d2 else 0.0)


@dataclass
class FakeRelease:
    root: Path
    sequences: list[FakeSequence]  # those that convert
    skipped: list[Path] = field(default_factory=list)  # files a converter must report

    def find(self, subject: str, sequence: str, camera: str) -> FakeSequence:
        for item in self.sequences:
            if (item.subject, item.sequence, item.camera) == (subject, sequence, camera):
                return item
        raise KeyError((subject, sequence, camera))


def make_poses_mm(frames: int, seed: int) -> np.ndarray:
    """(frames, 32, 3) camera-frame poses in mm: a body about 5 m away, walking and waving."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / 50.0
    joints = np.repeat(_TEMPLATE[None], frames, axis=0) * rng.uniform(0.9, 1.1)
    joints[:, 13, 1] -= 0.3 * np.sin(2 * np.pi * 1.5 * t + seed)  # left wrist waves
    root = np.stack(
        [
            rng.uniform(-0.4, 0.4) + 0.8 * t,
            np.full(frames, rng.uniform(0.1, 0.3)),
            rng.uniform(4.6, 5.4) + 0.1 * np.sin(2 * np.pi * t),
        ],
        axis=-1,
    )
    poses = np.repeat(root[:, None], 32, axis=1)  # unused raw joints sit at the pelvis
    poses[:, H36M_32_TO_17] = joints + root[:, None]
    return poses * 1000.0


def write_pose_cdf(path: Path, values: np.ndarray) -> None:
    """Write ``values`` (F, 32, D) as the release does: variable Pose of shape (1, F, 32·D)."""
    from cdflib.cdfwrite import CDF

    frames = values.shape[0]
    data = values.reshape(1, frames, -1).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = {
        "Variable": "Pose",
        "Data_Type": CDF.CDF_FLOAT,
        "Num_Elements": 1,
        "Rec_Vary": True,
        "Dim_Sizes": [frames, data.shape[2]],
    }
    with CDF(str(path), delete=True) as cdf:
        cdf.write_var(spec, var_data=data)


def write_video(path: Path, points2d: np.ndarray, camera: str, frames: int) -> None:
    """An mp4 of ``frames`` frames with a white disc at the head of ``points2d`` (F, 17, 2)."""
    import cv2

    width, height = IMAGE_SIZES[camera]
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 50.0, (width, height))
    assert writer.isOpened(), path
    for index in range(frames):
        image = np.full((height, width, 3), 40, np.uint8)
        x, y = points2d[min(index, len(points2d) - 1), HEAD]
        # sub-pixel disc centre (shift=4 → 1/16 px) so the blob's centroid is the joint
        centre = (int(round(x * 16)), int(round(y * 16)))
        cv2.circle(image, centre, 4 * 16, (255, 255, 255), -1, cv2.LINE_AA, shift=4)
        writer.write(image)
    writer.release()


def write_metadata_xml(path: Path) -> None:
    """A metadata.xml whose <w0> vector carries :data:`INTRINSICS` where the release has them."""
    w0 = np.zeros(300)
    for index, camera in enumerate(CAMERAS):
        start = 264 + 9 * index
        w0[start : start + 4] = INTRINSICS[camera]
    numbers = " ".join(f"{value:.6f}" for value in w0)
    path.write_text(f"<?xml version='1.0'?>\n<metadata>\n<w0>[{numbers}]</w0>\n</metadata>\n")


def build_fake_release(root: Path, frames: int = 30) -> FakeRelease:
    """Write the fake release under ``root``; → what a converter should find in it."""
    root.mkdir(parents=True, exist_ok=True)
    write_metadata_xml(root / "metadata.xml")
    release = FakeRelease(root, [])
    seed = 0

    def add(subject, pose_name, video_name, camera, d2, count=frames, video_frames=None):
        nonlocal seed
        seed += 1
        from vidpose.sources.h36m_layout import canonical_sequence

        names = canonical_sequence(pose_name)
        poses = make_poses_mm(count, seed)
        item = FakeSequence(subject, *(names or ("?", pose_name)), camera, poses, d2)
        features = root / subject / "MyPoseFeatures"
        cdf = features / "D3_Positions_mono" / f"{pose_name}.{camera}.cdf"
        write_pose_cdf(cdf, poses)
        if d2:
            raw2d = np.repeat(item.points2d()[:, :1], 32, axis=1)  # unused joints at the pelvis
            raw2d[:, H36M_32_TO_17] = item.points2d()
            write_pose_cdf(features / "D2_Positions" / f"{pose_name}.{camera}.cdf", raw2d)
        video = root / subject / "Videos" / f"{video_name}.{camera}.mp4"
        write_video(video, item.points2d(), camera, video_frames or count + EXTRA_VIDEO_FRAMES)
        return item, cdf, video

    for camera in ("54138969", "55011271"):
        release.sequences.append(add("S1", "Directions 1", "Directions 1", camera, True)[0])
    release.sequences.append(add("S1", "TakingPhoto 1", "TakingPhoto 1", "54138969", True)[0])
    release.sequences.append(add("S1", "WalkDog", "WalkingDog", "55011271", False)[0])
    release.sequences.append(add("S5", "Directions", "Directions", "54138969", False)[0])
    release.sequences.append(add("S11", "Directions", "Directions", "55011271", True)[0])
    release.sequences.append(add("S11", "Sitting 1", "Sitting 1", "58860488", False, 40)[0])

    # Files that must be reported and skipped.
    release.skipped.append(add("S11", "Directions", "Directions", "54138969", False)[1])
    release.skipped.append(add("S5", "Greeting", "Greeting", "54138969", False, video_frames=20)[2])
    eating = add("S5", "Eating", "Eating", "54138969", False)[2]
    eating.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    release.skipped.append(eating)
    phoning = add("S5", "Phoning", "Phoning", "54138969", False)[1]
    phoning.write_bytes(b"not a CDF file at all" * 10)
    release.skipped.append(phoning)
    release.skipped.append(add("S5", "Dancing", "Dancing", "54138969", False)[1])
    write_video(root / "S1" / "Videos" / "_ALL.54138969.mp4", np.zeros((5, 17, 2)), "54138969", 5)
    return release
