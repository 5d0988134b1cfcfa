"""Reading Acclaim ASF (skeleton) and AMC (motion) files, CMU's original mocap format.

ASF: ``:units`` (``length L``: one file unit is 1/L inches, CMU uses L = 0.45; ``angle deg``
or ``rad``), ``:root`` (``order`` of the root's AMC values, ``axis`` and ``orientation``),
``:bonedata`` (per bone: ``name``, unit ``direction`` and ``length`` at rest in the world
frame, ``axis a b c ORDER`` the bone's local frame, ``dof`` e.g. ``rx ry rz``) and
``:hierarchy`` (``parent child child ...`` lines). AMC: a frame number line, then one line per
bone, ``name value...`` in the order of its dofs.

Forward kinematics (the convention of CMU's viewer): an Acclaim order lists axes in the order
they are applied, so ``axis ... XYZ`` and ``dof rx ry rz`` mean ``Rz @ Ry @ Rx``. With
``C`` the bone's axis rotation and ``M`` its AMC rotation, a bone's world rotation is
``G = G_parent @ C @ M @ C^T`` and its end point is ``end_parent + G @ direction * length``.
The root's rotation is ``C_root @ M_root @ C_root^T`` and its position the AMC translation.
Each bone's position in a :class:`~vidpose.mocap.skeleton_take.Take` is its end point; the
root's is the root position.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.mocap.rotations import euler_to_matrix
from vidpose.mocap.skeleton_take import Take, with_ancestors

#: CMU's mocap frame rate; AMC files do not state theirs.
AMC_DEFAULT_FPS = 120.0
INCH_M = 0.0254


@dataclass
class Bone:
    name: str
    direction: np.ndarray  # (3,) unit, world frame at rest
    length: float
    axis_matrix: np.ndarray  # (3, 3) C
    dofs: tuple[str, ...] = ()


@dataclass
class AsfSkeleton:
    """A parsed ASF: bones (the root first), parents (index, -1 for the root), units."""

    path: Path
    bones: list[Bone]
    parents: np.ndarray
    metres_per_unit: float | None
    degrees: bool
    root_order: tuple[str, ...] = ("TX", "TY", "TZ", "RX", "RY", "RZ")
    index: dict[str, int] = field(default_factory=dict)


def _error(path: Path, line: int, message: str) -> UserError:
    return UserError(f"{path}: line {line}: {message}")


def _acclaim_rotation(angles: np.ndarray, axes: str, degrees: bool) -> np.ndarray:
    """Angles (..., n) applied in the order of ``axes`` (Acclaim) → rotations (..., 3, 3)."""
    angles = np.asarray(angles, dtype=np.float64)
    if not degrees:
        angles = np.degrees(angles)
    return euler_to_matrix(angles[..., ::-1], axes[::-1].upper())


ROOT_CHANNELS = ("TX", "TY", "TZ", "RX", "RY", "RZ")


def _axis_order(path: Path, line: int, text: str, what: str) -> str:
    """An Euler order such as ``XYZ``: each of X, Y and Z once, any case."""
    order = text.upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise _error(path, line, f"{what} {text!r}: expected an order of the axes X, Y, Z")
    return order


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _numbers(path: Path, line: int, tokens: list[str], count: int, what: str) -> list[float]:
    if len(tokens) < count:
        raise _error(path, line, f"{what} needs {count} numbers")
    try:
        return [float(t) for t in tokens[:count]]
    except ValueError:
        raise _error(path, line, f"{what} has a value that is not a number") from None


def _bone_line(path: Path, number: int, tokens: list[str], current, raw_bones: list[dict]):
    """One line of a ``:bonedata`` block; the bone being read (a dict), or None after ``end``
    (the finished bone appended to ``raw_bones``)."""
    key = tokens[0]
    if key == "begin":
        return {"line": number, "dofs": (), "axis": ([0.0, 0.0, 0.0], "XYZ")}
    if key == "end":
        if current is None or "name" not in current:
            raise _error(path, number, "bone without a name")
        for needed in ("direction", "length"):
            if needed not in current:
                raise _error(path, number, f"bone {current['name']!r} has no {needed}")
        raw_bones.append(current)
        return None
    if current is None:
        raise _error(path, number, f"{key!r} outside a begin/end bone block")
    if key == "name" and len(tokens) > 1:
        current["name"] = tokens[1]
    elif key == "direction":
        current["direction"] = _numbers(path, number, tokens[1:], 3, "direction")
    elif key == "length":
        current["length"] = _numbers(path, number, tokens[1:], 1, "length")[0]
    elif key == "axis":
        angles = _numbers(path, number, tokens[1:], 3, "axis")
        order = tokens[4] if len(tokens) > 4 else "XYZ"
        current["axis"] = (angles, _axis_order(path, number, order, "axis order"))
    elif key == "dof":
        current["dofs"] = tuple(t.lower() for t in tokens[1:])
    return current


def _bones(path: Path, raw_bones: list[dict], degrees: bool) -> list[Bone]:
    """The bones read from ``:bonedata`` (unit directions, axis matrices); rotational dofs only."""
    bones = []
    for raw in raw_bones:
        unsupported = [d for d in raw["dofs"] if d not in ("rx", "ry", "rz")]
        if unsupported:
            raise _error(
                path, raw["line"], f"bone {raw['name']!r}: unsupported dof {unsupported[0]}"
            )
        direction = np.array(raw["direction"])
        norm = np.linalg.norm(direction)
        bones.append(
            Bone(
                name=raw["name"],
                direction=direction / norm if norm > 0 else direction,
                length=float(raw["length"]),
                axis_matrix=_acclaim_rotation(raw["axis"][0], raw["axis"][1], degrees),
                dofs=raw["dofs"],
            )
        )
    return bones


def read_asf(path: str | os.PathLike) -> AsfSkeleton:
    """Parse the ASF file at ``path``; a malformed file raises UserError naming its line."""
    path = Path(path)
    lines = _read_lines(path)
    section, units_length, degrees = "", None, True
    root_order = ("TX", "TY", "TZ", "RX", "RY", "RZ")
    root_axis, root_orientation = "XYZ", [0.0, 0.0, 0.0]
    raw_bones: list[dict] = []
    current: dict | None = None
    edges: list[tuple[str, str, int]] = []
    for number, text in enumerate(lines, start=1):
        tokens = text.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        key = tokens[0]
        if key.startswith(":"):
            section = key
            if key in (":version", ":name", ":documentation"):
                section = ":skip" if key == ":documentation" else key
            continue
        if section == ":units":
            if key == "length":
                units_length = _numbers(path, number, tokens[1:], 1, "units length")[0]
                if not 0 < units_length < np.inf:
                    message = f"units length must be a positive number, got {tokens[1]}"
                    raise _error(path, number, message)
            elif key == "angle":
                degrees = tokens[1].lower().startswith("deg") if len(tokens) > 1 else True
        elif section == ":root":
            if key == "order":
                root_order = tuple(t.upper() for t in tokens[1:])
                unknown = [t for t in root_order if t not in ROOT_CHANNELS]
                if unknown or len(set(root_order)) != len(root_order):
                    what = f"unknown channel {unknown[0]!r}" if unknown else "a repeated channel"
                    raise _error(
                        path, number, f"root order has {what} (expected TX TY TZ RX RY RZ)"
                    )
            elif key == "axis" and len(tokens) > 1:
                root_axis = _axis_order(path, number, tokens[1], "root axis")
            elif key == "orientation":
                root_orientation = _numbers(path, number, tokens[1:], 3, "orientation")
        elif section == ":bonedata":
            current = _bone_line(path, number, tokens, current, raw_bones)
        elif section == ":hierarchy":
            if key in ("begin", "end"):
                continue
            edges.extend((key, child, number) for child in tokens[1:])
    if not raw_bones:
        raise _error(path, len(lines), "no bones (:bonedata) found; is this an ASF file?")
    root = _acclaim_rotation(root_orientation, root_axis, degrees)
    bones = [Bone("root", np.zeros(3), 0.0, root)] + _bones(path, raw_bones, degrees)
    bones, parents = _tree_order(path, len(lines), bones, edges)
    return AsfSkeleton(
        path=path,
        bones=bones,
        parents=parents,
        metres_per_unit=None if units_length is None else INCH_M / units_length,
        degrees=degrees,
        root_order=root_order,
        index={bone.name: i for i, bone in enumerate(bones)},
    )


def _tree_order(
    path: Path, last_line: int, bones: list[Bone], edges: list[tuple[str, str, int]]
) -> tuple[list[Bone], np.ndarray]:
    """The bones reordered so that every parent comes before its children (root first), and
    their parent indices; UserError for a bone with two parents, a name not in :bonedata, a
    bone outside the hierarchy or a cycle."""
    index = {bone.name: i for i, bone in enumerate(bones)}
    parent_of: dict[int, tuple[int, int]] = {}
    for parent, child, number in edges:
        if parent not in index or child not in index:
            missing = parent if parent not in index else child
            raise _error(path, number, f"hierarchy names bone {missing!r}, not in :bonedata")
        if index[child] in parent_of or child == "root":
            raise _error(path, number, f"bone {child!r} has a second parent ({parent!r})")
        parent_of[index[child]] = (index[parent], number)
    orphans = [bones[i].name for i in range(1, len(bones)) if i not in parent_of]
    if orphans:
        raise _error(path, last_line, f"bone(s) not in the :hierarchy: {', '.join(orphans)}")
    order, depth_first = [0], [0]
    children: dict[int, list[int]] = {}
    for child, (parent, _) in sorted(parent_of.items()):
        children.setdefault(parent, []).append(child)
    while depth_first:
        for child in reversed(children.get(depth_first.pop(), [])):
            order.append(child)
            depth_first.append(child)
    if len(order) < len(bones):
        node = next(i for i in range(len(bones)) if i not in set(order))
        for _ in range(len(bones)):  # walk up until surely on the cycle
            node = parent_of[node][0]
        cycle, start = [bones[node].name], node
        while (node := parent_of[node][0]) != start:
            cycle.append(bones[node].name)
        line = parent_of[start][1]
        ring = [*cycle, cycle[0]]
        chain = ", ".join(f"{a}'s parent is {b}" for a, b in zip(ring, ring[1:], strict=False))
        raise _error(path, line, f"the :hierarchy has a cycle: {chain}")
    position = {old: new for new, old in enumerate(order)}
    parents = np.array([-1] + [position[parent_of[old][0]] for old in order[1:]], np.int64)
    return [bones[i] for i in order], parents


def read_amc(path: str | os.PathLike, asf: AsfSkeleton) -> dict[str, np.ndarray]:
    """Per bone (and ``root``), its AMC values (F, len(dofs)); bones the file never moves are
    absent. Raises UserError naming the line for a bone not in ``asf`` or a malformed line."""
    path = Path(path)
    lines = _read_lines(path)
    widths = {b.name: len(b.dofs) for b in asf.bones}
    widths["root"] = len(asf.root_order)
    frames: list[dict[str, list[float]]] = []
    for number, text in enumerate(lines, start=1):
        tokens = text.split()
        if not tokens or tokens[0].startswith(("#", ":")):
            continue
        if len(tokens) == 1 and tokens[0].isdigit():
            frames.append({})
            continue
        name = tokens[0]
        if not frames:
            raise _error(path, number, f"{name!r} before the first frame number")
        if name not in widths:
            raise _error(path, number, f"bone {name!r} is not in the skeleton {asf.path.name}")
        if len(tokens) - 1 != widths[name]:
            raise _error(
                path, number, f"bone {name!r} needs {widths[name]} values, got {len(tokens) - 1}"
            )
        try:
            values = [float(t) for t in tokens[1:]]
        except ValueError:
            raise _error(path, number, f"a value of bone {name!r} is not a number") from None
        if not np.isfinite(values).all():
            raise _error(path, number, f"NaN or inf for bone {name!r}")
        frames[-1][name] = values
    if not frames:
        raise _error(path, len(lines), "no frames found; is this an AMC file?")
    names = {name for frame in frames for name in frame}
    if not names:
        raise UserError(f"{path}: {len(frames)} frame numbers but no bone values in any frame")
    table = {}
    for name in names:
        rows = [frame.get(name) for frame in frames]
        if any(r is None for r in rows):
            missing = rows.index(None)
            raise UserError(f"{path}: frame {missing + 1} has no values for bone {name!r}")
        table[name] = np.array(rows, dtype=np.float64).reshape(len(frames), widths[name])
    return table


def _dof_rotation(values: np.ndarray, dofs: tuple[str, ...], degrees: bool) -> np.ndarray:
    rotational = [(i, d[1].upper()) for i, d in enumerate(dofs) if d.startswith("r")]
    axes = "".join(a for _, a in rotational)
    return _acclaim_rotation(values[:, [i for i, _ in rotational]], axes, degrees)


def asf_amc_take(
    asf: AsfSkeleton,
    amc_path: str | os.PathLike,
    fps: float,
    joints=None,
    table: dict[str, np.ndarray] | None = None,
    rotations_of=(),
) -> Take:
    """Forward kinematics of the AMC file at ``amc_path`` on ``asf``, for the bones ``joints``
    (indices; default all) and their ancestors, keeping the world rotations of the bones
    ``rotations_of``; ``table`` is its :func:`read_amc` result when already read."""
    if table is None:
        table = read_amc(amc_path, asf)
    num_frames = len(next(iter(table.values())))
    names = [b.name for b in asf.bones]
    wanted = list(range(len(names)) if joints is None else joints) + list(rotations_of)
    order = with_ancestors(asf.parents, wanted)
    positions = np.full((num_frames, len(names), 3), np.nan)
    rest = np.zeros((len(names), 3))
    rotations: dict[int, np.ndarray] = {}
    for i in range(1, len(names)):
        bone = asf.bones[i]
        rest[i] = rest[asf.parents[i]] + bone.direction * bone.length
    root_values = table.get("root", np.zeros((num_frames, len(asf.root_order))))
    translation = np.zeros((num_frames, 3))
    for column, channel in enumerate(asf.root_order):
        if channel.startswith("T"):
            translation[:, "XYZ".index(channel[1])] = root_values[:, column]
    root_rotation_dofs = tuple(c.lower() for c in asf.root_order if c.startswith("R"))
    root_columns = [i for i, c in enumerate(asf.root_order) if c.startswith("R")]
    axis = asf.bones[0].axis_matrix
    motion = _dof_rotation(root_values[:, root_columns], root_rotation_dofs, asf.degrees)
    rotations[0] = axis @ motion @ axis.T
    positions[:, 0] = translation
    for i in order:
        if i == 0:
            continue
        bone, parent = asf.bones[i], int(asf.parents[i])
        axis = bone.axis_matrix
        if bone.name in table and bone.dofs:
            motion = _dof_rotation(table[bone.name], bone.dofs, asf.degrees)
            local = axis @ motion @ axis.T
        else:
            local = np.broadcast_to(np.eye(3), (num_frames, 3, 3))
        rotations[i] = rotations[parent] @ local
        positions[:, i] = positions[:, parent] + np.einsum(
            "fij,j->fi", rotations[i], bone.direction * bone.length
        )
    return Take(
        names=names,
        parents=asf.parents,
        rest=rest,
        positions=positions,
        fps=fps,
        source=Path(amc_path),
        units_m=asf.metres_per_unit,
        rotations={int(i): rotations[int(i)] for i in rotations_of},
    )
