"""Where FlowRed spends its time in a scenario: the scenario's run with FlowRed under pyinstrument.

    .venv/bin/pip install pyinstrument
    .venv/bin/python -m benchmarks.profile_flowred SCENARIO [--out DIR]

(SCENARIO: throughput, startup, startup-functions, token-vending, token-vending-openai,
token-vending-chat, debug-flood, function-heavy, python-function or mixed; ``--n`` sets the chain scenarios' size.)

FlowRed is started as ``python -m pyinstrument ... .venv/bin/flowred run ...``; the scenario runs
once with the suite's sizes; SIGTERM ends FlowRed normally and pyinstrument saves the session
(``DIR/<scenario>.pyisession``), rendered as the call tree (``DIR/<scenario>.txt``), the call tree
with library frames (``-all.txt``) and the functions by own time (``-flat.txt``). Idle time in
the event loop shows up as ``epoll.poll``. The startup scenario also writes ``python -X importtime``
of the ``flowred`` command's imports and of its node packages (``DIR/startup-imports.txt``, heaviest first).
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

from . import chains, debug_flood, flows, startup, throughput, token_vending
from .options import Options
from .paths import CACHE, ROOT, flowred_command, remove_session
from .runtimes import Runtime

__all__ = ["main"]

SCENARIOS = ("throughput", "startup", "startup-functions", "token-vending", "token-vending-openai",
             "token-vending-chat", "debug-flood",
             *flows.CHAINS)


def _profiled(session: Path) -> Runtime:
    launcher = (sys.executable, "-m", "pyinstrument", "-i", "0.0005", "-r", "pyisession", "-o", str(session),
                str(flowred_command()))
    return Runtime("FlowRed", launcher=launcher)


def _render(session: Path, out: Path, *options: str) -> None:
    subprocess.run([sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", "text", *options,
                    "-o", str(out)], check=True)


async def _scenario(name: str, runtime: Runtime, opts: Options) -> None:
    if name == "throughput":
        await throughput.once(runtime, opts)
    elif name == "startup":
        await startup.once(runtime, flows.startup(opts.startup_nodes), opts.startup_nodes)
    elif name == "startup-functions":
        await startup.once(runtime, flows.startup(opts.startup_nodes, flows.STARTUP_FUNCTION_CHAIN),
                           opts.startup_nodes)
    elif name in flows.CHAINS:
        await throughput.measure(runtime, flows.chain(name, opts.n), flows.CHAINS[name], opts.n, chains.HOPS[name],
                                 name, chains.SETTLE.get(name, 0.0))
    elif name == "debug-flood":
        await debug_flood.once(runtime, opts)
    else:
        upstream = await token_vending.Upstream.start()
        try:
            kind = {"token-vending-openai": "openai", "token-vending-chat": "chat"}.get(name, "http-request")
            await token_vending.serve(runtime, kind, upstream, opts)
        finally:
            await upstream.stop()


def _imports(out: Path) -> None:
    code = ("import flowred.cli, flowred.api; from flowred.registry import load_node_packages; "
            "load_node_packages()")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")][1:]
    rows.sort(key=lambda r: -int(r[1]))
    out.write_text("cumulative µs | own µs | module\n" +
                   "\n".join(f"{r[1].strip():>12} | {r[0].split(':')[1].strip():>7} | {r[2].rstrip()}"
                             for r in rows[:60]) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Profile one scenario; print where the reports are."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_flowred", description=__doc__.split("\n\n")[0])
    p.add_argument("scenario", choices=SCENARIOS)
    p.add_argument("--out", type=Path, default=CACHE / "profiles")
    p.add_argument("--n", type=int, default=Options.n, help="msgs of the throughput and chain scenarios")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    opts = Options(runs=1, n=args.n)
    session = args.out / f"{args.scenario}.pyisession"
    asyncio.run(_scenario(args.scenario, _profiled(session), opts))
    remove_session()
    for suffix, options in (("", ()), ("-all", ("--show-all",)), ("-flat", ("-p", "flat=true", "--show-all"))):
        report = args.out / f"{args.scenario}{suffix}.txt"
        _render(session, report, *options)
        print(report)
    if args.scenario == "startup":
        _imports(args.out / "startup-imports.txt")
        print(args.out / "startup-imports.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
