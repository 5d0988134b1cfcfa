"""Name → constructor registries for backbones, temporal modules, heads and 2D→3D lifters.

Constructors take the ``ModelConfig`` (and, for temporal modules and heads, the input feature
size; heads also get the backbone) and return an ``nn.Module`` with an ``out_features``
attribute (heads excepted). Lifter constructors take the ``ModelConfig`` and the input
channels per joint (2, or 3 with confidence) and return a network as described in
``vidpose.models.lifter``. Register a new one with the decorator, e.g.::

    @HEADS.register("integral")
    def build_integral_head(in_features: int, config: ModelConfig, backbone) -> nn.Module: ...
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from vidpose.infra.errors import UserError


class Registry:
    """A named set of constructors; ``check``/``get`` raise ``UserError`` for unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._constructors: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def add(constructor: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._constructors:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._constructors[name] = constructor
            return constructor

        return add

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._constructors)

    def __contains__(self, name: object) -> bool:
        return name in self._constructors

    def check(self, name: str, key: str) -> None:
        """Raise ``UserError`` (naming config ``key``) unless ``name`` is registered."""
        if name not in self._constructors:
            close = difflib.get_close_matches(str(name), self.names(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UserError(f"{key}: {name!r} is not one of {', '.join(self.names())}{hint}")

    def get(self, name: str, key: str | None = None) -> Callable[..., Any]:
        self.check(name, key or f"model.{self.kind}")
        return self._constructors[name]


#: Built-in backbones; any other backbone name is looked up in timm.
BACKBONES = Registry("backbone")
TEMPORAL_MODULES = Registry("temporal")
HEADS = Registry("head")
#: 2D keypoint sequence → 3D lifters (``model.lifter``); see ``vidpose.models.lifter``.
LIFTERS = Registry("lifter")

# The built-in constructors register themselves when their modules are imported, which
# ``vidpose/models/__init__.py`` does, so the registries are complete whenever any
# ``vidpose.models`` module is in use.


def available_backbones() -> list[str]:
    """Built-in backbone names (any timm model name works as well)."""
    return BACKBONES.names()


def available_temporal_modules() -> list[str]:
    return TEMPORAL_MODULES.names()


def available_heads() -> list[str]:
    return HEADS.names()


def available_lifters() -> list[str]:
    return LIFTERS.names()
