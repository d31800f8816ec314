"""Deviations FlowRed makes on purpose: each is named, has its reason, and accepts only the
differences it describes (a stream and a test on both raw values), never a whole stream or a
whole example. A difference an allowance accepts is listed in RESULTS.md under the allowance's
name and does not make an example "different".

Flows that cannot be compared at all (they need hardware or a service outside this machine)
are in NOT_COMPARABLE with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .compare import Difference

__all__ = ["Allowance", "ALLOWANCES", "NOT_COMPARABLE", "apply"]


@dataclass(frozen=True)
class Allowance:
    """``name``: short and unique; ``reason``: why FlowRed differs on purpose; ``accepts``:
    ``(example, difference) -> bool``, true only for the differences meant."""

    name: str
    reason: str
    accepts: Callable[[str, Difference], bool]


ALLOWANCES: list[Allowance] = []

NOT_COMPARABLE: dict[str, str] = {}
"""Example path (relative to the examples folder) → why it cannot be compared here."""


def apply(example: str, diffs: list[Difference]) -> list[Difference]:
    """``diffs`` with the ``allowance`` of each accepted difference set."""
    out = []
    for d in diffs:
        name = next((a.name for a in ALLOWANCES if a.accepts(example, d)), None)
        out.append(d if name is None else Difference(d.stream, d.index, d.flowred, d.node_red, name))
    return out
