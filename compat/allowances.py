"""Deviations FlowRed makes on purpose: each is named, has its reason, and accepts only the
differences it describes (a stream and a test on both raw values), never a whole stream or a
whole example. A difference an allowance accepts is listed in RESULTS.md under the allowance's
name and does not make an example "different".

Flows that cannot be compared at all (they need hardware or a service outside this machine)
are in NOT_COMPARABLE with the reason.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from benchmarks.nodered import PREFIX

from .compare import Difference

__all__ = ["Allowance", "ALLOWANCES", "NOT_COMPARABLE", "apply"]


@dataclass(frozen=True)
class Allowance:
    """``name``: short and unique; ``reason``: why FlowRed differs on purpose; ``accepts``:
    ``(example, difference) -> bool``, true only for the differences meant."""

    name: str
    reason: str
    accepts: Callable[[str, Difference], bool]


@lru_cache(maxsize=1)
def _catalog() -> dict:
    """Node-RED's English message catalog of its core nodes (from the installed Node-RED)."""
    path = PREFIX / "node_modules" / "@node-red" / "nodes" / "locales" / "en-US" / "messages.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _translate(key: Any) -> str | None:
    """The English text of a catalog key such as ``httpin.status.requesting``; None if it is not one."""
    if not isinstance(key, str) or "." not in key or " " in key:
        return None
    node: Any = _catalog()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def _status_text_translated(example: str, d: Difference) -> bool:
    fr, nr = d.flowred, d.node_red
    if not (d.stream.startswith("status ") and isinstance(fr, dict) and isinstance(nr, dict)):
        return False
    rest = lambda s: {k: v for k, v in s.items() if k != "text"}  # noqa: E731
    return rest(fr) == rest(nr) and _translate(nr.get("text")) == str(fr.get("text", "")).strip()


ALLOWANCES: list[Allowance] = [
    Allowance(
        "status-text-translated",
        "Node-RED's core nodes send some status texts as message-catalog keys (httpin.status.requesting, "
        "common.status.connected) that only its own editor translates; FlowRed sends the English text "
        "itself, so its editor and any /comms client show it as is. Accepted only when the key's "
        "English text in Node-RED's catalog is exactly FlowRed's text and fill and shape are equal.",
        _status_text_translated),
]

NOT_COMPARABLE: dict[str, str] = {}
"""Example path (relative to the examples folder) → why it cannot be compared here."""


def apply(example: str, diffs: list[Difference]) -> list[Difference]:
    """``diffs`` with the ``allowance`` of each accepted difference set."""
    out = []
    for d in diffs:
        name = next((a.name for a in ALLOWANCES if a.accepts(example, d)), None)
        out.append(d if name is None else Difference(d.stream, d.index, d.flowred, d.node_red, name))
    return out
