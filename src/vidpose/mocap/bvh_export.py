"""17-joint positions → a BVH file with joint rotations, for Blender, Unity or MotionBuilder.

The hierarchy is the Human3.6M tree of :mod:`vidpose.pose.skeleton`, joints named as there, in
metres, Y up, the rest pose facing +Z with the character's left along +X. Every joint has
``Zrotation Yrotation Xrotation`` channels (``R = Rz @ Ry @ Rx``, degrees), the pelvis also
``Xposition Yposition Zposition`` first (the root translation), and by default so do the six
branch joints (hips, spine, neck, shoulders; see below).

Rest pose: legs straight down (-Y), spine → thorax and neck → head straight up (+Y), arms out
sideways (a T-pose, ±X). The pelvis and the thorax each carry three bones at fixed angles to one
another; those rest directions are the sequence's median directions in the joint's own frame,
so a rigid body is reproduced exactly. Bone lengths are the sequence's median lengths.

Rotations per frame: the pelvis and the thorax turn their three bones (hips and spine, or
shoulders and neck) onto the observed ones by the rotation of least squares (Kabsch), each bone
weighted by the joints that hang from it, so the twist of the body comes from the hips and the
shoulders. Every other joint with a child takes its parent's rotation followed by the shortest
turn that points its bone along the observed direction. Bones below the pelvis and the thorax
are then exact. One rotation cannot bend the spine against the hips, so the six branch bones
are exact only when the input's branches are rigid; predictions and real mocap are not (tens
of millimetres in CMU's dance take). By default each branch joint therefore also has position
channels, its place in the parent's frame: the observed direction at the median bone length
(Blender and MotionBuilder read them). ``rotations_only=True`` leaves them out (for tools
that ignore non-root translations) and the branch bones carry the least-squares residual,
which :func:`branch_residual_m` reports.
"""

from __future__ import annotations

import io

import numpy as np

from vidpose.mocap.rotations import matrix_to_euler, rotation_between
from vidpose.pose.skeleton import BONES, JOINT_NAMES, NUM_JOINTS, PARENTS

CHANNEL_ORDER = "ZYX"
#: The branch joints (pelvis, thorax) and the children that span their frame for the rest
#: directions: (left, right, up).
BRANCH_FRAMES = {0: (4, 1, 7), 8: (11, 14, 9)}
#: Rest directions of the bones that end at each joint whose parent is not a branch joint.
REST_DIRECTIONS = {
    2: (0, -1, 0),
    3: (0, -1, 0),
    5: (0, -1, 0),
    6: (0, -1, 0),
    8: (0, 1, 0),
    10: (0, 1, 0),
    12: (1, 0, 0),
    13: (1, 0, 0),
    15: (-1, 0, 0),
    16: (-1, 0, 0),
}
#: End Sites of the leaves, as a direction in the leaf's frame and a fraction of its bone.
END_SITES = {
    3: ((0, 0, 1), 0.25),
    6: ((0, 0, 1), 0.25),
    10: ((0, 1, 0), 0.5),
    13: ((1, 0, 0), 0.25),
    16: ((-1, 0, 0), 0.25),
}
CHILDREN = {j: [int(c) for c in np.flatnonzero(j == PARENTS)] for j in range(NUM_JOINTS)}


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def branch_frames(positions: np.ndarray, joint: int) -> np.ndarray:
    """Rotations (F, 3, 3) whose columns are the x (right → left), y (up the trunk) and z axes of
    branch ``joint`` (0 pelvis, 8 thorax) in each frame of ``positions`` (F, 17, 3)."""
    left, right, up = BRANCH_FRAMES[joint]
    x = _unit(positions[:, left] - positions[:, right])
    rise = positions[:, up] - positions[:, joint]
    y = _unit(rise - np.sum(rise * x, axis=-1, keepdims=True) * x)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)


