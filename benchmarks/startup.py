"""startup: time from process start to the "Started flows" log line, and RSS at that moment,
for an empty flow and a generated flow of ``startup_nodes`` nodes.

One unmeasured start per runtime comes first (it creates the user dir's files and warms the
file cache), then ``runs`` measured starts per flow, each a fresh process on the same user dir.
"""
from __future__ import annotations

import aiohttp

from . import flows
from .figures import Figure, Target
from .options import Options
from .paths import run_dir
from .runtimes import Runtime

__all__ = ["run", "run_functions", "once"]

SCENARIO = "startup"


async def once(runtime: Runtime, flow: list[dict], expect: int) -> tuple[float, float]:
    """One start of ``flow`` (``expect`` nodes): ms to "Started flows", RSS then (MiB)."""
    proc = await runtime.start(flow, run_dir(runtime.name, SCENARIO), wait=False)
    try:
        seconds = await proc.wait_started()
        rss = proc.rss_mib()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{proc.url}/flows") as resp:
                loaded = sum(1 for n in await resp.json() if n.get("z"))
        if loaded != expect:
            raise RuntimeError(f"{runtime.name} has {loaded} nodes running, not {expect}")
        return seconds * 1000, rss
    finally:
        await proc.stop()


async def run(runtimes: list[Runtime], opts: Options) -> list[Figure]:
    """Empty flow and ``opts.startup_nodes`` nodes, ``opts.runs`` starts each."""
    big = flows.startup(opts.startup_nodes)
    n = opts.startup_nodes
    figures = {
        ("big", 0): Figure(SCENARIO, f"{n} nodes: start → Started flows", "ms", target=Target("<=", 0.5)),
        ("big", 1): Figure(SCENARIO, f"{n} nodes: RSS after start", "MiB", digits=1, target=Target("<=", 0.5)),
        ("empty", 0): Figure(SCENARIO, "empty flow: start → Started flows", "ms"),
        ("empty", 1): Figure(SCENARIO, "empty flow: RSS after start", "MiB", digits=1),
    }
    for runtime in runtimes:
        await once(runtime, big, n)  # warm-up, not counted
        for _ in range(opts.runs):
            for name, flow, expect in (("big", big, n), ("empty", [], 0)):
                ms, rss = await once(runtime, flow, expect)
                figures[name, 0].add(runtime.name, ms)
                figures[name, 1].add(runtime.name, rss)
    return list(figures.values())


async def run_functions(runtimes: list[Runtime], opts: Options) -> list[Figure]:
    """``opts.startup_nodes`` nodes of which a fifth are function nodes (STARTUP_FUNCTION_CHAIN),
    ``opts.runs`` starts after one unmeasured start: time to "Started flows" and RSS then."""
    n = opts.startup_nodes
    flow = flows.startup(n, flows.STARTUP_FUNCTION_CHAIN)
    scenario = "startup-functions"
    label = f"{n} nodes, {n // 5} of them function"
    time_fig = Figure(scenario, f"{label}: start → Started flows", "ms", target=Target("<=", 0.5))
    rss_fig = Figure(scenario, f"{label}: RSS after start", "MiB", digits=1, target=Target("<=", 0.5))
    for runtime in runtimes:
        await once(runtime, flow, n)  # warm-up, not counted
        for _ in range(opts.runs):
            ms, rss = await once(runtime, flow, n)
            time_fig.add(runtime.name, ms)
            rss_fig.add(runtime.name, rss)
    return [time_fig, rss_fig]
