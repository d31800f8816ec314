"""debug-flood: ``flood_rate`` debug msgs/s for ``flood_seconds`` to one slow ``/comms`` client.

The suite POSTs ``/inject/fl.inject`` ``flood_ticks`` times a second (on a fixed schedule); each
inject sends an array of ``flood_rate / flood_ticks`` elements through split into a debug node.
The client reads at most ``slow_reader_rate`` msgs/s. Meanwhile RSS is sampled every 100 ms and
``GET /bench/ping`` (an http in → http response path of the same flow) every 100 ms, whose
latency shows whether the runtime keeps serving under the flood. After the flood the client
reads on for ``flood_drain`` seconds, then what it received and what it was told was dropped
(FlowRed's ``notification/comms-dropped``) are counted.
"""
from __future__ import annotations

import asyncio
import time

import aiohttp

from . import flows
from .comms import CommsClient
from .figures import Figure
from .options import Options
from .paths import run_dir
from .runtimes import Runtime, RuntimeProcess
from .stats import percentile

__all__ = ["run", "once"]

SCENARIO = "debug-flood"
SAMPLE = 0.1  # seconds between RSS samples and between pings


async def _inject_on_schedule(http: aiohttp.ClientSession, proc: RuntimeProcess, opts: Options) -> int:
    loop = asyncio.get_running_loop()
    start, ticks = loop.time(), int(opts.flood_seconds * opts.flood_ticks)
    for i in range(ticks):
        await asyncio.sleep(max(0.0, start + i / opts.flood_ticks - loop.time()))
        async with http.post(f"{proc.url}/inject/fl.inject") as resp:
            resp.raise_for_status()
    return ticks


async def _sample(http: aiohttp.ClientSession, proc: RuntimeProcess, rss: list[float], pings: list[float],
                  stop: asyncio.Event) -> None:
    while not stop.is_set():
        rss.append(proc.rss_mib())
        t = time.perf_counter()
        try:
            async with http.get(f"{proc.url}/bench/ping", timeout=aiohttp.ClientTimeout(total=30)) as resp:
                await resp.read()
            pings.append((time.perf_counter() - t) * 1000)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pings.append(30_000.0)
        await asyncio.sleep(SAMPLE)


async def once(runtime: Runtime, opts: Options) -> dict[str, float]:
    """One flood in a fresh process; the figures of ``run`` by key."""
    batch = opts.flood_rate // opts.flood_ticks
    proc = await runtime.start(flows.debug_flood(batch), run_dir(runtime.name, SCENARIO))
    try:
        rss_start = proc.rss_mib()
        async with aiohttp.ClientSession() as http:
            comms = await CommsClient(http, proc.url, read_delay_per_msg=1 / opts.slow_reader_rate).open()
            rss: list[float] = []
            pings: list[float] = []
            stop = asyncio.Event()
            sampler = asyncio.get_running_loop().create_task(_sample(http, proc, rss, pings, stop))
            t0 = time.perf_counter()
            ticks = await _inject_on_schedule(http, proc, opts)
            inject_s = time.perf_counter() - t0
            await asyncio.sleep(opts.flood_drain)
            stop.set()
            await sampler
            rss_end = proc.rss_mib()
            received, dropped = comms.debug_count, comms.dropped_total
            await comms.close()
        pings.sort()
        sent = ticks * batch
        return {"sent": sent, "received": received, "dropped": dropped,
                "unaccounted": sent - received - dropped, "peak_rss": max(rss + [proc.peak_rss_mib()]),
                "rss_growth": max(rss) - rss_start, "rss_end": rss_end, "ping_p50": percentile(pings, 50),
                "ping_max": pings[-1] if pings else 0.0, "inject_s": inject_s}
    finally:
        await proc.stop()


async def run(runtimes: list[Runtime], opts: Options) -> list[Figure]:
    """``opts.runs`` floods per runtime, each in a fresh process."""
    rate = f"{opts.flood_rate:,}/s × {opts.flood_seconds:g} s"
    figures = {
        "sent": Figure(SCENARIO, f"debug msgs published ({rate})", "msgs"),
        "received": Figure(SCENARIO, "received by the slow client", "msgs"),
        "dropped": Figure(SCENARIO, "dropped, as notified to the client", "msgs"),
        "unaccounted": Figure(SCENARIO, "neither received nor notified (still queued)", "msgs"),
        "peak_rss": Figure(SCENARIO, "peak RSS", "MiB", digits=1),
        "rss_growth": Figure(SCENARIO, "RSS growth during the flood", "MiB", digits=1),
        "rss_end": Figure(SCENARIO, f"RSS {opts.flood_drain:g} s after the flood", "MiB", digits=1),
        "ping_p50": Figure(SCENARIO, "GET /bench/ping during the flood: p50", "ms", digits=1),
        "ping_max": Figure(SCENARIO, "GET /bench/ping during the flood: max", "ms", digits=1),
        "inject_s": Figure(SCENARIO, f"time to make the {opts.flood_seconds:g} s of injects", "s", digits=2),
    }
    for runtime in runtimes:
        for _ in range(opts.runs):
            result = await once(runtime, opts)
            for key, figure in figures.items():
                figure.add(runtime.name, result[key])
    return list(figures.values())
