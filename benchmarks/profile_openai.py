"""CPU time per call of the OpenAI API node's request path, measured in one process, and where it
goes (cProfile):

    .venv/bin/python -m benchmarks.profile_openai [--method createChatCompletion] [--calls 3000]
                                                  [--concurrency 64] [--top 40] [--out FILE]

The OpenAI emulator runs in its own process (as in the token-vending scenario); this process
builds the Service Host's client (``flowred.nodes.openai_api.service_host.build_client``, the
one the node uses) and awaits ``calls.run`` — what ``OpenAIApiNode`` does per msg after reading
the request — ``calls`` times, ``concurrency`` at a time, after 300 warm-up calls. It prints
the process CPU time per call (µs, ``time.process_time``: independent of the machine's other
load) with and without cProfile, and cProfile's functions by own time (per call, µs), with the
same figures written to ``--out`` (default ``benchmarks/.cache/profiles/openai-<method>.txt``).
Only the node's call is measured: the flow around it (http in, change, http response) is not.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
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


async def _measure(method_name: str, calls: int, concurrency: int, top: int) -> str:
    from flowred.nodes.openai_api.catalog import METHODS
    from flowred.nodes.openai_api.service_host import build_client

    upstream = await Upstream.start()
    try:
        client, transport = build_client(API_KEY, upstream.base_url, timeout=600, max_retries=2)
        method, request = METHODS[method_name], REQUESTS[method_name]
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
    lines = [f"{method_name}: {calls} calls, {concurrency} in flight",
             f"process CPU per call: {plain_us:.0f} µs (under cProfile: {profiled_us:.0f} µs)",
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
    args = p.parse_args(argv)
    report = asyncio.run(_measure(args.method, args.calls, args.concurrency, args.top))
    out = args.out or CACHE / "profiles" / f"openai-{args.method}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(report.split("\n\ncumulative:")[0])
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
