"""Analytic two-link inverse kinematics for the legs and arms of :mod:`vidpose.synth.body`.

A limb is a root joint (hip, shoulder), a middle joint (knee, elbow) and an end (ankle, wrist)
with fixed segment lengths. Given where the end must be, the middle joint lies on a circle
around the root -> end axis; a *swivel* angle picks the point of that circle, measured from a
preferred direction (knees forward, elbows down) towards the body's outside. The joint angles
that :func:`vidpose.synth.body.forward_kinematics` needs then follow in closed form
(:func:`limb_angles`): flexion and abduction aim the upper segment at the middle joint, the
rotation about the upper segment turns the bend's plane to the end, the bend makes the angle.

All positions are world metres, arrays (F, 3); rotations (F, 3, 3); angles radians (F,).
"""

from __future__ import annotations

import numpy as np

#: The least bend the solver leaves a limb that cannot quite reach (radians): keeps the middle
#: joint's circle, and with it the bend's plane, defined.
MIN_BEND = 0.02


def _normalised(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross products of (F, 3) arrays (np.cross is slow on small arrays)."""
    return np.stack(
        [
            a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1],
            a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
            a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0],
        ],
        axis=-1,
    )


def reach(upper: float, lower: float, bend: float | np.ndarray) -> float | np.ndarray:
    """Root -> end distance (metres) of a limb bent by ``bend`` radians."""
    return np.sqrt(upper**2 + lower**2 + 2 * upper * lower * np.cos(bend))


def middle_joint(
    root: np.ndarray,
    target: np.ndarray,
    preferred: np.ndarray,
    swivel: np.ndarray,
    upper: float,
    lower: float,
    outward: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """World positions (F, 3) of the middle joint and of the end, which is ``target`` when the
    limb reaches it and otherwise the nearest point it reaches on the way.

    ``preferred`` (F, 3) is a world direction the middle joint should point to at swivel 0
    (it need not be perpendicular to the limb's axis, only not along it); positive ``swivel``
    (F,) turns it about the axis towards the side ``outward`` ((F,) or scalar, +1 or -1, the
    sign of the cross product axis x preferred that points away from the body).
    """
    offset = target - root
    distance = np.linalg.norm(offset, axis=-1)
    axis = offset / np.maximum(distance, 1e-9)[:, None]
    longest, shortest = reach(upper, lower, MIN_BEND), abs(upper - lower) + 1e-6
    distance = np.clip(distance, shortest, longest)
    along = (upper**2 - lower**2 + distance**2) / (2 * distance)
    radius = np.sqrt(np.maximum(upper**2 - along**2, 0.0))
    perp = preferred - np.sum(preferred * axis, axis=-1, keepdims=True) * axis
    perp = _normalised(perp)
    side = np.asarray(outward, np.float64).reshape(-1, 1) * _cross(axis, perp)
    circle = np.cos(swivel)[:, None] * perp + np.sin(swivel)[:, None] * side
    middle = root + along[:, None] * axis + radius[:, None] * circle
    return middle, root + distance[:, None] * axis


def swivel_of(
    root: np.ndarray,
    target: np.ndarray,
    middle: np.ndarray,
    preferred: np.ndarray,
    outward: np.ndarray | float,
) -> np.ndarray:
    """The swivel (F,) that puts the middle joint at ``middle`` (the inverse of
    :func:`middle_joint` for a middle joint that the segment lengths allow)."""
    axis = _normalised(target - root)
    perp = _normalised(preferred - np.sum(preferred * axis, axis=-1, keepdims=True) * axis)
    side = np.asarray(outward, np.float64).reshape(-1, 1) * _cross(axis, perp)
    bow = middle - root
    return np.arctan2(np.sum(bow * side, axis=-1), np.sum(bow * perp, axis=-1))


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + np.pi) % (2 * np.pi) - np.pi


def limb_angles(
    parent: np.ndarray,
    root: np.ndarray,
    middle: np.ndarray,
    end: np.ndarray,
    sign: float,
    bend_sign: float,
    limits: dict[str, tuple[float, float]] | None = None,
) -> dict[str, np.ndarray]:
    """Joint angles (F,) putting the middle joint and end where given, for body.py's chain
    ``parent @ Rx(flex) @ Ry(-sign * abd) @ Rz(sign * rot)`` then ``Rx(bend_sign * bend)``.

    ``parent`` (F, 3, 3) is the pelvis (legs) or chest (arms) rotation; ``sign`` is +1 for the
    right limb, -1 for the left; ``bend_sign`` is -1 for knees (the shin swings back), +1 for
    elbows. Every direction of the upper segment has two sets of angles (the second turns the
    flexion by half a turn, e.g. an arm raised sideways by abduction rather than forwards by
    flexion); with ``limits`` (``flex``, ``abd``, ``rot`` -> (low, high)) the one that goes less
    beyond them is returned, else the one with |abd| <= pi / 2. Returns ``flex``, ``abd``,
    ``rot`` and ``bend``.
    """
    to_parent = np.swapaxes(parent, -1, -2)
    u = _normalised(np.einsum("fij,fj->fi", to_parent, middle - root))
    w = _normalised(np.einsum("fij,fj->fi", to_parent, end - middle))
    # Rx(f) Ry(b) (0, 0, -1) = (-sin b, sin f cos b, -cos f cos b)
    b = np.arcsin(np.clip(-u[:, 0], -1.0, 1.0))
    f = np.arctan2(u[:, 1], -u[:, 2])
    first = _chain(f, b, w, sign, bend_sign)
    if limits is None:
        return first
    second = _chain(_wrap(f + np.pi), _wrap(-np.pi - b), w, sign, bend_sign)

    def beyond(angles: dict[str, np.ndarray]) -> np.ndarray:
        total = np.zeros_like(f)
        for name, (low, high) in limits.items():
            total += np.maximum(low - angles[name], 0.0) + np.maximum(angles[name] - high, 0.0)
        return total

    use_second = beyond(second) < beyond(first)
    return {name: np.where(use_second, second[name], first[name]) for name in first}


def _chain(f, b, w, sign: float, bend_sign: float) -> dict[str, np.ndarray]:
    """The angles for upper-segment angles ``f``, ``b`` and lower-segment direction ``w``."""
    cf, sf, cb, sb = np.cos(f), np.sin(f), np.cos(b), np.sin(b)
    # rows of (Rx(f) Ry(b))^T, applied to the lower segment's direction in the parent frame
    wx = cb * w[:, 0] + sb * sf * w[:, 1] - sb * cf * w[:, 2]
    wy = cf * w[:, 1] + sf * w[:, 2]
    wz = sb * w[:, 0] - cb * sf * w[:, 1] + cb * cf * w[:, 2]
    # Rz(g) Rx(s k) (0, 0, -1) = (-s sin k sin g, s sin k cos g, -cos k)
    bend = np.arccos(np.clip(-wz, -1.0, 1.0))
    twist = np.arctan2(-bend_sign * wx, bend_sign * wy)
    return {"flex": f, "abd": -sign * b, "rot": _wrap(sign * twist), "bend": bend}
