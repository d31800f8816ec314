"""function-heavy, python-function and mixed: chain flows (inject an n-element array → split →
nodes → join (count n) → change (msg.end) → debug), each run in a fresh runtime process, measured
as the throughput scenario is (``throughput.measure``).

* ``function-heavy``: 10 × function (``msg.x = 1; return msg;``) on both runtimes.
* ``python-function``: FlowRed runs 10 × python-function (``msg['x'] = 1``, the same code in
  Python; the ten nodes form one chain sharing a worker process, see
  nodes/python_function_chain.py); Node-RED runs the function-heavy flow, the code in its
  function nodes. Peak RSS is the runtime's plus its worker processes'. Both runtimes get
  SETTLE seconds after "Started flows" before the inject, for the workers to start.
* ``mixed``: a flow shaped like real ones, msgs ``{kind, value}``: switch on
  ``msg.payload.kind`` (3 rules and otherwise, stop at the first match) → template (mustache,
  JSON text) → json (parse) → change (JSONata ``payload.value * 2``) → function → json
  (stringify) → delay (0 ms) → join; 8 hops per msg.
"""
from __future__ import annotations

from . import flows
from .figures import Figure, Target
from .options import Options
from .runtimes import Runtime
from .throughput import measure

__all__ = ["function_heavy", "python_function", "mixed"]

HOPS = {"function-heavy": 11, "python-function": 11, "mixed": 8}
SETTLE = {"python-function": 2.0}
"""Seconds between "Started flows" and the inject, on both runtimes: python-function's worker
processes start (and run On Start) after the flows have started."""


async def _runs(scenario: str, runtimes: list[Runtime], opts: Options, figures: dict[str, Figure],
                flow_for: dict[str, str] | None = None) -> list[Figure]:
    """``opts.runs`` fresh-process runs per runtime of the chain flow ``flow_for[runtime]``
    (default: the scenario's own flow), filling ``figures`` by result key."""
    for runtime in runtimes:
        name = (flow_for or {}).get(runtime.name, scenario)
        flow = flows.chain(name, opts.n)
        for _ in range(opts.runs):
            result = await measure(runtime, flow, flows.CHAINS[name], opts.n, HOPS[name], scenario,
                                   SETTLE.get(scenario, 0.0))
            for key, figure in figures.items():
                figure.add(runtime.name, result[key])
    return list(figures.values())


def _common(scenario: str, hops_target: float) -> dict[str, Figure]:
    return {
        "hops_per_s": Figure(scenario, "hops/s", "hops/s", target=Target(">=", hops_target)),
        "msgs_per_s": Figure(scenario, "msgs/s end to end", "msgs/s"),
        "ms": Figure(scenario, "end to end (in runtime)", "ms"),
        "cpu_us_per_msg": Figure(scenario, "CPU per msg (runtime + child processes)", "µs", digits=1)
    }


async def function_heavy(runtimes: list[Runtime], opts: Options) -> list[Figure]:
    """split → 10 × function → join: hops/s (target ≥ 2×) and peak RSS (target ≤ 0.5×)."""
    figures = _common("function-heavy", 2.0)
    figures["peak_rss"] = Figure("function-heavy", "peak RSS", "MiB", digits=1, target=Target("<=", 0.5))
    return await _runs("function-heavy", runtimes, opts, figures)


async def python_function(runtimes: list[Runtime], opts: Options) -> list[Figure]:
    """FlowRed's 10 × python-function against Node-RED's 10 × function: hops/s (target ≥ 4×)."""
    figures = _common("python-function", 4.0)
    figures["peak_rss_tree"] = Figure("python-function", "peak RSS, runtime + worker processes", "MiB", digits=1)
    return await _runs("python-function", runtimes, opts, figures, {"Node-RED": "function-heavy"})


async def mixed(runtimes: list[Runtime], opts: Options) -> list[Figure]:
    """switch → template → json → change (JSONata) → function → json → delay 0 → join:
    hops/s (target ≥ 2×)."""
    figures = _common("mixed", 2.0)
    figures["peak_rss"] = Figure("mixed", "peak RSS", "MiB", digits=1)
    return await _runs("mixed", runtimes, opts, figures)
