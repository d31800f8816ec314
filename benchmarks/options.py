"""The suite's knobs, with the issue's sizes as defaults and a ``quick`` set for the smoke test."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Options", "QUICK"]


@dataclass(frozen=True)
class Options:
    """Sizes of every scenario; ``runs`` is how many times each figure is measured."""

    runs: int = 3
    n: int = 100_000                 # throughput: array length = msgs through the chain
    startup_nodes: int = 1000        # startup: nodes of the generated flow
    requests: int = 5000             # token-vending: requests per measured run
    warmup: int = 500                # token-vending: requests before measuring
    concurrency: int = 64            # token-vending: requests in flight
    flood_rate: int = 50_000         # debug-flood: debug msgs/s
    flood_seconds: float = 10.0      # debug-flood: how long
    flood_ticks: int = 10            # debug-flood: injects per second (rate / ticks msgs each)
    flood_drain: float = 5.0         # debug-flood: seconds the client keeps reading afterwards
    slow_reader_rate: int = 10_000   # debug-flood: msgs/s the slow /comms client reads


QUICK = Options(runs=1, n=2000, startup_nodes=100, requests=200, warmup=20, concurrency=16,
                flood_rate=5000, flood_seconds=1.0, flood_drain=0.5, slow_reader_rate=2000)
"""Tiny sizes: the whole suite in a few seconds per runtime (the smoke test)."""
