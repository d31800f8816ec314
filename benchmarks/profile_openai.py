"""CPU time per call of the OpenAI API node's request path, measured in one process, and where it
goes (cProfile):

    .venv/bin/python -m benchmarks.profile_openai [--method createChatCompletion] [--calls 3000]
                                                  [--concurrency 64] [--top 40] [--out FILE] [--sdk-path]

The OpenAI emulator runs in its own process (as in the token-vending scenario); this process
builds the Service Host's client (``flowred.nodes.openai_api.service_host.build_client``, the
one the node uses) and awaits ``calls.run`` — what ``OpenAIApiNode`` does per msg after reading
the request — ``calls`` times, ``concurrency`` at a time, after 300 warm-up calls. It prints
the process CPU time per call (µs, ``time.process_time``: independent of the machine's other
load) with and without cProfile, cProfile's own time summed by area (share, and that share of the
CPU per call) and its functions by own time (per call, µs, inflated by the profiler), with the
same figures written to ``--out`` (default ``benchmarks/.cache/profiles/openai-<method>.txt``).
Only the node's call is measured: the flow around it (http in, change, http response) is not.
``--sdk-path`` measures the same calls on openai-python's own request path (a plain
``AsyncOpenAI`` on its aiohttp transport, the method's SDK function with its parameter
transform), as the node made them before the lean path. The areas: the SDK's parameter
transform, httpx2, the SDK's request building, aiohttp, asyncio, FlowRed, the rest (sockets, C).
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import pstats
import time
from collections import Counter
from pathlib import Path

from .paths import CACHE
from .token_vending import API_KEY, Upstream

__all__ = ["main", "REQUESTS"]

REQUESTS = {
    "createRealtimeClientSecret": {"session": {"type": "realtime", "model": "gpt-realtime"}},
    "createChatCompletion": {"model": "gpt-4o-mini",
                             "messages": [{"role": "developer", "content": "Answer in one line."},
                                          {"role": "user", "content": "Say hello to the benchmark"}]},
}
WARMUP = 300
AREAS = (("SDK parameter transform", ("openai/_utils/_transform", "typing.py", "openai/_utils/_typing",
                                      "openai/_utils/_compat", "importlib._bootstrap")),
         ("httpx2 models and client", ("httpx2/",)),
         ("SDK request building, retries, options", ("openai/", "pydantic/", "copy.py")),
         ("aiohttp client", ("aiohttp/", "multidict", "yarl")),
         ("asyncio event loop", ("asyncio/", "selectors", "epoll")),
         ("FlowRed (node call, JSON)", ("nodes/openai_api", "orjson", "json/")))
"""Own time is summed by the first area whose any pattern is in the function's file name."""


def _areas(stats: pstats.Stats, cpu_us: float) -> list[str]:
    """Each area's share of cProfile's own time, and that share of ``cpu_us`` (the CPU per call
    measured without the profiler): cProfile slows small functions more than big ones, so the
    µs are estimates."""
    totals: Counter = Counter()
    for (file, _line, name), (_cc, _n, own, _cum, _callers) in stats.stats.items():
        where = f"{file}:{name}"
        area = next((label for label, patterns in AREAS if any(p in where for p in patterns)), "other (sockets, C)")
        totals[area] += own
    whole = sum(totals.values()) or 1.0
    return [f"{100 * totals[a] / whole:5.1f}%  ≈{totals[a] / whole * cpu_us:6.0f} µs  {a}"
            for a, _ in totals.most_common()]


async def _calls(client, method, request, count: int, concurrency: int) -> None:
    from flowred.nodes.openai_api.calls import run

    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            async for _kind, _value in run(client, method, request):
                pass

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _measure(method_name: str, calls: int, concurrency: int, top: int, sdk_path: bool) -> str:
    from flowred.nodes.openai_api.catalog import METHODS
    from flowred.nodes.openai_api.service_host import build_client

    upstream = await Upstream.start()
    try:
        method, request = METHODS[method_name], REQUESTS[method_name]
        if sdk_path:
            import openai

            transport = openai.DefaultAioHttpClient()
            client = openai.AsyncOpenAI(api_key=API_KEY, base_url=upstream.base_url, timeout=600, max_retries=2,
                                        http_client=transport)
            method = dataclasses.replace(method, json_body=None)
        else:
            client, transport = build_client(API_KEY, upstream.base_url, timeout=600, max_retries=2)
        await _calls(client, method, request, WARMUP, concurrency)
        cpu = time.process_time()
        await _calls(client, method, request, calls, concurrency)
        plain_us = (time.process_time() - cpu) / calls * 1e6
        profile = cProfile.Profile()
        cpu = time.process_time()
        profile.enable()
        await _calls(client, method, request, calls, concurrency)
        profile.disable()
        profiled_us = (time.process_time() - cpu) / calls * 1e6
        await transport.aclose()
    finally:
        await upstream.stop()
    stats = pstats.Stats(profile)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # by own (total) time
    path = "openai-python's own request path" if sdk_path else "the lean path"
    lines = [f"{method_name}: {calls} calls, {concurrency} in flight, {path}",
             f"process CPU per call: {plain_us:.0f} µs (under cProfile: {profiled_us:.0f} µs)",
             "", "cProfile own time by area (share; that share of the CPU per call):", *_areas(stats, plain_us),
             "", f"{'own µs/call':>11} {'cum µs/call':>11} {'calls/call':>10}  function"]
    for (file, line, name), (_cc, ncalls, own, cum, _callers) in rows:
        where = file.split("site-packages/")[-1].split("/oaibench/")[-1]
        lines.append(f"{own / calls * 1e6:11.1f} {cum / calls * 1e6:11.1f} {ncalls / calls:10.2f}  "
                     f"{name} ({where}:{line})")
    buffer = io.StringIO()
    pstats.Stats(profile, stream=buffer).sort_stats("cumulative").print_stats(40)
    return "\n".join(lines) + "\n\ncumulative:\n" + buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Measure and profile one method's call; print the report and write it to ``--out``."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_openai", description=__doc__.split("\n\n")[0])
    p.add_argument("--method", choices=tuple(REQUESTS), default="createRealtimeClientSecret")
    p.add_argument("--calls", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--sdk-path", action="store_true", help="openai-python's own request path (the node's before)")
    args = p.parse_args(argv)
    report = asyncio.run(_measure(args.method, args.calls, args.concurrency, args.top, args.sdk_path))
    suffix = "-sdk" if args.sdk_path else ""
    out = args.out or CACHE / "profiles" / f"openai-{args.method}{suffix}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(report.split("\n\ncumulative:")[0])
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
