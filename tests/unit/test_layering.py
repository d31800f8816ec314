"""The package's layering, checked on the source: the engine knows nothing of HTTP, node modules
reach the runtime only through the public ``flowred`` API, and no two modules import each other
at import time (each module imports alone, in a fresh interpreter state)."""
from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import flowred

from conftest import ROOT

RUNTIME = Path(flowred.__file__).resolve().parent
# The modules that adapt the engine to the outside: the aiohttp app and the command line.
ADAPTERS = {"flowred.api", "flowred.cli", "flowred.__main__"}


def _modules() -> list[str]:
    """Every module of the installed ``flowred`` package (runtime, api, nodes, emulator). The
    subpackages are walked one by one: in a source checkout they live in folders of their own."""
    names = {"flowred"}
    for package in ("flowred", "flowred.nodes", "flowred.openai_emulator"):
        names.add(package)
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, prefix=package + "."):
            names.add(info.name)
    return sorted(names)


def _source(name: str) -> tuple[Path, ast.Module]:
    spec = importlib.util.find_spec(name)
    path = Path(spec.origin)
    return path, ast.parse(path.read_text(), str(path))


def _top_level_imports(name: str, tree: ast.Module, is_package: bool) -> set[str]:
    """Modules ``name`` imports when it is imported: module-level imports, not those under
    ``if TYPE_CHECKING:`` nor inside functions (those run later, on first use)."""
    found: set[str] = set()
    base = name if is_package else name.rpartition(".")[0]

    def visit(stmts):
        for node in stmts:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = base.split(".")
                    prefix = ".".join(parts[:len(parts) - node.level + 1])
                    module = f"{prefix}.{node.module}" if node.module else prefix
                else:
                    module = node.module or ""
                found.add(module)
                for alias in node.names:      # ``from . import x`` may name a submodule
                    found.add(f"{module}.{alias.name}")
            elif isinstance(node, ast.If):
                test = node.test
                if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                    visit(node.orelse)
                    continue
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return found


def test_the_engine_does_not_import_http() -> None:
    offenders = []
    for name in _modules():
        if not name.startswith("flowred.") or name.startswith(("flowred.nodes", "flowred.openai_emulator",
                                                                "flowred.web", "flowred.flows")):
            continue
        if any(name == a or name.startswith(a + ".") for a in ADAPTERS):
            continue
        path, tree = _source(name)
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [("." * node.level) + (node.module or "")]
            for module in modules:
                if module.split(".")[0] == "aiohttp" or module in ("flowred.api", ".api") \
                        or module.startswith(("flowred.api.", ".api.")):
                    offenders.append(f"{path.name}:{node.lineno} imports {module}")
    assert offenders == []


def test_no_import_cycles() -> None:
    """The graph of import-time imports between flowred's modules has no cycle."""
    names = set(_modules())
    graph: dict[str, set[str]] = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec.origin is None or not spec.origin.endswith(".py"):
            continue
        _, tree = _source(name)
        imported = _top_level_imports(name, tree, spec.submodule_search_locations is not None)
        # importing a.b.c imports a and a.b first
        targets = set()
        for module in imported:
            parts = module.split(".")
            for i in range(1, len(parts) + 1):
                candidate = ".".join(parts[:i])
                if candidate in names and candidate != name:
                    targets.add(candidate)
        # a package's own parents are imported before it, not by it
        graph[name] = {t for t in targets if not name.startswith(t + ".")}

    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name)
    assert cycles == []


def test_each_module_imports_alone() -> None:
    """Each module imports first in a fresh interpreter (one subprocess for all of them: the
    flowred modules are dropped from ``sys.modules`` before each import)."""
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for m in [m for m in sys.modules if m == 'flowred' or m.startswith('flowred.')]:\n"
        "        del sys.modules[m]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
    )
    names = [n for n in _modules() if n not in ("flowred.__main__", "flowred.openai_emulator.__main__")]
    done = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


async def test_no_generic_top_level_package_is_imported_by_a_running_engine(start_runtime) -> None:
    """FlowRed lives under ``flowred`` only: a started engine with the seed flow has imported no
    ``runtime``, ``nodes`` or ``openai_emulator`` package (names other distributions use)."""
    seed = json.loads((ROOT / "flows" / "realtime-client-secret.json").read_text())
    await start_runtime(seed)
    assert "flowred.nodes.openai_api" in sys.modules
    assert sorted({m.split(".")[0] for m in sys.modules} & {"runtime", "nodes", "openai_emulator"}) == []
