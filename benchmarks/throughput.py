"""throughput: inject (an n-element array) → split → 10 × change → join (count n) → change
(msg.end) → debug, in a fresh runtime process per run.

The inject stamps ``msg.start`` (ms), the last change ``msg.end``; end to end is ``end - start``
as measured inside the runtime. Each of the n msgs makes 11 hops (10 changes and the join).
Peak RSS is the process' VmHWM after the run.
"""
from __future__ import annotations

import time

import aiohttp

from . import flows
from .comms import CommsClient, debug_value
from .figures import Figure, Target
from .options import Options
from .paths import run_dir
from .runtimes import Runtime

__all__ = ["run", "once"]

HOPS_PER_MSG = 11
SCENARIO = "throughput"


async def once(runtime: Runtime, opts: Options) -> dict[str, float]:
    """One run in a fresh process: ms, wall_ms, msgs_per_s, hops_per_s, peak_rss."""
    proc = await runtime.start(flows.throughput(opts.n), run_dir(runtime.name, SCENARIO))
    try:
        async with aiohttp.ClientSession() as http:
            comms = await CommsClient(http, proc.url, keep_from=frozenset({"tp.debug"})).open()
            t_post = time.perf_counter()
            async with http.post(f"{proc.url}/inject/tp.inject") as resp:
                resp.raise_for_status()
            [data] = await comms.wait_kept(1, timeout=max(60.0, opts.n / 1000))
            wall = time.perf_counter() - t_post
            await comms.close()
        msg = debug_value(data)
        count = msg["payload"]["length"] if isinstance(msg["payload"], dict) else len(msg["payload"])
        if count != opts.n:
            raise RuntimeError(f"{runtime.name}: the join sent {count} parts, not {opts.n}")
        ms = max(1, msg["end"] - msg["start"])
        return {"ms": ms, "wall_ms": wall * 1000, "msgs_per_s": opts.n * 1000 / ms,
                "hops_per_s": opts.n * HOPS_PER_MSG * 1000 / ms, "peak_rss": proc.peak_rss_mib()}
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
