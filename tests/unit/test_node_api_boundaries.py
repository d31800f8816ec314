"""Node modules use only the node API: no engine, no other object's private fields, no runtime
internals.

Every module under nodes/ (the ``flowred.nodes`` package) is parsed with ``ast`` and must not:

* reference an attribute named ``engine`` (``self.engine``, ``node.flow.engine`` ...): what a
  node needs from the runtime is a method of ``Node`` (docs/writing-nodes.md);
* read or write a private attribute (``x._name``, not a dunder) of anything but ``self``,
  ``cls``, ``super()`` or a name the module itself defines at top level (its own classes,
  functions and variables; an imported name is another module's object);
* import from ``flowred`` anything but the public package API (``from flowred import ...``),
  the node package itself (``flowred.nodes...`` and relative imports) and the helper modules
  listed in ``ALLOWED_RUNTIME_IMPORTS``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import flowred.nodes

NODES_DIR = Path(flowred.nodes.__file__).parent

ALLOWED_RUNTIME_IMPORTS: dict[str, set[str] | None] = {
    "flowred": None,             # the public API (runtime/__init__.py): every name it exports
    "flowred.jscompat": None,    # JavaScript semantics (String(), Number(), ==, regexes): pure functions
    "flowred.fields": None,      # shared lenient config field types (Annotated pydantic types)
    "flowred.context": {"parse_context_key"},  # ``#:(store)::key`` parsing, a pure function
    "flowred.typed": {"substitute_env"},       # ``${VAR}`` substitution, a pure function
}
"""Runtime modules (and names, None = any) a node module may import besides ``flowred``
itself; each is a pure helper that holds no runtime state."""

ALLOWED_PRIVATE: dict[str, set[str]] = {
    # py-mini-racer has no public way for JavaScript to call Python synchronously
    "nodes/function.py": {"_ctx", "_register_js_notification"},
}
"""Private attributes of third-party objects a node module may use, per file, with why."""


def _node_modules() -> list[Path]:
    return sorted(p for p in NODES_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def _module_names(tree: ast.Module) -> set[str]:
    """Names the module defines at top level (not imports): classes, functions, variables."""
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
    return names


def _is_own(value: ast.expr, own: set[str]) -> bool:
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls") or value.id in own
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super"


def violations(source: str, package: str, where: str) -> list[str]:
    """The boundary breaks in the source of module ``package`` (dotted name), as
    ``where:line: what``."""
    tree = ast.parse(source, where)
    own = _module_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            attr = node.attr
            if attr == "engine":
                found.append(f"{where}:{node.lineno}: uses .engine")
            elif attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__")) \
                    and not _is_own(node.value, own) and attr not in ALLOWED_PRIVATE.get(where, ()):
                found.append(f"{where}:{node.lineno}: private .{attr} of {ast.unparse(node.value)}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[:-node.level]
                module = ".".join(base + ([module] if module else []))
            if not module.startswith("flowred") or module == "flowred.nodes" or module.startswith("flowred.nodes."):
                continue
            allowed = ALLOWED_RUNTIME_IMPORTS.get(module, set())
            for alias in node.names:
                if allowed is not None and alias.name not in allowed:
                    found.append(f"{where}:{node.lineno}: imports {alias.name} from runtime internal {module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                if name.startswith("flowred.") and not name.startswith("flowred.nodes") \
                        and ALLOWED_RUNTIME_IMPORTS.get(name, set()) is not None:
                    found.append(f"{where}:{node.lineno}: imports runtime internal {name}")
    return found


def test_there_are_node_modules_to_check():
    names = {p.name for p in _node_modules()}
    assert {"inject.py", "debug.py", "link.py", "http_in.py", "websocket.py"} <= names


@pytest.mark.parametrize("path", _node_modules(), ids=lambda p: str(p.relative_to(NODES_DIR)))
def test_node_module_uses_only_the_node_api(path):
    rel = path.relative_to(NODES_DIR)
    package = "flowred.nodes." + ".".join(rel.with_suffix("").parts)
    assert violations(path.read_text(encoding="utf-8"), package, f"nodes/{rel}") == []


def test_the_checker_finds_each_kind_of_break():
    source = ("from flowred.engine import Engine\nfrom flowred import Node\nimport flowred.bus\n"
              "from ..bus import AsyncioBus\nfrom .json_node import to_json\n"
              "from flowred.encode import js_number, encode_object\n"
              "_LOCAL = {}\nclass Probe(Node):\n"
              "    def start(self):\n"
              "        self.engine.nodes\n        self.flow._to_parent\n        other = self.config_node('x')\n"
              "        other._outputs\n        self._tasks\n        _LOCAL._x\n        super()._close\n"
              "        Probe._y\n        Node._close\n        type(self).__name__\n")
    found = violations(source, "flowred.nodes.probe", "nodes/probe.py")
    text = "\n".join(found)
    assert "nodes/probe.py:1: imports Engine from runtime internal flowred.engine" in text
    assert "imports runtime internal flowred.bus" in text
    assert "imports AsyncioBus from runtime internal flowred.bus" in text
    assert "imports encode_object from runtime internal flowred.encode" in text
    assert "imports js_number from runtime internal flowred.encode" in text
    assert "nodes/probe.py:10: uses .engine" in text
    assert "private ._to_parent of self.flow" in text
    assert "private ._outputs of other" in text
    assert "private ._close of Node" in text
    assert len(found) == 9, text
