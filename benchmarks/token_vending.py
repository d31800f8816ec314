"""token-vending: ``POST /bench/token`` → one upstream POST to the OpenAI emulator (a separate
process on loopback) → ``http response``, under load from ``benchmarks.load`` (another process).

Rows, each on both runtimes with the same flow file:

- ``openai``: the OpenAI API node, ``createRealtimeClientSecret`` (``flows/token-openai.json``);
  on Node-RED the node is ``@inductiv/node-red-openai-api`` 6.34.0, installed from its tarball
  (:func:`.nodered.ensure_openai_package`; without it that column is skipped with a note);
- ``chat``: the OpenAI API node, ``createChatCompletion`` (``flows/chat-openai.json``,
  ``POST /bench/chat``), a JSON method through the SDK's parameter path;
- ``http-request``: the ``http request`` node POSTing to ``/v1/realtime/client_secrets``.

Each runtime serves ``runs`` measured loads per row after one warm-up load.
"""
from __future__ import annotations

import asyncio
import json
import sys

import aiohttp

from . import flows
from .figures import NODE_RED, Figure, Target
from .nodered import ensure_openai_package
from .options import Options
from .paths import ROOT, run_dir
from .runtimes import Runtime, cpu_seconds, free_port

__all__ = ["run", "serve", "Upstream", "ROWS"]

SCENARIO = "token-vending"
API_KEY = "sk-bench-0123456789"
BODY = json.dumps({"model": "gpt-realtime"})
ROWS = {"openai": "OpenAI API node, createRealtimeClientSecret",
        "chat": "OpenAI API node, createChatCompletion",
        "http-request": "http request node"}
PATHS = {"openai": "/bench/token", "chat": "/bench/chat", "http-request": "/bench/token"}
EXPECT = {"openai": '"ek_', "chat": '"chat.completion"', "http-request": '"ek_'}
"""A text the answer of a good request holds, per row."""
OPENAI_ROWS = ("openai", "chat")


class Upstream:
    """The OpenAI emulator in its own process."""

    def __init__(self, proc: asyncio.subprocess.Process, base_url: str) -> None:
        self.proc = proc
        self.base_url = base_url

    @classmethod
    async def start(cls) -> "Upstream":
        port = free_port()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "flowred.openai_emulator", "--port", str(port), "--api-key", API_KEY,
            cwd=ROOT, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if b"listening" not in line:
            proc.kill()
            raise RuntimeError(f"the OpenAI emulator did not start: {line.decode(errors='replace')}")
        return cls(proc, f"http://127.0.0.1:{port}/v1")

    async def stop(self) -> None:
        self.proc.terminate()
        await self.proc.wait()


async def _load(url: str, count: int, concurrency: int) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.load", url, "--count", str(count),
        "--concurrency", str(concurrency), "--body", BODY,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the load generator failed (exit {proc.returncode})")
    return json.loads(out)


async def _check(url: str, name: str, expect: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=BODY, headers={"Content-Type": "application/json"},
                             timeout=aiohttp.ClientTimeout(total=60)) as resp:
            text = await resp.text()
    if resp.status != 200 or expect not in text:
        raise RuntimeError(f"{name}: POST {url} answered {resp.status}: {text[:300]}")


async def serve(runtime: Runtime, kind: str, upstream: Upstream, opts: Options) -> list[dict]:
    """Start ``runtime`` on the ``kind`` flow and load it ``opts.runs`` times; the load results."""
    env = {"OPENAI_BASE_URL": upstream.base_url, "OPENAI_API_KEY": API_KEY}
    flow = flows.token_vending(kind, upstream.base_url, API_KEY)
    proc = await runtime.start(flow, run_dir(runtime.name, f"{SCENARIO}-{kind}"), env=env)
    try:
        url = proc.url + PATHS[kind]
        await _check(url, f"{runtime.name} ({flows.TOKEN_FLOWS[kind]}.json)", EXPECT[kind])
        results = []
        for i in range(opts.runs):
            if i == 0 and opts.warmup:
                await _load(url, opts.warmup, opts.concurrency)
            runtime_cpu, upstream_cpu = proc.cpu_seconds(), cpu_seconds(upstream.proc.pid)
            result = await _load(url, opts.requests, opts.concurrency)
            per_request = 1000 / opts.requests
            result["runtime_cpu_ms"] = (proc.cpu_seconds() - runtime_cpu) * per_request
            result["upstream_cpu_ms"] = (cpu_seconds(upstream.proc.pid) - upstream_cpu) * per_request
            result["load_cpu_ms"] = result["cpu_s"] * per_request
            result["peak_rss"] = proc.peak_rss_mib()
            results.append(result)
        return results
    finally:
        await proc.stop()


def kinds(runtime: Runtime) -> tuple[str, ...]:
    """The rows ``runtime`` serves: all of ROWS, except the OpenAI node rows on a Node-RED
    without the package."""
    if runtime.name == NODE_RED and ensure_openai_package() is not None:
        return ("http-request",)
    return tuple(ROWS)


async def run(runtimes: list[Runtime], opts: Options) -> list[Figure]:
    """Every row of ROWS on each runtime (:func:`kinds`); targets on the ratio FlowRed /
    Node-RED: req/s ≥ 2×, p99 ≤ 1×, runtime CPU per request ≤ 0.5×."""
    figures: dict = {}
    for kind, label in ROWS.items():
        conc = f"c={opts.concurrency}"
        figures[kind, "rps"] = Figure(SCENARIO, f"{label}: req/s ({conc})", "req/s", target=Target(">=", 2.0))
        figures[kind, "p50_ms"] = Figure(SCENARIO, f"{label}: p50", "ms", digits=1)
        figures[kind, "p99_ms"] = Figure(SCENARIO, f"{label}: p99", "ms", digits=1, target=Target("<=", 1.0))
        figures[kind, "errors"] = Figure(SCENARIO, f"{label}: errors", "requests")
        figures[kind, "runtime_cpu_ms"] = Figure(SCENARIO, f"{label}: runtime CPU per request", "ms", digits=3,
                                                 target=Target("<=", 0.5))
        figures[kind, "peak_rss"] = Figure(SCENARIO, f"{label}: peak RSS", "MiB", digits=1)
    figures["upstream_cpu_ms"] = Figure(SCENARIO, "emulator (upstream) CPU per request", "ms", digits=3)
    figures["load_cpu_ms"] = Figure(SCENARIO, "load generator CPU per request", "ms", digits=3)
    upstream = await Upstream.start()
    try:
        for runtime in runtimes:
            for kind in kinds(runtime):
                for result in await serve(runtime, kind, upstream, opts):
                    for key in ("rps", "p50_ms", "p99_ms", "errors", "runtime_cpu_ms", "peak_rss"):
                        figures[kind, key].add(runtime.name, result[key])
                    for key in ("upstream_cpu_ms", "load_cpu_ms"):
                        figures[key].add(runtime.name, result[key])
    finally:
        await upstream.stop()
    return list(figures.values())
