"""Comparing two observations of the same flow, stream by stream.

Every stream is compared entry by entry in order. For a flow whose output depends on time
(``Plan.timed``: repeat injects, delays, triggers, time batches, spawned commands) only the
common prefix of each stream is compared entry by entry, and a different number of entries
counts only when one side has none or the counts differ by more than one and by more than a
quarter: the last entry of a stream may fall just inside the window on one runtime and just
outside on the other, and that says nothing about either runtime.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .examples import Plan
from .observe import Observation

__all__ = ["Difference", "compare"]

MISSING = "(nothing)"


@dataclass(frozen=True)
class Difference:
    """One difference: ``stream`` and entry ``index``; what FlowRed and Node-RED showed there
    (raw values; ``(nothing)`` when the entry is missing on that side); ``allowance`` names the
    allowance that accepts it, if any."""

    stream: str
    index: int
    flowred: Any
    node_red: Any
    allowance: str | None = None
    path: tuple = ()
    """Where inside the two values (keys and indexes) they first differ; () for the whole."""

    def short(self, width: int = 90) -> str:
        """``stream #i [at path]: FlowRed … ≠ Node-RED …`` in one line of about ``width`` chars
        per side; with a path, the values at that path."""
        fr, nr = _at(self.flowred, self.path), _at(self.node_red, self.path)
        where = (" at " + ".".join(str(p) for p in self.path)) if self.path else ""
        return f"{self.stream} #{self.index + 1}{where}: FlowRed {_short(fr, width)} ≠ Node-RED {_short(nr, width)}"


def _at(value: Any, path: tuple) -> Any:
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return value


def _first_path(a: Any, b: Any, path: tuple = ()) -> tuple:
    """The path to the first place two normalised values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(b) + [k for k in a if k not in b]:
            if key not in a or key not in b:
                return path + (key,)
            if a[key] != b[key]:
                return _first_path(a[key], b[key], path + (key,))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_path(x, y, path + (i,))
    return path


def _short(value: Any, width: int) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", "⏎")
    return text if len(text) <= width else text[:width - 1] + "…"


def _order(fr: Observation, nr: Observation) -> list[str]:
    names = list(nr) + [n for n in fr if n not in nr]
    rank = ("deploy", "inject", "http", "debug", "status", "log", "notification")
    return sorted(names, key=lambda n: next((i for i, r in enumerate(rank) if n.startswith(r)), len(rank)))


def _counts_differ(a: int, b: int) -> bool:
    if min(a, b) == 0:
        return a != b
    return abs(a - b) > 1 and abs(a - b) > 0.25 * max(a, b)


def compare(fr: Observation, nr: Observation, plan: Plan) -> list[Difference]:
    """The differences between FlowRed's (``fr``) and Node-RED's (``nr``) observation."""
    out = []
    for name in _order(fr, nr):
        a, b = fr.get(name, []), nr.get(name, [])
        n = min(len(a), len(b))
        for i in range(n):
            if a[i].norm != b[i].norm:
                out.append(Difference(name, i, a[i].raw, b[i].raw, path=_first_path(a[i].norm, b[i].norm)))
        if len(a) == len(b) or (plan.timed and not _counts_differ(len(a), len(b))):
            continue
        for i in range(n, max(len(a), len(b))):
            out.append(Difference(name, i, a[i].raw if i < len(a) else MISSING,
                                  b[i].raw if i < len(b) else MISSING))
    return out
