"""Running one flow on one side and turning what it showed into comparable streams.

A stream is a named list of entries in arrival order: ``deploy`` and ``inject <node>`` (the
Admin API's answers), ``debug <node>`` (each debug sidebar message: format, property, topic,
level and value), ``status <node>`` (fill, shape, text; a repeat of the same status is one
entry), ``notification <topic>``, ``log [type:name]`` (a node's console lines after the
deploy, without their time stamp; nodes logging at the same time interleave differently, so
each node's lines are one stream) and ``log`` (the runtime's own lines) and ``http <METHOD path>``
(status, content type, cookie names, body). Each entry keeps its raw form for the report next to
the normalised form that is compared.
"""
from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from .examples import Plan, prepare
from .normalise import Normaliser
from .side import Side

__all__ = ["Entry", "Observation", "run_flow"]

LOG_PREFIX = re.compile(r"^\d{1,2} \w{3} \d\d:\d\d:\d\d - ")
NODE_TAG = re.compile(r"^\[\w+\] \[([^\]]+)\] ")
SETTLE = 0.6  # seconds after the deploy before the first inject (once-injects fire at 0.1 s)
GAP = 0.3  # seconds between two actions, so their effects come in a known order
UNDEPLOY_WAIT = 0.3  # seconds after deploying an empty flow, for sockets to close
ROUTE_PARAM = "Nick"
POST_BODY = "Hello, World!"


@dataclass(frozen=True)
class Entry:
    """One thing a user sees: ``norm`` is compared, ``raw`` is shown."""

    norm: Any
    raw: Any


Observation = dict[str, list[Entry]]


def _route_path(url: str) -> str:
    path = "/".join(ROUTE_PARAM if part.startswith(":") else part for part in url.split("/"))
    return path if path.startswith("/") else "/" + path


def _request_kwargs(method: str, upload: bool) -> dict:
    if method not in ("POST", "PUT", "PATCH"):
        return {}
    if upload:
        form = aiohttp.FormData()
        form.add_field("myFile", b"Hello, World!\n", filename="hello.txt", content_type="text/plain")
        return {"data": form}
    return {"data": POST_BODY.encode(), "headers": {"Content-Type": "text/plain"}}


async def act(side: Side, flows: list[dict], plan: Plan) -> tuple[Any, dict[str, list]]:
    """Deploy, fire the injects, call the routes, wait out the window. Returns the mark where
    this flow's frames and lines start, and the Admin/HTTP answers by stream name."""
    mark = side.mark()
    answers: dict[str, list] = {}
    answers["deploy"] = [(await side.deploy(prepare(flows, side.port)))[0]]
    await asyncio.sleep(SETTLE)
    for node_id in plan.injects:
        answers[f"inject {plan.labels.get(node_id, node_id)}"] = [(await side.inject(node_id))[0]]
        await asyncio.sleep(GAP)
    for method, url, upload in plan.routes:
        path = _route_path(url)
        answers.setdefault(f"http {method} {path}", []).append(
            await side.http(method, path, **_request_kwargs(method, upload)))
        await asyncio.sleep(GAP)
    await asyncio.sleep(plan.window)
    return mark, answers


def _debug_entry(data: dict) -> dict:
    value = data.get("msg")
    fmt = str(data.get("format", ""))
    if isinstance(value, str) and fmt.startswith(("Object", "array")):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    entry = {"format": fmt, "property": data.get("property"), "topic": data.get("topic"), "msg": value}
    if "level" in data:
        entry["level"] = data["level"]
    return {k: v for k, v in entry.items() if v is not None}


def collect(side: Side, plan: Plan, mark, answers: dict[str, list]) -> Observation:
    """The streams of one flow's run on ``side`` (module docstring), normalised."""
    raw: dict[str, list] = dict(answers)
    for _, topic, data in side.frames[mark.frames:]:
        if topic == "debug" and isinstance(data, dict):
            label = plan.labels.get(data.get("id"), data.get("id"))
            raw.setdefault(f"debug {label}", []).append(_debug_entry(data))
        elif topic.startswith("status/"):
            node_id = topic.split("/", 1)[1]
            if node_id in plan.node_ids:
                stream = raw.setdefault(f"status {plan.labels.get(node_id, node_id)}", [])
                status = {k: v for k, v in (data or {}).items() if k in ("fill", "shape", "text")}
                if not stream or stream[-1] != status:
                    stream.append(status)
        elif topic.startswith("notification/"):
            raw.setdefault(f"notification {topic.split('/', 1)[1]}", []).append(data)
    lines = []
    for line in side.lines[mark.lines:]:
        if LOG_PREFIX.match(line):
            lines.append(LOG_PREFIX.sub("", line))
        elif lines and line.strip():
            lines[-1] += "\n" + line
    for line in lines:
        tag = NODE_TAG.match(line)
        raw.setdefault(f"log [{tag.group(1)}]" if tag else "log", []).append(line)
    norm = Normaliser(side.port)
    norm.collect_ids(raw)
    return {name: [Entry(norm.value(v), v) for v in values] for name, values in raw.items()}


async def run_flow(side: Side, flows: list[dict], plan: Plan) -> Observation:
    """Run ``flows`` on ``side`` as planned and return what it showed."""
    mark, answers = await act(side, flows, plan)
    observed = collect(side, plan, mark, answers)
    await side.deploy([])  # stop the flow: its ports, files and timers are free for the next run
    await asyncio.sleep(UNDEPLOY_WAIT)
    return observed
