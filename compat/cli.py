"""The command line: ``python -m compat [FLOW.json ...] [--examples] [--results PATH]``."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from benchmarks.nodered import PREFIX, ensure_node_red
from benchmarks.paths import run_dir
from benchmarks.runtimes import flowred, node_red

from .allowances import NOT_COMPARABLE, apply
from .compare import compare
from .examples import plan, shipped_examples
from .files import restore, snapshot, tmp_paths
from .observe import run_flow
from .report import DIFFERENT, IDENTICAL, NOT_COMPARABLE as NC, Result, print_result, write_results
from .side import Side

__all__ = ["main"]

HERE = Path(__file__).resolve().parent


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m compat", description=__doc__)
    p.add_argument("flows", nargs="*", type=Path, help="flow files (Node-RED exports)")
    p.add_argument("--examples", action="store_true",
                   help="every example shipped with the installed Node-RED (@node-red/nodes/examples)")
    p.add_argument("--only", default="",
                   help="with --examples: only examples whose path contains one of these comma-separated parts")
    p.add_argument("--results", type=Path, help="write a RESULTS.md table there")
    p.add_argument("--dump", type=Path,
                   help="write each flow's raw observations (both runtimes) as JSON into this folder")
    p.add_argument("--max-diffs", type=int, default=5, help="differences printed per flow (default 5)")
    return p.parse_args(argv)


async def _side(runtime, name: str) -> Side:
    return await Side(runtime, run_dir("compat", name)).open()


async def _ensure(side: Side) -> Side:
    """The side itself, or a fresh one when its process died (a flow may crash a runtime)."""
    if await side.alive():
        return side
    print(f"  {side.name} stopped; starting it again", flush=True)
    await side.close()
    return await _side(side.runtime, side.name)


async def _run(flows: list[tuple[str, Path]], args: argparse.Namespace) -> list[Result]:
    installed = ensure_node_red()
    if isinstance(installed, str):
        raise SystemExit(f"Node-RED is needed: {installed}")
    fr, nr = await asyncio.gather(_side(flowred(), "FlowRed"), _side(node_red(installed), "Node-RED"))
    results = []
    try:
        for name, path in flows:
            if name in NOT_COMPARABLE:
                results.append(Result(name, NC, reason=NOT_COMPARABLE[name]))
                print_result(results[-1])
                continue
            try:
                nodes = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                results.append(Result(name, NC, reason=f"cannot read the flow: {exc}"))
                print_result(results[-1])
                continue
            fr, nr = await _ensure(fr), await _ensure(nr)
            p = plan(nodes)
            if p.exclusive:
                saved = snapshot(tmp_paths(nodes))
                a = await run_flow(fr, nodes, p)
                restore(saved)
                b = await run_flow(nr, nodes, p)
            else:
                a, b = await asyncio.gather(run_flow(fr, nodes, p), run_flow(nr, nodes, p))
            if args.dump:
                _dump(args.dump, name, a, b)
            diffs = apply(name, compare(a, b, p), a, b)
            verdict = DIFFERENT if any(d.allowance is None for d in diffs) else IDENTICAL
            results.append(Result(name, verdict, diffs))
            print_result(results[-1], args.max_diffs)
    finally:
        await asyncio.gather(fr.close(), nr.close())
    return results


def _dump(folder: Path, name: str, fr, nr) -> None:
    """``<folder>/<name>.json``: ``{"FlowRed": {stream: [raw, ...]}, "Node-RED": {...}}``."""
    target = folder / (name.replace("/", "__").lstrip("_") + ".json")
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = {side: {k: [e.raw for e in v] for k, v in obs.items()} for side, obs in (("FlowRed", fr), ("Node-RED", nr))}
    target.write_text(json.dumps(raw, indent=1, default=str))


def main(argv: list[str] | None = None) -> None:
    """Run the comparison; exit status 0 when every comparable flow is identical, else 1."""
    args = _args(argv)
    flows = [(str(p), p) for p in args.flows]
    if args.examples:
        installed = ensure_node_red()
        if isinstance(installed, str):
            raise SystemExit(f"Node-RED is needed: {installed}")
        base = PREFIX / "node_modules" / "@node-red" / "nodes" / "examples"
        flows += [(str(p.relative_to(base).with_suffix("")), p) for p in shipped_examples(PREFIX)
                  if any(part in str(p.relative_to(base)) for part in args.only.split(","))]
    if not flows:
        raise SystemExit("no flows: give flow files or --examples")
    results = asyncio.run(_run(flows, args))
    counts = {k: sum(r.result == k for r in results) for k in (IDENTICAL, DIFFERENT, NC)}
    print(f"{len(results)} flows: {counts[IDENTICAL]} identical, {counts[DIFFERENT]} different, "
          f"{counts[NC]} not comparable")
    if args.results:
        from flowred import __version__
        write_results(args.results, results, ensure_node_red(install=False).version, __version__)
        print(f"wrote {args.results}")
    sys.exit(0 if counts[DIFFERENT] == 0 else 1)
