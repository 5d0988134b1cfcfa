"""Reading and checking VideoPose3D's pickled pose files (docs/human36m.md).

- 3D: ``positions_3d`` = {subject: {sequence: (F, 32, 3) float32}}, world frame, metres, z up
  (17-joint arrays in vidpose's order are accepted too).
- 2D: ``positions_2d`` = {subject: {sequence: [four (F', J, 2 or 3) arrays]}}, image pixels,
  cameras in :data:`~vidpose.sources.h36m_cameras.CAMERA_IDS` order (``None`` for a camera
  the file lacks), and ``metadata`` with ``layout_name``, ``num_joints`` and
  ``keypoints_symmetry``. Arrays longer than the 3D poses are cut to them (as VideoPose3D
  does); shorter ones are an error.

Sequence keys are matched by their canonical name (``TakingPhoto 1`` and ``Photo 1`` are the
same sequence), so files made by different preparation scripts fit together.

The files are pickles, loaded with ``allow_pickle=True`` — which can run code hidden in a
file: only convert files you trust. No other vidpose command loads pickles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.keypoints.layouts import LAYOUTS, canonical_layout, layouts_with
from vidpose.pose.skeleton import H36M_32_TO_17
from vidpose.sources.h36m_cameras import CAMERA_IDS
from vidpose.sources.h36m_layout import canonical_sequence

#: Image (width, height) of each Human3.6M camera, pixels.
IMAGE_SIZES: dict[str, tuple[int, int]] = {
    "54138969": (1000, 1002),
    "55011271": (1000, 1000),
    "58860488": (1000, 1000),
    "60457274": (1000, 1002),
}

_NAME_PREFIX = "data_2d_h36m_"


def _pickled_dict(path: Path, arrays: dict, key: str, what: str) -> dict:
    """``arrays[key]``, a dictionary pickled into a 0-d object array, or a one-line error."""
    value = arrays[key]
    if value.dtype.hasobject and value.ndim == 0:
        value = value.item()
        if isinstance(value, dict):
            return value
        found = f"a {type(value).__name__}"
    else:
        found = f"an array of shape {value.shape} ({value.dtype})"
    raise UserError(f"{path}: {key!r} is {found}, not VideoPose3D's dictionary of {what}")


def load_pickled_dict(path: Path, key: str) -> tuple[dict, dict]:
    """``(archive[key], archive["metadata"] or {})``, both dictionaries, with one-line errors."""
    from vidpose.infra.array_files import read_npz

    arrays = read_npz(path, allow_pickle=True)  # trusted input only: see module doc
    if key not in arrays:
        raise UserError(f"{path}: no {key!r} array (not a VideoPose3D file?)")
    value = _pickled_dict(path, arrays, key, "subjects")
    metadata = _pickled_dict(path, arrays, "metadata", "metadata") if "metadata" in arrays else {}
    return value, metadata


def canonical_keys(path: Path, subject: str, sequences: Any) -> dict[str, Any]:
    """{canonical sequence name: the file's key} for one subject; non-actions are left out.

    Two keys with one canonical name (``TakingPhoto 1`` and ``Photo 1``) are an error.
    """
    if not isinstance(sequences, dict):
        raise UserError(f"{path}: {subject} is not a dictionary of sequences")
    found: dict[str, Any] = {}
    for key in sequences:
        names = canonical_sequence(str(key))
        if names is None:
            continue
        if names[1] in found:
            raise UserError(f"{path}: {subject} has both {found[names[1]]!r} and {key!r}")
        found[names[1]] = key
    return found


def positions_17(path: Path, subject: str, key: Any, positions: Any) -> np.ndarray:
    """One 3D sequence → (F, 17, 3) float64 world metres; bad shapes and NaN are errors."""
    where = f"{path}: {subject}/{key}"
    try:
        positions = np.asarray(positions, dtype=np.float64)
    except (TypeError, ValueError):
        raise UserError(f"{where}: not a numeric array") from None
    if positions.ndim != 3 or positions.shape[1:] not in ((32, 3), (17, 3)) or not len(positions):
        raise UserError(f"{where}: shape {positions.shape}, expected (frames, 32, 3)")
    bad = ~np.isfinite(positions)
    if bad.any():
        frame = int(np.argwhere(bad)[0][0])
        raise UserError(f"{where}: NaN or inf in the 3D positions (frame {frame})")
    return positions[:, H36M_32_TO_17] if positions.shape[1] == 32 else positions


def source_name(path: Path) -> str:
    """A 2D source name from a file name: ``data_2d_h36m_cpn_ft_h36m_dbb.npz`` →
    ``cpn_ft_h36m_dbb``, ``data_2d_h36m_gt.npz`` → ``gt``."""
    stem = path.name[: -len(".npz")] if path.name.endswith(".npz") else path.stem
    stem = stem[len(_NAME_PREFIX) :] if stem.startswith(_NAME_PREFIX) else stem
    name = re.sub(r"[^a-z0-9_-]+", "_", stem.lower()).strip("_-")
    return name or "2d"


@dataclass
class Keypoints2DFile:
    """One loaded 2D file: its name as a 2D source, layout, and positions by subject."""

    name: str
    path: Path
    layout: str
    positions: dict[str, dict[str, Any]]  # subject → {canonical sequence: four arrays}
    has_confidence: bool = False
    layout_from: str = ""

    def views(self, subject: str, sequence: str) -> list | None:
        """The four per-camera arrays (or None entries) of a sequence, None when absent."""
        return self.positions.get(subject, {}).get(sequence)

    def keypoints(self, subject: str, sequence: str, camera: str, frames: int) -> np.ndarray | None:
        """(frames, J, 3) float32 pixels + confidence for one view, None when the file lacks it.

        Errors (one line naming the file, subject, sequence and camera): wrong joint count or
        columns, fewer frames than the 3D poses, NaN coordinates or confidences.
        """
        views = self.views(subject, sequence)
        if views is None:
            return None
        array = views[CAMERA_IDS.index(camera)]
        if array is None:
            return None
        where = f"{self.path}: {subject}/{sequence} camera {camera}"
        try:
            array = np.asarray(array, dtype=np.float32)
        except (TypeError, ValueError):
            raise UserError(f"{where}: not a numeric array") from None
        joints = len(LAYOUTS[self.layout])
        if array.ndim != 3 or array.shape[1:] not in ((joints, 2), (joints, 3)):
            raise UserError(
                f"{where}: shape {array.shape}, expected (frames, {joints}, 2 or 3) for "
                f"layout {self.layout}"
            )
        if len(array) < frames:
            raise UserError(f"{where}: {len(array)} frames, fewer than the 3D poses' {frames}")
        array = array[:frames]
        bad = ~np.isfinite(array)
        if bad.any():
            frame = int(np.argwhere(bad)[0][0])
            raise UserError(f"{where}: NaN or inf in the 2D keypoints (frame {frame})")
        out = np.ones((frames, joints, 3), np.float32)
        out[..., : array.shape[-1]] = array
        if array.shape[-1] == 3:
            self.has_confidence = True
            if (array[..., 2] < 0).any():
                raise UserError(f"{where}: negative confidence")
        return out


#: The layout of a 17-joint file without a ``layout_name``: VideoPose3D's
#: ``prepare_data_h36m.py`` writes its ground-truth 2D file without one, in Human3.6M's order.
UNNAMED_17 = "h36m17"


def _sides(layout: str) -> tuple[frozenset, frozenset]:
    """Indices of the ``left_*`` and of the ``right_*`` joints of ``layout``."""
    joints = LAYOUTS[layout]
    return (
        frozenset(i for i, joint in enumerate(joints) if joint.startswith("left_")),
        frozenset(i for i, joint in enumerate(joints) if joint.startswith("right_")),
    )


def _symmetry(metadata: dict) -> tuple[frozenset, frozenset] | None:
    """VideoPose3D's ``keypoints_symmetry`` ([left indices], [right indices]), if readable."""
    try:
        left, right = metadata.get("keypoints_symmetry")
        return frozenset(int(i) for i in left), frozenset(int(i) for i in right)
    except (TypeError, ValueError):
        return None


def _layout_from_count(path: Path, name: str, metadata: dict, joints_seen: set) -> tuple[str, str]:
    """(layout, how it was chosen) of a file without a ``layout_name``, from its joint count;
    of two layouts with that count, the one its ``keypoints_symmetry`` fits, else (17 joints)
    Human3.6M's order, as in VideoPose3D's ground-truth files."""
    count = metadata.get("num_joints")
    if count is None and len(joints_seen) == 1:
        count = next(iter(joints_seen))
    candidates = layouts_with(int(count)) if isinstance(count, (int, np.integer)) else []
    how = f"{count} joints"
    symmetry = _symmetry(metadata)
    if len(candidates) > 1 and symmetry is not None:
        candidates = [layout for layout in candidates if _sides(layout) == symmetry]
        how = f"{count} joints, no layout_name, keypoints_symmetry of {' or '.join(candidates)}"
    elif len(candidates) > 1 and UNNAMED_17 in candidates:
        candidates = [UNNAMED_17]
        how = f"{count} joints and no layout_name: Human3.6M's order, as VideoPose3D's gt file"
    if len(candidates) != 1:
        fitting = layouts_with(int(count)) if isinstance(count, (int, np.integer)) else []
        known = " or ".join(fitting) if fitting else ", ".join(LAYOUTS)
        raise UserError(
            f"{path}: cannot tell the keypoint layout ({count} joints, no layout_name in "
            f"its metadata): give it: --layout {name}={known.split(' or ')[0]} ({known})"
        )
    return candidates[0], how


def _detect_layout(
    path: Path, name: str, metadata: dict, positions: dict, given: str | None
) -> tuple[str, str]:
    """(layout, how it was chosen) from ``given``, else the metadata, else the joint count."""
    joints_seen = {
        np.shape(array)[1]
        for sequences in positions.values()
        if isinstance(sequences, dict)
        for views in sequences.values()
        if isinstance(views, (list, tuple))
        for array in views
        if array is not None and np.ndim(array) == 3
    }
    from_metadata = None
    if metadata.get("layout_name") is not None:
        try:
            from_metadata = canonical_layout(metadata["layout_name"])
        except ValueError as exc:
            if given is None:
                raise UserError(
                    f"{path}: metadata layout_name: {exc}; give it: --layout {name}=LAYOUT"
                ) from None
    if given is not None:
        try:
            layout = canonical_layout(given)
        except ValueError as exc:
            raise UserError(f"{path}: {exc}") from None
        if from_metadata is not None and from_metadata != layout:
            raise UserError(f"{path}: metadata says layout {from_metadata}, but {layout} was given")
        return layout, "given"
    if from_metadata is not None:
        layout, how = from_metadata, f"metadata layout_name {metadata['layout_name']!r}"
    else:
        layout, how = _layout_from_count(path, name, metadata, joints_seen)
    expected = metadata.get("num_joints")
    if expected is not None and expected != len(LAYOUTS[layout]):
        raise UserError(
            f"{path}: metadata num_joints {expected} does not fit layout {layout} "
            f"({len(LAYOUTS[layout])} joints)"
        )
    return layout, how


def load_2d_file(path: Path, name: str, layout: str | None = None) -> Keypoints2DFile:
    """Load a VideoPose3D 2D file as 2D source ``name``; check its structure and layout.

    Every subject must hold a dictionary of sequences, each a list of four camera arrays
    (``None`` allowed). Sequences that are not one of the 15 actions are an error.
    """
    positions, metadata = load_pickled_dict(path, "positions_2d")
    chosen, how = _detect_layout(path, name, metadata, positions, layout)
    by_subject: dict[str, dict[str, Any]] = {}
    for subject, sequences in positions.items():
        keys = canonical_keys(path, str(subject), sequences)
        unknown = [key for key in sequences if key not in keys.values()]
        if unknown:
            raise UserError(f"{path}: {subject}/{unknown[0]} is not one of the 15 actions")
        by_subject[str(subject)] = {}
        for canonical, key in keys.items():
            views = sequences[key]
            if not isinstance(views, (list, tuple)) or len(views) != len(CAMERA_IDS):
                count = len(views) if isinstance(views, (list, tuple)) else type(views).__name__
                raise UserError(
                    f"{path}: {subject}/{key}: expected a list of {len(CAMERA_IDS)} camera "
                    f"arrays ({', '.join(CAMERA_IDS)}), got {count}"
                )
            by_subject[str(subject)][canonical] = list(views)
    return Keypoints2DFile(name, path, chosen, by_subject, layout_from=how)


def check_against_3d(
    file2d: Keypoints2DFile, sequences_3d: dict[str, list[str]], subjects: list[str]
) -> list[str]:
    """Check that a 2D file fits the 3D file (``sequences_3d``: {subject: canonical sequence
    names}): it must hold every subject in ``subjects`` (those being converted). Returns what
    it holds beyond the 3D file (``S5/Discussion 2``, ``S7 (30 sequences)``), which is left
    out, as VideoPose3D leaves it out (its Stacked Hourglass files cover 209 sequences, the 3D
    file of some releases fewer). Sequences the 2D file lacks are reported by
    :func:`assemble_2d`, not refused."""
    for subject in subjects:
        if subject not in file2d.positions:
            raise UserError(f"{file2d.path}: no subject {subject} (the 3D file has it)")
    extra = []
    for subject, sequences in sorted(file2d.positions.items()):
        if subject not in sequences_3d:
            count = len(sequences)
            extra.append(f"{subject} ({count} sequence{'s' * (count != 1)})")
        else:
            extra += [
                f"{subject}/{name}" for name in sorted(set(sequences) - set(sequences_3d[subject]))
            ]
    return extra


def not_in_3d_note(file2d: Keypoints2DFile, extra: list[str]) -> str | None:
    """The one line saying what of ``file2d`` was left out (None when nothing was)."""
    if not extra:
        return None
    return (
        f"{file2d.path}: left out {len(extra)} part{'s' * (len(extra) != 1)} the 3D file does "
        f"not have, as VideoPose3D does: {', '.join(extra)}"
    )


def assemble_2d(
    file2d: Keypoints2DFile, sequences: list[Any], total_frames: int
) -> tuple[np.ndarray, list[int]]:
    """(F, J, 3) float32 keypoints of ``sequences`` (SequenceInfo-likes with subject,
    sequence, camera, start, frames) back to back, and the indices of those the file lacks
    (left all zero: zero confidence)."""
    out = np.zeros((total_frames, len(LAYOUTS[file2d.layout]), 3), np.float32)
    missing = []
    for index, info in enumerate(sequences):
        keypoints = file2d.keypoints(info.subject, info.sequence, info.camera, info.frames)
        if keypoints is None:
            missing.append(index)
        else:
            out[info.start : info.start + info.frames] = keypoints
    return out, missing
