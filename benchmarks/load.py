"""HTTP load generator, run as a process of its own (apart from the suite and the runtime)::

    python -m benchmarks.load URL --count 5000 --concurrency 64 [--body JSON]

``concurrency`` workers on one keep-alive connection pool POST ``body`` until ``count``
requests were made; a non-2xx status, a transport error or a timeout is an error. Prints one
JSON line: ``{count, errors, seconds, rps, p50_ms, p99_ms, max_ms, statuses, cpu_s}`` (``cpu_s``: this
process' own CPU time during the measured requests).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter

import aiohttp

from .stats import percentile

REQUEST_TIMEOUT = 30.0  # seconds


async def _hammer(url: str, body: bytes, count: int, concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: Counter = Counter()
    remaining = count
    headers = {"Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                t = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        statuses[str(resp.status)] += 1
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    statuses[type(exc).__name__] += 1
                latencies.append((time.perf_counter() - t) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - t0
    latencies.sort()
    errors = sum(n for status, n in statuses.items() if not status.startswith("2"))
    return {"count": count, "errors": errors, "seconds": seconds, "rps": count / seconds,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "max_ms": latencies[-1] if latencies else 0.0, "statuses": dict(statuses)}


async def _main(args: argparse.Namespace) -> dict:
    body = args.body.encode()
    cpu = time.process_time()
    result = await _hammer(args.url, body, args.count, args.concurrency)
    return {**result, "cpu_s": time.process_time() - cpu}


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the load, print the JSON result."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    p.add_argument("url")
    p.add_argument("--count", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--body", default="{}")
    print(json.dumps(asyncio.run(_main(p.parse_args(argv)))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
