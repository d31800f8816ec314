"""``python -m benchmarks.startup_profile [--functions] [--nodes 1000]``: where FlowRed's start
goes, phase by phase, in one process: CPU time (all threads) and RSS after the library imports,
the runtime's modules, the node modules, the "Started flows" point and once the function nodes'
code is compiled; then the resident memory by mapping (``/proc/self/smaps``: anonymous, heap,
each shared library) and the optional libraries loaded. The flow is the startup scenario's
(flows.startup), with STARTUP_FUNCTION_CHAIN under ``--functions``. Evidence for RESULTS.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]

T0 = time.perf_counter()
OPTIONAL = ("bs4", "jsonschema", "yaml", "aiomqtt", "defusedxml", "bcrypt", "py_mini_racer", "openai")


def _status(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _mark(phase: str) -> None:
    print(f"{phase:38s} wall {1000 * (time.perf_counter() - T0):7.0f} ms  cpu {1000 * time.process_time():6.0f} ms  "
          f"RSS {_status('VmRSS'):6.1f} MiB (peak {_status('VmHWM'):5.1f}, "
          f"anon {_status('RssAnon'):5.1f}, file {_status('RssFile'):5.1f})",
          flush=True)


def _mappings(top: int = 12) -> list[tuple[float, str]]:
    """Resident MiB per mapped file name (``[anon]``, ``[heap]`` ...), largest first."""
    sizes: dict[str, int] = {}
    name = ""
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and ":" in head[3]:
                name = os.path.basename(head[5]) if len(head) >= 6 else "[anon]"
            elif head[0] == "Rss:":
                sizes[name] = sizes.get(name, 0) + int(head[1])
    return sorted(((kib / 1024, n) for n, kib in sizes.items()), reverse=True)[:top]


def main(argv: list[str] | None = None) -> None:
    """Profile one start; see the module doc."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.startup_profile", description=__doc__)
    p.add_argument("--functions", action="store_true", help="the flow with 200 function nodes per 1,000")
    p.add_argument("--nodes", type=int, default=1000)
    args = p.parse_args(argv)
    _mark("interpreter")
    import aiohttp.web  # noqa: F401
    import pydantic  # noqa: F401
    _mark("asyncio, aiohttp, pydantic imported")
    import flowred.cli  # noqa: F401
    from flowred.engine import Engine
    from flowred.settings import Settings
    from flowred.storage import FlowStorage
    _mark("flowred's runtime imported")
    from flowred.registry import load_node_packages
    load_node_packages()
    _mark("node modules imported")

    from . import flows
    chain = flows.STARTUP_FUNCTION_CHAIN if args.functions else flows.STARTUP_CHAIN

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            user_dir = Path(tmp)
            flow_file = user_dir / "flows.json"
            flow_file.write_text(json.dumps(flows.startup(args.nodes, chain)))
            settings = Settings(flowFile=flow_file, userDir=user_dir, watchFlowFile=False)
            engine = Engine(settings, FlowStorage(flow_file, user_dir, settings.credentialSecret))
            await engine.load()
            _mark("Started flows")
            await asyncio.sleep(0.5)
            _mark("0.5 s later (function code compiled)")
            for mib, name in _mappings():
                print(f"    {mib:6.1f} MiB  {name}")
            print("    optional libraries loaded:", sorted(m for m in OPTIONAL if m in sys.modules) or "none")
            await engine.stop()

    asyncio.run(run())


if __name__ == "__main__":
    main()
