"""Reading BVH files (Biovision Hierarchy) and their forward kinematics, vectorised over frames.

Format: ``HIERARCHY``, a tree of ``ROOT``/``JOINT`` blocks with an ``OFFSET`` (the joint's
position in its parent's frame at rest) and ``CHANNELS`` (position and rotation channels in
any order, per joint), ``End Site`` leaves with an ``OFFSET``; then ``MOTION``, ``Frames: F``,
``Frame Time: T`` (seconds) and F lines of channel values (degrees for rotations).

Conventions this reader follows (those of Blender's importer and most tools):

- a joint's rotation channels compose in the order they are written,
  ``CHANNELS 3 Zrotation Xrotation Yrotation`` meaning ``R = Rz @ Rx @ Ry``;
- position channels, on the root or on any other joint, give that joint's translation in its
  parent's frame and replace the ``OFFSET`` along the axes they name;
- ``x(joint) = x(parent) + G(parent) @ t(joint)`` and ``G(joint) = G(parent) @ R(joint)``, with
  ``x`` world positions, ``G`` world rotations, ``t`` translations and ``R`` local rotations.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.mocap.rotations import euler_to_matrix
from vidpose.mocap.skeleton_take import Take, with_ancestors

CHANNEL_NAMES = {
    "Xposition": ("position", "X"),
    "Yposition": ("position", "Y"),
    "Zposition": ("position", "Z"),
    "Xrotation": ("rotation", "X"),
    "Yrotation": ("rotation", "Y"),
    "Zrotation": ("rotation", "Z"),
}


@dataclass
class BvhFile:
    """A parsed BVH file: ``names``, ``parents`` (J,), ``offsets`` (J, 3), ``channels`` (per
    joint, a tuple of channel names; End Sites have none), ``motion`` (F, C) channel values in
    file order, ``frame_time`` seconds."""

    path: Path
    names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    channels: list[tuple[str, ...]]
    motion: np.ndarray
    frame_time: float

    def channel_columns(self) -> list[np.ndarray]:
        """For each joint, the columns of ``motion`` holding its channels."""
        columns, start = [], 0
        for chans in self.channels:
            columns.append(np.arange(start, start + len(chans)))
            start += len(chans)
        return columns


class _Lines:
    """Tokens of the hierarchy with their 1-based line numbers, for error messages."""

    def __init__(self, path: Path, lines: list[str]):
        self.path, self.lines, self.row = path, lines, 0

    def next(self) -> tuple[list[str], int]:
        while self.row < len(self.lines):
            self.row += 1
            tokens = self.lines[self.row - 1].split()
            if tokens:
                return tokens, self.row
        raise self.error("unexpected end of file in the HIERARCHY", len(self.lines))

    def error(self, message: str, line: int) -> UserError:
        return UserError(f"{self.path}: line {line}: {message}")


def _floats(reader: _Lines, tokens: list[str], count: int, line: int, what: str) -> list[float]:
    if len(tokens) != count:
        raise reader.error(f"{what} needs {count} numbers, got {len(tokens)}", line)
    try:
        return [float(t) for t in tokens]
    except ValueError:
        message = f"{what} has a value that is not a number: {' '.join(tokens)}"
        raise reader.error(message, line) from None


def _parse_joint(reader: _Lines, name: str, parent: int, out: dict, is_end: bool) -> None:
    tokens, line = reader.next()
    if tokens != ["{"]:
        raise reader.error(f"expected '{{' after joint {name!r}, got {' '.join(tokens)!r}", line)
    index = len(out["names"])
    out["names"].append(name)
    out["parents"].append(parent)
    out["offsets"].append(None)
    out["channels"].append(())
    end_count = 0
    while True:
        tokens, line = reader.next()
        key = tokens[0]
        if key == "OFFSET":
            out["offsets"][index] = _floats(reader, tokens[1:], 3, line, "OFFSET")
        elif key == "CHANNELS" and not is_end:
            try:
                count = int(tokens[1])
            except (IndexError, ValueError):
                raise reader.error("CHANNELS needs a count", line) from None
            names = tuple(tokens[2:])
            if len(names) != count:
                raise reader.error(f"CHANNELS says {count} but lists {len(names)}", line)
            unknown = [c for c in names if c not in CHANNEL_NAMES]
            if unknown:
                raise reader.error(f"unknown channel {unknown[0]!r}", line)
            out["channels"][index] = names
        elif key == "JOINT" and not is_end:
            if len(tokens) < 2:
                raise reader.error("JOINT without a name", line)
            _parse_joint(reader, " ".join(tokens[1:]), index, out, False)
        elif key == "End" and not is_end:
            end_count += 1
            suffix = "_end" if end_count == 1 else f"_end{end_count}"
            _parse_joint(reader, name + suffix, index, out, True)
        elif key == "}":
            if out["offsets"][index] is None:
                raise reader.error(f"joint {name!r} has no OFFSET", line)
            return
        else:
            raise reader.error(f"unexpected {' '.join(tokens)!r} in joint {name!r}", line)


def read_bvh(path: str | os.PathLike) -> BvhFile:
    """Parse the BVH file at ``path``; a malformed file raises UserError naming its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")  # a byte-order mark too
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    lines = text.splitlines()
    reader = _Lines(path, lines)
    tokens, line = reader.next() if lines else ([""], 1)
    if tokens[0] != "HIERARCHY":
        raise reader.error("not a BVH file (it must start with HIERARCHY)", line)
    out: dict[str, list] = {"names": [], "parents": [], "offsets": [], "channels": []}
    while True:
        tokens, line = reader.next()
        if tokens[0] == "ROOT" and len(tokens) >= 2:
            _parse_joint(reader, " ".join(tokens[1:]), -1, out, False)
        elif tokens[0] == "MOTION":
            break
        else:
            raise reader.error(f"expected ROOT or MOTION, got {' '.join(tokens)!r}", line)
    if not out["names"]:
        raise reader.error("no ROOT joint in the HIERARCHY", line)
    duplicates = {n for n in out["names"] if out["names"].count(n) > 1}
    if duplicates:
        raise reader.error(f"joint name(s) used twice: {', '.join(sorted(duplicates))}", line)

    tokens, frames_line = reader.next()
    if tokens[0] != "Frames:" or len(tokens) != 2 or not tokens[1].isdigit():
        raise reader.error("expected 'Frames: <count>'", frames_line)
    num_frames = int(tokens[1])
    tokens, line = reader.next()
    if tokens[:2] != ["Frame", "Time:"] or len(tokens) != 3:
        raise reader.error("expected 'Frame Time: <seconds>'", line)
    try:
        frame_time = float(tokens[2])
    except ValueError:
        frame_time = float("nan")
    if not np.isfinite(frame_time) or frame_time <= 0:
        raise reader.error(f"Frame Time must be a positive number, got {tokens[2]!r}", line)
    if num_frames == 0:
        raise reader.error("the file has no frames (Frames: 0)", line)

    channels = out["channels"]
    width = sum(len(c) for c in channels)
    first = reader.row  # 0-based index of the first motion line
    rows = [(i, s) for i, s in enumerate(lines[first:], start=first + 1) if s.strip()]
    if len(rows) != num_frames:
        only = "only " if len(rows) < num_frames else ""
        raise reader.error(
            f"Frames: {num_frames} but {only}{len(rows)} lines of motion follow", frames_line
        )
    motion = _motion_values(reader, rows, width)
    return BvhFile(
        path=path,
        names=out["names"],
        parents=np.array(out["parents"], dtype=np.int64),
        offsets=np.array(out["offsets"], dtype=np.float64),
        channels=channels,
        motion=motion,
        frame_time=frame_time,
    )


