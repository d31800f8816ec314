"""A running flow: one tab (or the ``global`` scope of config nodes) with its env.

As Node-RED's runtime/lib/flows/Flow.js for what nodes see: ``path`` (the tab id or
``global``), the tab's ``env`` list and the env lookup order (tab env, then the process env).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Engine
    from .node import Node

__all__ = ["Flow"]


class Flow:
    """A tab's running nodes and its environment. ``id`` is the tab id or ``"global"``."""

    def __init__(self, engine: "Engine", flow_id: str, label: str = "", env: list[dict] | None = None,
                 disabled: bool = False) -> None:
        self.engine = engine
        self.id = flow_id
        self.label = label
        self.path = flow_id
        self.disabled = disabled
        self.nodes: dict[str, Node] = {}
        self._env_spec = env or []
        self._env: dict[str, Any] | None = None

    def get_env(self, name: str) -> Any:
        """Tab env (``NR_FLOW_ID``/``NR_FLOW_NAME`` built in), then the process env; ``""`` if unset."""
        if name == "NR_FLOW_ID":
            return self.id
        if name == "NR_FLOW_NAME":
            return self.label
        env = self._env
        if env is None:
            env = self._env = self._evaluate_env()
        if name in env:
            return env[name]
        return os.environ.get(name, "")

    def _evaluate_env(self) -> dict[str, Any]:
        from .typed import evaluate_value  # typed imports flow types only for hints

        out: dict[str, Any] = {}
        for entry in self._env_spec:
            name = entry.get("name")
            if not name:
                continue
            vt = entry.get("type") or "str"
            if vt == "env":
                out[name] = os.environ.get(str(entry.get("value", "")), "")
            else:
                try:
                    out[name] = evaluate_value(entry.get("value", ""), vt, None, None)
                except Exception as exc:  # a bad env entry is reported, not fatal
                    self.engine.log_error(f"[flow:{self.id}] env {name}: {exc}")
        return out
