"""The suite's command line: pick scenarios and sizes, run every scenario on each runtime,
print the table and write RESULTS.md."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Awaitable, Callable

from . import chains, debug_flood, startup, throughput, token_vending
from .figures import Figure
from .machine import describe
from .nodered import NodeRed, ensure_node_red, ensure_openai_package
from .options import QUICK, Options
from .paths import RESULTS, SESSION, remove_session
from .report import render, table, write_results
from .runtimes import Runtime, flowred, node_red

__all__ = ["main", "run_suite"]

Scenario = Callable[[list[Runtime], Options], Awaitable[list[Figure]]]
SCENARIOS: dict[str, Scenario] = {
    "throughput": throughput.run,
    "startup": startup.run,
    "token-vending": token_vending.run,
    "debug-flood": debug_flood.run,
    "function-heavy": chains.function_heavy,
    "python-function": chains.python_function,
    "mixed": chains.mixed,
    "startup-functions": startup.run_functions,
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description="FlowRed and Node-RED side by side on the same flows.")
    p.add_argument("--only", default=",".join(SCENARIOS),
                   help=f"comma-separated scenarios (default: all of {', '.join(SCENARIOS)})")
    p.add_argument("--quick", action="store_true", help="tiny sizes, one run (a smoke test, not a measurement)")
    p.add_argument("--no-node-red", action="store_true", help="FlowRed only (no install, no Node-RED column)")
    p.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                   help="FlowRed's event loop (flowred run --loop; default asyncio)")
    p.add_argument("--results", type=Path, default=RESULTS, help="where to write the results (default %(default)s)")
    for f in dataclasses.fields(Options):
        p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=None,
                       help=f"default {f.default} (quick: {getattr(QUICK, f.name)})")
    return p


def _options(args: argparse.Namespace) -> Options:
    base = QUICK if args.quick else Options()
    chosen = {f.name: getattr(args, f.name) for f in dataclasses.fields(Options) if getattr(args, f.name) is not None}
    return dataclasses.replace(base, **chosen)


def _merge(into: list[Figure], more: list[Figure]) -> list[Figure]:
    if not into:
        return more
    for a, b in zip(into, more, strict=True):
        for runtime, values in b.runs.items():
            a.runs.setdefault(runtime, []).extend(values)
    return into


async def run_suite(names: list[str], runtimes: list[Runtime], opts: Options,
                    notes: list[str]) -> list[Figure]:
    """Each scenario on each runtime in turn; a failure becomes a note and the suite goes on."""
    figures: list[Figure] = []
    for name in names:
        scenario_figures: list[Figure] = []
        for runtime in runtimes:
            print(f"{name}: {runtime.name} ...", flush=True)
            try:
                scenario_figures = _merge(scenario_figures, await SCENARIOS[name]([runtime], opts))
            except Exception as exc:  # one runtime's failure must not lose the other's figures
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                notes.append(f"{name} on {runtime.name} failed: {reason}")
                print(f"  failed: {exc}", file=sys.stderr, flush=True)
        figures += scenario_figures
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the suite; 0 when every scenario ran, 1 when one failed, 2 on bad arguments."""
    args = _parser().parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    opts = _options(args)
    notes: list[str] = []
    runtimes = [flowred(args.loop)]
    installed: NodeRed | None = None
    if args.no_node_red:
        notes.append("Node-RED column skipped: --no-node-red was given.")
    else:
        found = ensure_node_red()
        if isinstance(found, NodeRed):
            installed = found
            runtimes.append(node_red(found))
            missing = ensure_openai_package() if "token-vending" in names else None
            if missing:
                notes.append(f"token-vending: the OpenAI API node rows' Node-RED column skipped: {missing}.")
        else:
            notes.append(f"Node-RED column skipped: {found}.")
    for note in notes:
        print(note, flush=True)
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    load_before = os.getloadavg()[0]
    figures = asyncio.run(run_suite(names, runtimes, opts, notes))
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else argv)
    print()
    print(table(figures))
    for note in notes:
        print(note)
    write_results(args.results, render(figures, describe(installed, load_before), notes, when, command.strip()))
    print(f"\nwritten to {args.results}")
    if any(" failed: " in n for n in notes):
        print(f"the runtimes' logs are in {SESSION}")
        return 1
    remove_session()
    return 0
