"""The benchmark flows: Node-RED exports in ``benchmarks/flows/`` (importable into either
editor as they are) with their sizes set per run, and the generated startup flow.
"""
from __future__ import annotations

import json
from typing import Any

from .paths import FLOWS

__all__ = ["load", "throughput", "chain", "token_vending", "TOKEN_FLOWS", "debug_flood", "startup", "STARTUP_CHAIN",
           "STARTUP_FUNCTION_CHAIN", "CHAINS"]

STARTUP_CHAIN = ("inject", "change", "switch", "template", "json", "delay", "trigger", "rbe", "change", "debug")
"""The node types of one 10-node chain of the generated startup flow (core nodes of both runtimes)."""
STARTUP_FUNCTION_CHAIN = ("inject", "change", "function", "switch", "template", "json", "function", "delay", "rbe",
                          "debug")
"""The same chain with two function nodes (200 of 1,000 nodes) in place of the second change and the trigger."""

CHAINS = {"function-heavy": "fh", "python-function": "pf", "mixed": "mx"}
"""Chain flow files (split → nodes → join) and the id prefix of their nodes."""


def load(name: str) -> list[dict]:
    """A flow file of ``benchmarks/flows`` as a list of nodes."""
    return json.loads((FLOWS / f"{name}.json").read_text())


def _node(flow: list[dict], node_id: str) -> dict:
    return next(n for n in flow if n["id"] == node_id)


def throughput(n: int) -> list[dict]:
    """inject (an n-element array) → split → 10 × change → join (count n) → change → debug."""
    flow = load("throughput")
    _node(flow, "tp.inject")["payload"] = json.dumps(list(range(n)))
    _node(flow, "tp.join")["count"] = str(n)
    return flow


def chain(name: str, n: int) -> list[dict]:
    """The chain flow ``name`` of CHAINS with an n-element array to split and a join of n:
    ``function-heavy`` (10 × function ``msg.x = 1``), ``python-function`` (10 × python-function,
    the same code in Python), ``mixed`` (switch, template, json, change with JSONata, function,
    json, delay 0; its array holds objects ``{kind: a|b|c|d, value: i}``)."""
    flow = load(name)
    prefix = CHAINS[name]
    items = [{"kind": "abcd"[i % 4], "value": i} for i in range(n)] if name == "mixed" else list(range(n))
    _node(flow, f"{prefix}.inject")["payload"] = json.dumps(items)
    _node(flow, f"{prefix}.join")["count"] = str(n)
    return flow


TOKEN_FLOWS = {"openai": "token-openai", "chat": "chat-openai", "http-request": "token-http-request"}
"""The token-vending rows' flow files: the OpenAI API node's ``createRealtimeClientSecret`` and
``createChatCompletion``, and the ``http request`` node."""


def token_vending(kind: str, upstream: str, api_key: str) -> list[dict]:
    """http in → change → upstream POST → http response. ``kind``: ``http-request`` (the
    ``http request`` node POSTs to ``upstream``/realtime/client_secrets with ``api_key``),
    ``openai`` or ``chat`` (the OpenAI API node, ``createRealtimeClientSecret`` or
    ``createChatCompletion``; its Service Host reads OPENAI_BASE_URL/OPENAI_API_KEY, so the
    file serves FlowRed and Node-RED with the package as it is)."""
    flow = load(TOKEN_FLOWS[kind])
    if kind == "http-request":
        request = _node(flow, "tv.request")
        request["url"] = upstream.rstrip("/") + "/realtime/client_secrets"
        request["headers"][0]["valueValue"] = f"Bearer {api_key}"
    return flow


def debug_flood(batch: int) -> list[dict]:
    """inject (a ``batch``-element array) → split → debug, plus GET /bench/ping → http response."""
    flow = load("debug-flood")
    _node(flow, "fl.inject")["payload"] = json.dumps(list(range(batch)))
    return flow


def startup(nodes: int, chain: tuple[str, ...] = STARTUP_CHAIN) -> list[dict]:
    """``nodes`` nodes (a multiple of 10) in chains of ``chain`` (STARTUP_CHAIN or
    STARTUP_FUNCTION_CHAIN), 100 nodes per tab."""
    flow: list[dict] = []
    for c in range(nodes // len(chain)):
        tab = f"st.tab{c // 10}"
        if c % 10 == 0:
            flow.append({"id": tab, "type": "tab", "label": f"startup {c // 10}", "disabled": False, "info": ""})
        ids = [f"st.{c}.{i}" for i in range(len(chain))]
        for i, type_ in enumerate(chain):
            wires = [[ids[i + 1]]] if i + 1 < len(ids) else []
            node = {"id": ids[i], "type": type_, "z": tab, "name": "", "x": 100 + 120 * i,
                    "y": 60 + 60 * (c % 10), "wires": wires, **_startup_fields(type_, c)}
            if type_ == "switch":
                node["wires"] = [wires[0], wires[0]]
            flow.append(node)
    return flow


def _startup_fields(type_: str, c: int) -> dict[str, Any]:
    rules = {"t": "set", "p": "payload", "pt": "msg", "to": str(c), "tot": "num"}
    return {
        "inject": {"props": [{"p": "payload"}], "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1,
                   "topic": "", "payload": "", "payloadType": "date"},
        "change": {"rules": [rules], "action": "", "property": "", "from": "", "to": "", "reg": False},
        "switch": {"property": "payload", "propertyType": "msg", "checkall": "true", "repair": False,
                   "outputs": 2, "rules": [{"t": "gt", "v": "0", "vt": "num"}, {"t": "else"}]},
        "template": {"field": "payload", "fieldType": "msg", "format": "handlebars", "syntax": "mustache",
                     "template": "value {{payload}}", "output": "str"},
        "json": {"property": "payload", "action": "", "pretty": False},
        "delay": {"pauseType": "delay", "timeout": "1", "timeoutUnits": "seconds", "rate": "1", "nbRateUnits": "1",
                  "rateUnits": "second", "randomFirst": "1", "randomLast": "5", "randomUnits": "seconds",
                  "drop": False, "allowrate": False, "outputs": 1},
        "trigger": {"op1": "1", "op2": "0", "op1type": "str", "op2type": "str", "duration": "250", "extend": False,
                    "overrideDelay": False, "units": "ms", "reset": "", "bytopic": "all", "topic": "topic",
                    "outputs": 1},
        "rbe": {"func": "rbe", "gap": "", "start": "", "inout": "out", "septopics": True, "property": "payload",
                "topi": "topic"},
        "function": {"func": f"msg.payload = (msg.payload || 0) + {c};\nreturn msg;", "outputs": 1, "timeout": 0,
                     "noerr": 0, "initialize": "", "finalize": "", "libs": []},
        "debug": {"active": True, "tosidebar": True, "console": False, "tostatus": False, "complete": "false",
                  "targetType": "msg", "statusVal": "", "statusType": "auto"},
    }[type_]
