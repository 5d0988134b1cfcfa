"""How a command that writes results ends: the summary as one JSON object (``--json``) or one
``wrote OUT [and RENDER]: ..., N.N s`` line."""

from __future__ import annotations

import json
from typing import Any


def print_summary(summary: dict[str, Any], as_json: bool, details: str) -> None:
    """``summary`` holds at least ``out``, ``render`` (a path or None) and ``elapsed_s``;
    ``details`` is the line's middle (what was written)."""
    if as_json:
        print(json.dumps(summary))
        return
    where = f" and {summary['render']}" if summary.get("render") else ""
    print(f"wrote {summary['out']}{where}: {details}, {summary['elapsed_s']:.1f} s")
