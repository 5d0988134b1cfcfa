"""The package's import graph: every module imports on its own, no modules import each other,
directly or round a longer circle, and no two packages do (the packages stand on floors: infra,
then pose, then the rest; docs/architecture.md). Imports inside functions count too."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import vidpose

PACKAGE = Path(vidpose.__file__).parent


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package modules ``name`` imports anywhere in its source (not its parent packages,
    which Python imports implicitly)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            # ``from package import module`` imports the module.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_modules_import_each_other():
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    # A package's __init__ gathering its own submodules is the one circle Python resolves by
    # design (a submodule's import runs its package first); it is not a design circle.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    cycle = _cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_no_packages_import_each_other():
    # vidpose.X.anything → vidpose.Y.anything, for the packages X and Y directly below vidpose.
    def package(name: str) -> str:
        return ".".join(name.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = {package(t) for t in _imports(name, path)} - {package(name), "vidpose"}
        graph.setdefault(package(name), set()).update(targets)
    cycle = _cycle(graph)
    assert cycle is None, "package circle: " + " -> ".join(cycle)
    # infra, the bottom floor, leans on nothing else of vidpose; pose only on infra.
    assert graph["vidpose.infra"] == set()
    assert graph["vidpose.pose"] == {"vidpose.infra"}


def test_the_circle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_on_its_own():
    # Each module is imported with no vidpose module loaded before it (the import cache is
    # cleared between them), once in order and once in reverse, in a fresh interpreter.
    script = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    for key in [k for k in sys.modules if k == 'vidpose' or k.startswith('vidpose.')]:\n"
        "        del sys.modules[key]\n"
        "    importlib.import_module(name)\n"
    )
    names = sorted(name for name in MODULES if not name.endswith("__main__"))  # runs the CLI
    for order in (names, names[::-1]):
        result = subprocess.run(
            [sys.executable, "-c", script, *order], capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stderr[-2000:]


def test_importlib_finds_every_module():
    for name in MODULES:
        assert importlib.util.find_spec(name) is not None, name


def test_the_command_line_parser_loads_no_heavy_library():
    # `vidpose --help` and every argument error must answer at once: the commands import
    # torch, OpenCV and the like inside their run functions, never at the parser's import.
    script = (
        "import sys\n"
        "from vidpose.cli import build_parser\n"
        "build_parser()\n"
        "heavy = {'torch', 'cv2', 'timm', 'onnxruntime', 'matplotlib'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
