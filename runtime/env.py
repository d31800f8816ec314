"""Environment variables as Node-RED resolves them, and ``${VAR}`` in node properties.

As Node-RED's runtime/lib/flows/Flow.js ``getSetting`` and flows/util.js
``mapEnvVarProperties``: a name is looked up in the node's group (and the groups around it),
then its tab (or subflow instance), then the global environment (the ``global-config`` node's
``env``), then the process environment. Each level has built-ins: ``NR_GROUP_ID``/
``NR_GROUP_NAME``, ``NR_FLOW_ID``/``NR_FLOW_NAME``, ``NR_SUBFLOW_ID``/``NR_SUBFLOW_NAME``/
``NR_SUBFLOW_PATH``; nodes add ``NR_NODE_ID``/``NR_NODE_NAME``/``NR_NODE_PATH``.

A node property whose whole value is ``${NAME}`` (or the old ``$(NAME)``) is replaced by the
variable's value before the node's config is validated, so ``"${PORT}"`` can fill a number
field. An unset variable leaves the text as it is, as Node-RED does.
"""
from __future__ import annotations

import os
import re
from typing import Any, Callable

import orjson

from .jscompat import js_to_string
from .values import UNDEFINED

__all__ = ["EnvScope", "substitute_properties", "ENV_PROPERTY"]

ENV_PROPERTY = re.compile(r"^\$\{(\S+)\}$|^\$\((\S+)\)$")
_ENV_REF = re.compile(r"\$\{([^}\s]+)\}")
_STRUCTURAL = frozenset(("id", "type", "z", "g", "wires", "x", "y", "d"))


class EnvScope:
    """One level of the env lookup: its ``env`` entries (``[{name, value, type}]``, as a tab,
    group, subflow or the global-config node holds them), its built-ins and its parent.

    ``lookup(name)`` gives the value (evaluated once per deploy) or UNDEFINED when no level
    nor the process environment has it. Entry types: str num bool json bin jsonata, ``env``
    (the value names a variable of the parent scope, or is a ``${A}-${B}`` template), ``cred``
    (from ``credentials``).
    """

    __slots__ = ("entries", "parent", "builtins", "credentials", "_values", "on_error")

    def __init__(self, entries: list[dict] | None = None, parent: "EnvScope | None" = None,
                 builtins: dict[str, Any] | None = None, credentials: dict | None = None,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.entries = entries or []
        self.parent = parent
        self.builtins = builtins or {}
        self.credentials = credentials or {}
        self.on_error = on_error
        self._values: dict[str, Any] | None = None

    def lookup(self, name: str) -> Any:
        """The variable's value from this scope outwards, then the process env; else UNDEFINED."""
        scope: EnvScope | None = self
        while scope is not None:
            if name in scope.builtins:
                return scope.builtins[name]
            values = scope._values if scope._values is not None else scope._evaluate()
            if name in values:
                return values[name]
            scope = scope.parent
        value = os.environ.get(name)
        return UNDEFINED if value is None else value

    def get(self, name: str) -> Any:
        """As ``lookup`` but an unset variable gives ``""`` (what typed ``env`` values give)."""
        value = self.lookup(name)
        return "" if value is UNDEFINED else value

    def substitute(self, text: str) -> str:
        """Replace each ``${NAME}`` in ``text`` by its value as JavaScript's ``String()`` writes
        it (unset → empty string, null → ``"null"``), as Node-RED's evaluateEnvProperty."""
        return _ENV_REF.sub(lambda m: js_to_string(self.get(m.group(1))), text)

    def _evaluate(self) -> dict[str, Any]:
        from .typed import evaluate_value  # typed imports this module's users; avoid a cycle

        values: dict[str, Any] = {}
        self._values = values  # entries may refer to earlier ones of the same scope
        for entry in self.entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            if not name:
                continue
            vt = entry.get("type") or "str"
            raw = entry.get("value", "")
            try:
                if vt == "env":
                    outer = self.parent.lookup if self.parent else _process_lookup
                    text = str(raw)
                    if "${" in text:
                        value = (self.parent or EnvScope()).substitute(text)
                    else:
                        value = outer(text)
                        value = "" if value is UNDEFINED else value
                elif vt == "cred":
                    value = self.credentials.get(name, "")
                else:
                    value = evaluate_value(raw, vt, None, None)
            except Exception as exc:  # a bad entry is reported and left unset, never fatal
                if self.on_error:
                    self.on_error(f"env {name}: {exc}")
                continue
            values[name] = value
        return values


def substitute_properties(raw: dict, lookup: Callable[[str], Any]) -> dict:
    """``raw`` with every property whose whole value is ``${NAME}`` replaced by
    ``lookup(NAME)`` (objects and lists are searched too; ``id``, ``type``, ``z``, ``wires``
    and layout are not). Returns ``raw`` itself when nothing changes, else a new dict."""
    try:
        if b'"$' not in orjson.dumps(raw):  # no string value starts with "$": nothing to look up
            return raw
    except TypeError:  # not plain JSON (a generated node): walk it
        pass
    changed = False

    def walk(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            if value.startswith("$") and (m := ENV_PROPERTY.match(value)):
                found = lookup(m.group(1) or m.group(2))
                if found is not UNDEFINED:
                    changed = True
                    return found
            return value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    out = {k: (v if k in _STRUCTURAL else walk(v)) for k, v in raw.items()}
    return out if changed else raw


def _process_lookup(name: str) -> Any:
    value = os.environ.get(name)
    return UNDEFINED if value is None else value
