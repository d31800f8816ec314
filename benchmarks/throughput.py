"""throughput: inject (an n-element array) → split → 10 × change → join (count n) → change
(msg.end) → debug, in a fresh runtime process per run.

The inject stamps ``msg.start`` (ms), the last change ``msg.end``; end to end is ``end - start``
as measured inside the runtime. Each of the n msgs makes 11 hops (10 changes and the join).
Peak RSS is the process' VmHWM after the run.
"""
from __future__ import annotations

import asyncio
import time

import aiohttp

from . import flows
from .comms import CommsClient, debug_value
from .figures import Figure, Target
from .options import Options
from .paths import run_dir
from .runtimes import Runtime

__all__ = ["run", "once", "measure"]

HOPS_PER_MSG = 11
SCENARIO = "throughput"


async def once(runtime: Runtime, opts: Options) -> dict[str, float]:
    """One run in a fresh process: ms, wall_ms, msgs_per_s, hops_per_s, peak_rss."""
    return await measure(runtime, flows.throughput(opts.n), "tp", opts.n, HOPS_PER_MSG, SCENARIO)


async def measure(runtime: Runtime, flow: list[dict], prefix: str, n: int, hops: int,
                  scenario: str, settle: float = 0.0) -> dict[str, float]:
    """One run of a chain flow in a fresh process: POST /inject/<prefix>.inject, wait for the
    debug node ``<prefix>.debug`` to show the join of ``n`` parts with ``msg.start``/``msg.end``.

    ``settle``: seconds to wait after "Started flows" before the inject (nodes that get ready
    after the flows started, such as python-function's worker processes).
    Returns ms, wall_ms, msgs_per_s, hops_per_s (``hops`` per msg), peak_rss (the runtime's
    VmHWM, MiB), peak_rss_tree (the runtime's and its child processes' VmHWM summed, MiB) and
    cpu_us_per_msg (CPU time of the runtime and its child processes from the POST to the
    debug msg, µs per msg: unlike the rates it does not depend on the machine's other load).
    Raises RuntimeError when the join did not gather ``n`` parts."""
    proc = await runtime.start(flow, run_dir(runtime.name, scenario))
    try:
        await asyncio.sleep(settle)
        async with aiohttp.ClientSession() as http:
            comms = await CommsClient(http, proc.url, keep_from=frozenset({f"{prefix}.debug"})).open()
            cpu_before = proc.tree_cpu_seconds()
            t_post = time.perf_counter()
            async with http.post(f"{proc.url}/inject/{prefix}.inject") as resp:
                resp.raise_for_status()
            [data] = await comms.wait_kept(1, timeout=max(120.0, n / 250))  # generous: the machine may be loaded
            wall = time.perf_counter() - t_post
            cpu = proc.tree_cpu_seconds() - cpu_before
            await comms.close()
        msg = debug_value(data)
        count = msg["payload"]["length"] if isinstance(msg["payload"], dict) else len(msg["payload"])
        if count != n:
            raise RuntimeError(f"{runtime.name}: the join sent {count} parts, not {n}")
        ms = max(1, msg["end"] - msg["start"])
        return {"ms": ms, "wall_ms": wall * 1000, "msgs_per_s": n * 1000 / ms,
                "hops_per_s": n * hops * 1000 / ms, "peak_rss": proc.peak_rss_mib(),
                "peak_rss_tree": proc.tree_peak_rss_mib(), "cpu_us_per_msg": cpu * 1e6 / n}
    finally:
        await proc.stop()


async def run(runtimes: list[Runtime], opts: Options) -> list[Figure]:
    """``opts.runs`` fresh-process runs per runtime."""
    figures = {
        "hops_per_s": Figure(SCENARIO, "hops/s", "hops/s", target=Target(">=", 2.0)),
        "msgs_per_s": Figure(SCENARIO, "msgs/s end to end", "msgs/s"),
        "ms": Figure(SCENARIO, "end to end (in runtime)", "ms"),
        "wall_ms": Figure(SCENARIO, "POST /inject → debug on /comms", "ms"),
        "peak_rss": Figure(SCENARIO, "peak RSS", "MiB", digits=1, target=Target("<=", 0.5)),
    }
    for runtime in runtimes:
        for _ in range(opts.runs):
            result = await once(runtime, opts)
            for key, figure in figures.items():
                figure.add(runtime.name, result[key])
    return list(figures.values())