def _motion_values(reader: _Lines, rows: list[tuple[int, str]], width: int) -> np.ndarray:
    """The (F, width) channel values; a bad line is found only after the fast path fails."""
    try:
        values = np.array(" ".join(s for _, s in rows).split(), dtype=np.float64)
    except ValueError:
        values = None
    if values is None or values.size != len(rows) * width:
        for number, text in rows:
            parts = text.split()
            if len(parts) != width:
                raise reader.error(f"expected {width} channel values, got {len(parts)}", number)
            try:
                [float(p) for p in parts]
            except ValueError:
                raise reader.error("a channel value is not a number", number) from None
        raise reader.error("malformed MOTION section", rows[0][0])
    values = values.reshape(len(rows), width)
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise reader.error(f"NaN or inf in frame {bad}", rows[bad][0])
    return values


def forward_kinematics(bvh: BvhFile, joints=None) -> np.ndarray:
    """World positions (F, J, 3) of ``joints`` (indices; default all) and their ancestors, in
    file units; the other joints are NaN. Loops over joints, vectorised over frames."""
    return forward_kinematics_with_rotations(bvh, joints)[0]


def forward_kinematics_with_rotations(
    bvh: BvhFile, joints=None, rotations_of=()
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """:func:`forward_kinematics` and the world rotations (F, 3, 3) of the joints
    ``rotations_of`` (indices, computed with their ancestors), keyed by joint index. At rest
    (every channel zero) all world rotations are the identity."""
    num_frames, num_joints = len(bvh.motion), len(bvh.names)
    wanted = list(range(num_joints) if joints is None else joints) + list(rotations_of)
    order = with_ancestors(bvh.parents, wanted)
    positions = np.full((num_frames, num_joints, 3), np.nan)
    globals_: dict[int, np.ndarray] = {}
    columns = bvh.channel_columns()
    for joint in order:
        translation = np.broadcast_to(bvh.offsets[joint], (num_frames, 3)).copy()
        rotation_order, rotation_columns = "", []
        for name, column in zip(bvh.channels[joint], columns[joint], strict=True):
            kind, axis = CHANNEL_NAMES[name]
            if kind == "position":
                translation[:, "XYZ".index(axis)] = bvh.motion[:, column]
            else:
                rotation_order += axis
                rotation_columns.append(column)
        local = euler_to_matrix(bvh.motion[:, rotation_columns], rotation_order)
        parent = int(bvh.parents[joint])
        if parent < 0:
            positions[:, joint] = translation
            globals_[joint] = local
        else:
            parent_rotation = globals_[parent]
            positions[:, joint] = positions[:, parent] + np.einsum(
                "fij,fj->fi", parent_rotation, translation
            )
            globals_[joint] = parent_rotation @ local
    return positions, {int(j): globals_[int(j)] for j in rotations_of}


def restore_dropped_bone(bvh: BvhFile, joint: int) -> tuple[BvhFile, float] | None:
    """Give back the bone that a conversion collapsed to zero length at ``joint``.

    Some BVH conversions of Acclaim skeletons (CMU's cgspeed release among them) keep a
    bone's rotation but drop its length: every child of ``joint`` sits at a zero OFFSET. The
    lost bone is estimated as continuing the chain into ``joint``: the direction of
    ``joint``'s own OFFSET, with the mean length of ``joint``'s and its parent's OFFSETs
    (CMU's three trunk bones agree within 5 %). Returns (a copy with the children's OFFSETs
    set to that bone, its length in file units), or None when ``joint`` has no children, a
    child with a non-zero OFFSET or position channels, or no bone leading into it.
    """
    children = np.flatnonzero(bvh.parents == joint)
    parent = int(bvh.parents[joint])
    if len(children) == 0 or parent < 0:
        return None
    for child in children:
        moved = any(CHANNEL_NAMES[c][0] == "position" for c in bvh.channels[child])
        if np.linalg.norm(bvh.offsets[child]) > 0 or moved:
            return None
    incoming = bvh.offsets[joint]
    length = float(np.linalg.norm(incoming) + np.linalg.norm(bvh.offsets[parent])) / 2
    if np.linalg.norm(incoming) == 0 or length == 0:
        return None
    offsets = bvh.offsets.copy()
    offsets[children] = incoming / np.linalg.norm(incoming) * length
    return replace(bvh, offsets=offsets), length


def rest_positions(bvh: BvhFile) -> np.ndarray:
    """Joint positions (J, 3) with every channel zero except that OFFSETs stand: the rest pose."""
    rest = np.zeros((len(bvh.names), 3))
    for joint, parent in enumerate(bvh.parents):
        rest[joint] = bvh.offsets[joint] + (rest[parent] if parent >= 0 else 0.0)
    return rest


def bvh_take(bvh: BvhFile, joints=None, fps: float | None = None, rotations_of=()) -> Take:
    """The :class:`Take` of a parsed file: forward kinematics of ``joints`` (indices, default
    all) and their ancestors, and the world rotations of ``rotations_of``; ``fps`` overrides
    the file's ``Frame Time``."""
    positions, rotations = forward_kinematics_with_rotations(bvh, joints, rotations_of)
    return Take(
        names=bvh.names,
        parents=bvh.parents,
        rest=rest_positions(bvh),
        positions=positions,
        fps=fps or 1.0 / bvh.frame_time,
        source=bvh.path,
        rotations=rotations,
    )
