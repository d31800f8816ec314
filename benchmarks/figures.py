"""A measured figure: one metric of one scenario, with per-runtime runs and an optional target
on the ratio FlowRed / Node-RED."""
from __future__ import annotations

from dataclasses import dataclass, field

from .stats import Spread, spread

__all__ = ["Figure", "Target", "FLOWRED", "NODE_RED"]

FLOWRED = "FlowRed"
NODE_RED = "Node-RED"


@dataclass(frozen=True)
class Target:
    """The ratio FlowRed / Node-RED must be ``op`` (``>=`` or ``<=``) ``bound``."""

    op: str
    bound: float

    def met(self, ratio: float) -> bool:
        return ratio >= self.bound if self.op == ">=" else ratio <= self.bound

    def __str__(self) -> str:
        return f"{'≥' if self.op == '>=' else '≤'} {self.bound:g}×"


@dataclass
class Figure:
    """``runs`` maps a runtime name to its measured values (one per run)."""

    scenario: str
    metric: str
    unit: str
    digits: int = 0
    target: Target | None = None
    runs: dict[str, list[float]] = field(default_factory=dict)

    def add(self, runtime: str, value: float) -> None:
        self.runs.setdefault(runtime, []).append(value)

    def spread(self, runtime: str) -> Spread | None:
        return spread(self.runs.get(runtime, []))

    def ratio(self) -> float | None:
        """Median FlowRed / median Node-RED, when both exist and Node-RED's is not 0."""
        a, b = self.spread(FLOWRED), self.spread(NODE_RED)
        if a is None or b is None or b.median == 0:
            return None
        return a.median / b.median

    def verdict(self) -> str:
        """``met`` / ``MISSED`` against the target, or "" without a target or a ratio."""
        ratio = self.ratio()
        if self.target is None or ratio is None:
            return ""
        return "met" if self.target.met(ratio) else "MISSED"
