"""Figures over several runs: min / median / max, and the ratio of two medians."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

__all__ = ["Spread", "spread", "percentile"]


@dataclass(frozen=True)
class Spread:
    """min, median and max of a figure's runs."""

    min: float
    median: float
    max: float
    runs: int

    def show(self, digits: int) -> str:
        """``median (min–max)``, or the median alone for one run."""
        fmt = f"{{:,.{digits}f}}"
        med = fmt.format(self.median)
        if self.runs < 2:
            return med
        return f"{med} ({fmt.format(self.min)}–{fmt.format(self.max)})"


def spread(values: list[float]) -> Spread | None:
    """The Spread of ``values``; None when there are none."""
    if not values:
        return None
    return Spread(min(values), statistics.median(values), max(values), len(values))


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q`` (0..100) percentile of already sorted values, nearest rank; 0 for none."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]
