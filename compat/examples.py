"""The flows to compare: Node-RED's shipped examples, and what to do with each flow.

A plan lists, from the flow JSON alone, the injects in file order, the ``http in`` routes, the
collection window and whether the flow must run on one runtime at a time (fixed TCP/UDP ports,
files in /tmp). The flow is prepared as the editor's import does: nodes whose tab is not in the
file are put on one tab; ``localhost:1880`` (the examples call their own runtime) points at the
runtime's own loopback port.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Plan", "plan", "prepare", "shipped_examples", "EXAMPLES_TAB"]

EXAMPLES_TAB = "compat-tab"
EXCLUSIVE_TYPES = {"tcp in", "tcp out", "tcp request", "udp in", "udp out", "file", "file in", "watch"}
"""Types that use fixed ports or /tmp files: such a flow runs on one runtime at a time."""
CONTAINERS = {"tab", "subflow"}
BASE_WINDOW = 2.5  # seconds of collection after the last action
MAX_WINDOW = 12.0
UNIT_SECONDS = {"milliseconds": 0.001, "ms": 0.001, "seconds": 1, "s": 1, "second": 1,
                "minutes": 60, "min": 60, "minute": 60, "hours": 3600, "hr": 3600, "hour": 3600,
                "days": 86400, "day": 86400}


@dataclass
class Plan:
    """What the harness does with one flow.

    ``injects``: inject node ids in file order. ``routes``: ``(method, path, upload)`` of each
    ``http in`` node. ``window``: seconds to collect after the last action. ``timed``: the
    flow's output depends on time (repeat injects, delays, triggers, time batches, spawned
    commands), so streams are compared as sequences on their common prefix (compare.py).
    ``exclusive``: run on one runtime at a time. ``node_ids``: ids of the flow's nodes.
    """

    injects: list[str] = field(default_factory=list)
    routes: list[tuple[str, str, bool]] = field(default_factory=list)
    window: float = BASE_WINDOW
    timed: bool = False
    exclusive: bool = False
    node_ids: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)


def shipped_examples(node_red_root: Path) -> list[Path]:
    """Every ``@node-red/nodes/examples/**/*.json`` of an installed Node-RED, sorted."""
    base = node_red_root / "node_modules" / "@node-red" / "nodes" / "examples"
    return sorted(base.rglob("*.json"))


def _seconds(value: Any, unit: Any) -> float:
    try:
        return float(value) * UNIT_SECONDS.get(str(unit or "seconds"), 1)
    except (TypeError, ValueError):
        return 0.0


def plan(flows: list[dict]) -> Plan:
    """The plan for a flow (a list of node dicts, as exported)."""
    p = Plan()
    longest = 0.0
    for n in flows:
        t = n.get("type", "")
        p.node_ids.add(n.get("id", ""))
        p.labels[n.get("id", "")] = f"{t}:{n.get('name') or n.get('id')}"
        if t == "inject":
            p.injects.append(n["id"])
            if str(n.get("repeat") or "").strip() or str(n.get("crontab") or "").strip():
                p.timed = True
                longest = max(longest, _seconds(n.get("repeat") or 0, "s"))
        elif t == "http in":
            p.routes.append((str(n.get("method") or "get").upper(), str(n.get("url") or "/"),
                             bool(n.get("upload"))))
        elif t == "delay":
            p.timed = True
            longest = max(longest, _seconds(n.get("timeout"), n.get("timeoutUnits"))
                          if n.get("pauseType", "delay").startswith("delay")
                          else _seconds(n.get("nbRateUnits") or 1, n.get("rateUnits")))
        elif t == "trigger":
            p.timed = True
            longest = max(longest, _seconds(n.get("duration"), n.get("units")))
        elif t == "batch" and n.get("mode") == "interval":
            p.timed = True
            longest = max(longest, _seconds(n.get("interval"), "s"))
        elif t == "exec" and n.get("useSpawn") in (True, "true"):
            p.timed = True
        if t in EXCLUSIVE_TYPES:
            p.exclusive = True
    p.window = min(MAX_WINDOW, max(BASE_WINDOW, longest + 2.0 if p.timed else BASE_WINDOW))
    return p


def prepare(flows: list[dict], port: int) -> list[dict]:
    """A copy of ``flows`` ready to deploy on a runtime listening on ``port``: nodes on a tab
    that is not in the file go to one added tab (as the editor's import); ``localhost:1880``
    and ``127.0.0.1:1880`` in any string become ``127.0.0.1:<port>``."""
    text = json.dumps(flows)
    for host in ("localhost:1880", "127.0.0.1:1880"):
        text = text.replace(host, f"127.0.0.1:{port}")
    nodes = json.loads(text)
    containers = {n["id"] for n in nodes if n.get("type") in CONTAINERS}
    moved = False
    for n in nodes:
        if n.get("type") in CONTAINERS:
            continue
        z = n.get("z")
        if z and z not in containers:
            n["z"] = EXAMPLES_TAB
            moved = True
        elif z is None and "wires" in n:
            n["z"] = EXAMPLES_TAB
            moved = True
    if moved:
        nodes.insert(0, {"id": EXAMPLES_TAB, "type": "tab", "label": "Example", "disabled": False, "info": ""})
    return nodes
