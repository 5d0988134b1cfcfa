"""Metres per file unit for ``--scale auto``.

In order: units the file states (ASF ``:units length``); a known fixed figure at any scale
(:data:`KNOWN_FIGURES`: the rest skeleton's OFFSETs are the figure's times one factor, so
the factor gives the unit); else the leg length at rest (hip → knee → ankle, mean of both
sides) must fall in :data:`LEG_RANGE_M` for exactly one of :data:`UNIT_CANDIDATES` (any two
differ by a factor above the range's 2.1, so at most one fits).

The known figure matters for rescaled copies of one: beemsoft's ``*_scaled`` CMU files are
cgspeed's Daz figure divided by 128, a 0.64-unit leg that reads as a plausible 0.64 m child's
leg in metres although the figure is the same 1.53 m one (1.28 m per unit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidpose.infra.errors import UserError

#: (name, metres per unit), tried in this order by ``--scale auto``.
UNIT_CANDIDATES: tuple[tuple[str, float], ...] = (
    ("metres", 1.0),
    ("centimetres", 0.01),
    ("millimetres", 0.001),
    ("CMU BVH units (inches / 0.45)", 0.0254 / 0.45),
    ("inches", 0.0254),
)
#: Plausible hip-to-ankle length of an adult or child in metres.
LEG_RANGE_M = (0.55, 1.15)
#: Largest relative difference between a file's OFFSET and the scaled figure's.
FIGURE_TOLERANCE = 2e-3


@dataclass(frozen=True)
class Figure:
    """A fixed rest skeleton: OFFSETs (from the named parent) in metres of some joints."""

    name: str
    offsets_m: dict[str, tuple[str, tuple[float, float, float]]]


#: cgspeed's Daz-friendly CMU release retargets every subject onto this one figure (1.527 m
#: from the toes to the eyes), in centimetres; its OFFSETs, metres.
DAZ_FIGURE = Figure(
    "cgspeed's Daz figure",
    {
        "abdomen": ("hip", (0.0, 0.206881, -0.0073152)),
        "chest": ("abdomen", (0.0, 0.117043, -0.0048768)),
        "neck": ("chest", (0.0, 0.221894, -0.0219456)),
        "head": ("neck", (-0.0024384, 0.0707133, 0.012192)),
        "lShldr": ("lCollar", (0.0877824, -0.0195073, 0.0146304)),
        "lForeArm": ("lShldr", (0.281742, -0.017115, 0.0048768)),
        "lHand": ("lForeArm", (0.225879, 0.00773209, 0.0707136)),
        "lShin": ("lThigh", (0.0, -0.368199, 0.0073152)),
        "lFoot": ("lShin", (-0.0073152, -0.451104, -0.0512064)),
        "rFoot": ("rShin", (0.0073152, -0.451104, -0.0512064)),
    },
)
KNOWN_FIGURES: tuple[Figure, ...] = (DAZ_FIGURE,)


def figure_scale(names: list[str], parents: np.ndarray, rest: np.ndarray) -> tuple[Figure, float]:
    """(the known figure, metres per unit) when the rest skeleton (J, 3) is one of
    :data:`KNOWN_FIGURES` at a single scale, else (None, 0)."""
    index = {name: i for i, name in enumerate(names)}
    for figure in KNOWN_FIGURES:
        pairs = []
        for joint, (parent, offset) in figure.offsets_m.items():
            if joint not in index or parent not in index or parents[index[joint]] != index[parent]:
                break
            pairs.append((rest[index[joint]] - rest[index[parent]], np.asarray(offset)))
        else:
            file_offsets = np.array([p[0] for p in pairs])
            metres = np.array([p[1] for p in pairs])
            units_per_metre = float((file_offsets * metres).sum() / (metres * metres).sum())
            if units_per_metre <= 0:
                continue
            error = np.linalg.norm(file_offsets - units_per_metre * metres, axis=-1)
            if (
                error <= FIGURE_TOLERANCE * units_per_metre * np.linalg.norm(metres, axis=-1)
            ).all():
                return figure, 1.0 / units_per_metre
    return None, 0.0


def choose_scale(
    leg_units: float,
    stated_m: float | None,
    source,
    figure: tuple[Figure | None, float] = (None, 0.0),
) -> tuple[float, str]:
    """(metres per unit, a phrase saying why) for ``--scale auto``; ``figure`` is
    :func:`figure_scale`'s answer for the file."""
    if stated_m is not None:
        return stated_m, f"stated in the file ({stated_m:.6g} m per unit)"
    known, metres_per_unit = figure
    if known is not None:
        return metres_per_unit, (
            f"{known.name} at {metres_per_unit:.6g} m per unit "
            f"(leg {leg_units:.4g} units = {leg_units * metres_per_unit:.3f} m)"
        )
    for name, factor in UNIT_CANDIDATES:
        if LEG_RANGE_M[0] <= leg_units * factor <= LEG_RANGE_M[1]:
            return factor, f"{name} (leg {leg_units:.4g} units = {leg_units * factor:.3f} m)"
    raise UserError(
        f"{source}: cannot tell the units: the leg (hip to ankle) is {leg_units:.4g} units, "
        f"not {LEG_RANGE_M[0]}-{LEG_RANGE_M[1]} m in any of "
        f"{', '.join(n for n, _ in UNIT_CANDIDATES)}; pass --scale METRES_PER_UNIT"
    )
