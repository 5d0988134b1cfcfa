"""The Human3.6M release on disk: canonical names, subjects, and the list of sequences.

Layout of the Human3.6M release::

    RAW_DIR/metadata.xml                                   (optional: camera calibration)
    RAW_DIR/S1/MyPoseFeatures/D3_Positions_mono/<Sequence>.<camera>.cdf   Pose (1, F, 96) mm
    RAW_DIR/S1/MyPoseFeatures/D2_Positions/<Sequence>.<camera>.cdf        Pose (1, F, 64) px
    RAW_DIR/S1/Videos/<Sequence>.<camera>.mp4                             50 fps

Sequence names are irregular (``TakingPhoto 1``, ``WalkingDog``, ``Directions 1``) and the
pose and video folders do not always spell the same sequence the same way, so files are
matched by their canonical name: the action mapped to one of the 15 canonical actions, the
sub-sequence number kept (``TakingPhoto 1`` → action ``Photo``, sequence ``Photo 1``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vidpose.infra.errors import UserError
from vidpose.pose import skeleton

ACTION_ALIASES = {"TakingPhoto": "Photo", "WalkingDog": "WalkDog"}

#: (subject, sequence, camera) whose video is known to be corrupt; skipped with a warning.
KNOWN_CORRUPT = {("S11", "Directions", "54138969"): "known corrupt video in the release"}

_SUBJECT = re.compile(r"S\d{1,2}")
_SEQUENCE = re.compile(r"^(?P<action>[A-Za-z]+)(?:\s+(?P<number>\d+))?$")


def canonical_sequence(name: str) -> tuple[str, str] | None:
    """``'TakingPhoto 1'`` → ``('Photo', 'Photo 1')``; None when no canonical action fits."""
    match = _SEQUENCE.match(name.strip())
    if match is None:
        return None
    action = ACTION_ALIASES.get(match["action"], match["action"])
    if action not in skeleton.H36M_ACTIONS:
        return None
    number = match["number"]
    return action, action if number is None else f"{action} {number}"


def check_subjects(names: list[str], option: str) -> list[str]:
    """Validate subject names like ``S1`` … ``S11``; a bad one is a one-line error."""
    for name in names:
        if not _SUBJECT.fullmatch(name):
            raise UserError(f"{option}: unknown subject name {name!r} (expected S1, S5, …, S11)")
    return list(dict.fromkeys(names))


def split_of(subject: str, train_subjects: list[str], test_subjects: list[str]) -> str:
    if subject in train_subjects:
        return "train"
    if subject in test_subjects:
        return "test"
    raise UserError(f"--subjects: {subject} is in neither --train-subjects nor --test-subjects")


@dataclass(frozen=True)
class SequenceFiles:
    """The files of one recorded sequence seen by one camera."""

    subject: str
    action: str  # one of the 15 canonical actions
    sequence: str  # canonical sequence name, e.g. "Photo 1"
    camera: str
    poses3d_cdf: Path  # D3_Positions_mono
    poses2d_cdf: Path | None  # D2_Positions, when the release has it
    video: Path

    @property
    def key(self) -> str:
        """A file-name-safe identifier, unique within a subject."""
        return f"{self.sequence}.{self.camera}"


@dataclass
class Skipped:
    """A file that was not converted, and why (reported on stderr and in meta.json)."""

    path: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


def _index_by_canonical_name(folder: Path, suffix: str) -> dict[tuple[str, str], Path]:
    """{(canonical sequence, camera): path} for ``<Sequence>.<camera><suffix>`` files."""
    found: dict[tuple[str, str], Path] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob(f"*{suffix}")):
        stem, _, camera = path.name[: -len(suffix)].rpartition(".")
        names = canonical_sequence(stem) if stem else None
        if names is not None:
            found[(names[1], camera)] = path
    return found


def scan_subject(
    raw_dir: Path, subject: str, cameras: list[str]
) -> tuple[list[SequenceFiles], list[Skipped]]:
    """All sequences of ``subject`` seen by ``cameras``, and the files that cannot be used."""
    subject_dir = raw_dir / subject
    mono_dir = subject_dir / "MyPoseFeatures" / "D3_Positions_mono"
    if not mono_dir.is_dir():
        raise UserError(f"{mono_dir}: folder missing (expected the Human3.6M release layout)")
    videos_dir = subject_dir / "Videos"
    videos = _index_by_canonical_name(videos_dir, ".mp4")
    poses2d = _index_by_canonical_name(subject_dir / "MyPoseFeatures" / "D2_Positions", ".cdf")
    sequences: list[SequenceFiles] = []
    skipped: list[Skipped] = []
    for path in sorted(mono_dir.glob("*.cdf")):
        stem, _, camera = path.name[: -len(".cdf")].rpartition(".")
        if not stem:
            skipped.append(Skipped(str(path), "name is not <Sequence>.<camera>.cdf"))
            continue
        if camera not in cameras:
            continue
        names = canonical_sequence(stem)
        if names is None:
            skipped.append(Skipped(str(path), f"{stem!r} is not one of the 15 actions"))
            continue
        action, sequence = names
        corrupt = KNOWN_CORRUPT.get((subject, sequence, camera))
        if corrupt is not None:
            skipped.append(Skipped(str(path), corrupt))
            continue
        video = videos.get((sequence, camera))
        if video is None:
            where = videos_dir if videos_dir.is_dir() else f"{videos_dir} (folder missing)"
            skipped.append(Skipped(str(path), f"no matching video in {where}"))
            continue
        sequences.append(
            SequenceFiles(
                subject=subject,
                action=action,
                sequence=sequence,
                camera=camera,
                poses3d_cdf=path,
                poses2d_cdf=poses2d.get((sequence, camera)),
                video=video,
            )
        )
    return sequences, skipped
