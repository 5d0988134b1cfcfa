"""Loading one config section: a dataclass from a plain dict, every key checked.

The one way every section of a run config is checked (``vidpose.runs.run_config`` and the model
sections of ``vidpose.models.settings``): each field's type and range from its annotation and
metadata (``choices``, ``min``, ``min_exclusive``, ``max``, ``max_exclusive``), then the
section's own ``validate(prefix)`` for the rules between its fields. A mistake is one
``UserError`` naming ``prefix.key`` and what is allowed
(``optim.name: 'adamx' is not one of adam, adamw, sgd``).

A section may list, in ``FOREIGN_KEYS``, keys that configs of another kind once saved in it,
with the value that meant "unused": those load (the key dropped); another value is refused with
the section's ``FOREIGN_NOTE``.

It sits on the bottom floor (it imports only vidpose.infra.errors), so the model code can load a
section without reaching up to the run config.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

from vidpose.infra.errors import UserError, reject_unknown_keys


def choices(*names: Any) -> dict[str, Any]:
    """Field metadata: the value must be one of ``names``."""
    return {"choices": names}


def at_least(low: float) -> dict[str, Any]:
    """Field metadata: the value must be ``low`` or more."""
    return {"min": low}


def load_section(cls: type, values: Any, prefix: str) -> Any:
    """The section ``cls`` (a dataclass) from the plain dict ``values``, checked as the module
    docstring says; any mistake is a ``UserError`` naming ``prefix.key``."""
    section = _section_from_dict(cls, _without_foreign_keys(cls, values, prefix), prefix)
    validate = getattr(section, "validate", None)
    if validate is not None:
        validate(prefix)
    return section


def _without_foreign_keys(cls: type, values: Any, prefix: str) -> Any:
    """``values`` without the keys a section's ``FOREIGN_KEYS`` lists (another section's, once
    saved beside its own) where they hold the value listed, meaning unused; another value is a
    ``UserError`` naming the key with the section's ``FOREIGN_NOTE``."""
    foreign = getattr(cls, "FOREIGN_KEYS", {})
    if not isinstance(values, dict) or not any(key in values for key in foreign):
        return values
    values = dict(values)
    for key, unused in foreign.items():
        if key in values and values.pop(key) != unused:
            raise UserError(f"{prefix}.{key}: {cls.FOREIGN_NOTE}")
    return values


def _describe(kind: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    names[list] = "a list"
    return " or ".join("null" if k is type(None) else names.get(k, str(k)) for k in _options(kind))


def _is_union(kind: Any) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType)


def _matches(value: Any, kind: Any) -> bool:
    if _is_union(kind):
        return any(_matches(value, option) for option in typing.get_args(kind))
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


def _section_from_dict(cls: type, values: Any, prefix: str) -> Any:
    if not isinstance(values, dict):
        raise UserError(f"{prefix}: expected a mapping of settings, got {values!r}")
    reject_unknown_keys(values, [f.name for f in dataclasses.fields(cls)], prefix)
    hints = typing.get_type_hints(cls)
    checked: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        if spec.name not in values:
            continue
        value, key = values[spec.name], f"{prefix}.{spec.name}"
        if not _matches(value, hints[spec.name]):
            raise UserError(f"{key}: expected {_describe(hints[spec.name])}, got {value!r}")
        options = _options(hints[spec.name])
        if type(value) is int and float in options and int not in options:
            value = float(value)  # YAML reads "1" as an int; the field holds a float
        if isinstance(value, float) and not math.isfinite(value):
            raise UserError(f"{key}: expected a finite number, got {value!r}")
        choices = spec.metadata.get("choices")
        if choices and value not in choices:
            names = (str(c).lower() if isinstance(c, bool) else str(c) for c in choices)
            raise UserError(f"{key}: {value!r} is not one of {', '.join(names)}")
        if value is not None and "min" in spec.metadata and value < spec.metadata["min"]:
            raise UserError(f"{key}: expected a value >= {spec.metadata['min']}, got {value!r}")
        if (
            value is not None
            and "min_exclusive" in spec.metadata
            and value <= spec.metadata["min_exclusive"]
        ):
            low = spec.metadata["min_exclusive"]
            raise UserError(f"{key}: expected a value > {low}, got {value!r}")
        if "max" in spec.metadata and value > spec.metadata["max"]:
            raise UserError(f"{key}: expected a value <= {spec.metadata['max']}, got {value!r}")
        if "max_exclusive" in spec.metadata and value >= spec.metadata["max_exclusive"]:
            high = spec.metadata["max_exclusive"]
            raise UserError(f"{key}: expected a value < {high}, got {value!r}")
        checked[spec.name] = value
    return cls(**checked)


def _options(kind: Any) -> tuple:
    return typing.get_args(kind) if _is_union(kind) else (kind,)