def rest_offsets(positions: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Offsets (17, 3) of the rest pose (see the module docstring); the pelvis's is zero."""
    offsets = np.zeros((NUM_JOINTS, 3))
    for child, direction in REST_DIRECTIONS.items():
        offsets[child] = np.array(direction, dtype=np.float64) * lengths[child - 1]
    for joint in BRANCH_FRAMES:
        frames = branch_frames(positions, joint)
        for child in CHILDREN[joint]:
            local = np.einsum(
                "fji,fj->fi", frames, _unit(positions[:, child] - positions[:, joint])
            )
            offsets[child] = _unit(np.median(local, axis=0)) * lengths[child - 1]
    return offsets


def _subtree_sizes() -> np.ndarray:
    sizes = np.ones(NUM_JOINTS)
    for joint in range(NUM_JOINTS - 1, 0, -1):
        sizes[PARENTS[joint]] += sizes[joint]
    return sizes


def kabsch(rest: np.ndarray, observed: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rotations (F, 3, 3) minimising sum_i w_i |R rest_i - observed_i|^2 for rest (K, 3) and
    observed (F, K, 3) vectors."""
    covariance = np.einsum("k,fki,kj->fij", weights, observed, rest)
    u, _, vt = np.linalg.svd(covariance)
    sign = np.sign(np.linalg.det(u @ vt))
    u = u * np.stack([np.ones_like(sign), np.ones_like(sign), sign], axis=-1)[:, None, :]
    return u @ vt


def solve_rotations(positions: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """World rotations (F, 17, 3, 3) of the joints posing the rest skeleton as ``positions``."""
    num_frames = len(positions)
    world = np.zeros((num_frames, NUM_JOINTS, 3, 3))
    for joint in range(NUM_JOINTS):
        parent = int(PARENTS[joint])
        parent_rotation = (
            np.broadcast_to(np.eye(3), (num_frames, 3, 3)) if parent < 0 else (world[:, parent])
        )
        if joint in BRANCH_FRAMES:
            children = CHILDREN[joint]
            lengths = np.linalg.norm(offsets[children], axis=-1)
            observed = _unit(positions[:, children] - positions[:, joint, None]) * lengths[:, None]
            weights = _subtree_sizes()[children]
            world[:, joint] = kabsch(offsets[children], observed, weights)
        elif CHILDREN[joint]:
            (child,) = CHILDREN[joint]
            carried = np.einsum("fij,j->fi", parent_rotation, _unit(offsets[child]))
            observed = _unit(positions[:, child] - positions[:, joint])
            world[:, joint] = rotation_between(carried, observed) @ parent_rotation
        else:
            world[:, joint] = parent_rotation
    return world


def branch_translations(positions: np.ndarray, world: np.ndarray, offsets: np.ndarray):
    """Per branch child (hips, spine, neck, shoulders): its position (F, 3) in its parent's
    frame, the observed direction at the rest (median) length."""
    out = {}
    for joint in BRANCH_FRAMES:
        for child in CHILDREN[joint]:
            length = np.linalg.norm(offsets[child])
            direction = _unit(positions[:, child] - positions[:, joint])
            out[child] = np.einsum("fji,fj->fi", world[:, joint], direction * length)
    return out


def branch_residual_m(positions: np.ndarray, fps: float = 50.0) -> float:
    """Largest distance (metres) between a branch joint placed by rotations alone and its
    observed direction at the median length: what ``rotations_only`` gives up."""
    positions = np.asarray(positions, dtype=np.float64)
    offsets = rest_offsets(positions, median_lengths(positions))
    world = solve_rotations(positions, offsets)
    worst = 0.0
    for child, local in branch_translations(positions, world, offsets).items():
        worst = max(worst, float(np.linalg.norm(local - offsets[child], axis=-1).max()))
    return worst


def median_lengths(positions: np.ndarray) -> np.ndarray:
    """The sequence's median length (16,) of each bone of ``positions`` (F, 17, 3)."""
    bones = positions[:, BONES[:, 0]] - positions[:, BONES[:, 1]]
    return np.median(np.linalg.norm(bones, axis=-1), axis=0)


def reproduced_positions(positions: np.ndarray) -> np.ndarray:
    """What the BVH of ``positions`` (F, 17, 3) plays back (without ``rotations_only``): each
    bone's observed direction at the sequence's median length, hung from the pelvis."""
    positions = np.asarray(positions, dtype=np.float64)
    lengths = median_lengths(positions)
    out = np.empty_like(positions)
    out[:, 0] = positions[:, 0]
    for child, parent in BONES:
        direction = _unit(positions[:, child] - positions[:, parent])
        out[:, child] = out[:, parent] + direction * lengths[child - 1]
    return out


def local_euler(world: np.ndarray) -> np.ndarray:
    """Per-joint local rotations of ``world`` (F, 17, 3, 3) as ZYX Euler angles (F, 17, 3) in
    degrees, unwrapped over time so no channel jumps by 360°."""
    local = world.copy()
    for joint in range(1, NUM_JOINTS):
        local[:, joint] = np.swapaxes(world[:, PARENTS[joint]], -1, -2) @ world[:, joint]
    angles = matrix_to_euler(local, CHANNEL_ORDER)
    return np.degrees(np.unwrap(np.radians(angles), axis=0))


def _hierarchy(offsets: np.ndarray, lengths: np.ndarray, moving: set[int]) -> list[str]:
    lines = ["HIERARCHY"]

    def write(joint: int, depth: int) -> None:
        pad = "\t" * depth
        kind = "ROOT" if joint == 0 else "JOINT"
        lines.append(f"{pad}{kind} {JOINT_NAMES[joint]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}\tOFFSET {' '.join(f'{v:.6f}' for v in offsets[joint])}")
        rotations = "Zrotation Yrotation Xrotation"
        if joint == 0 or joint in moving:
            lines.append(f"{pad}\tCHANNELS 6 Xposition Yposition Zposition {rotations}")
        else:
            lines.append(f"{pad}\tCHANNELS 3 {rotations}")
        for child in CHILDREN[joint]:
            write(child, depth + 1)
        if joint in END_SITES:
            direction, fraction = END_SITES[joint]
            end = np.array(direction, dtype=np.float64) * fraction * lengths[joint - 1]
            lines.extend(
                [
                    f"{pad}\tEnd Site",
                    f"{pad}\t{{",
                    f"{pad}\t\tOFFSET {' '.join(f'{v:.6f}' for v in end)}",
                    f"{pad}\t}}",
                ]
            )
        lines.append(f"{pad}}}")

    write(0, 0)
    return lines


def bvh_text(positions: np.ndarray, fps: float, rotations_only: bool = False) -> str:
    """The BVH file for poses (F, 17, 3) in metres, Y up, at ``fps``; the pelvis's position is
    the root translation of each frame."""
    positions = np.asarray(positions, dtype=np.float64)
    lengths = median_lengths(positions)
    offsets = rest_offsets(positions, lengths)
    world = solve_rotations(positions, offsets)
    angles = local_euler(world)
    moved = {} if rotations_only else branch_translations(positions, world, offsets)
    columns = []
    for joint in range(NUM_JOINTS):  # channel order of the hierarchy (depth first = index)
        if joint == 0:
            columns.append(positions[:, 0])
        elif joint in moved:
            columns.append(moved[joint])
        columns.append(angles[:, joint])
    values = np.concatenate(columns, axis=1)
    motion = io.StringIO()
    np.savetxt(motion, values, fmt="%.6f")
    lines = _hierarchy(offsets, lengths, set(moved))
    lines += ["MOTION", f"Frames: {len(positions)}", f"Frame Time: {1.0 / fps:.8f}"]
    return "\n".join(lines) + "\n" + motion.getvalue()
