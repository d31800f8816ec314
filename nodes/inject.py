"""The ``inject`` node: starts a flow by hand, once after deploy, on an interval or on a crontab.

As Node-RED's inject node (nodes/core/common/20-inject.js, 20-inject.html).
"""
from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

from pydantic import field_validator, model_validator

from flowred import (
    Node,
    NodeConfig,
    NodeError,
    PropertyError,
    TypedValue,
    TypedValueError,
    admin_route,
    evaluate_value,
    register,
    set_msg_property,
    to_number,
)
from flowred.fields import EmptyDefault

MAX_REPEAT = 2147483  # seconds; Node-RED refuses longer intervals ("Interval too large")


class InjectConfig(NodeConfig):
    """Inject node settings (Node-RED's defaults).

    ``props``: the msg properties to set, each ``{p, v, vt}``; without ``props`` the legacy
    ``payload``/``payloadType``/``topic`` fields are used. ``repeat``: interval in seconds
    ("" = none, at most 2147483). ``crontab``: Node-RED's crontab (5 fields, or 6 with seconds
    first), local time; ``repeat`` wins when both are set. ``once``: fire ``onceDelay`` seconds
    after deploy (default 0.1).
    """

    props: list[TypedValue] | None = None
    repeat: str = ""
    crontab: str = ""
    once: bool = False
    onceDelay: EmptyDefault[float] = 0.1
    topic: str = ""
    payload: Any = ""
    payloadType: str = "date"

    @model_validator(mode="before")
    @classmethod
    def _legacy_fields(cls, data: Any) -> Any:
        """Rewrite the legacy fields into ``props``, as 20-inject.js does before anything else:
        no ``props`` list means ``payload``/``payloadType`` and ``topic`` (str); a payload entry
        without ``v`` takes ``payload``/``payloadType``, a str topic entry without ``v`` takes
        ``topic``. Each entry's type then as Node-RED evaluates it (see ``_legacy_entry``)."""
        if not isinstance(data, dict):
            return data
        payload, payload_type = data.get("payload", ""), data.get("payloadType")
        props = data.get("props")
        if not isinstance(props, list):
            props = [{"p": "payload", "v": payload, "vt": payload_type},
                     {"p": "topic", "v": data.get("topic", ""), "vt": "str"}]
        else:
            props = [dict(e) if isinstance(e, dict) else e for e in props]
            for e in props:
                if not isinstance(e, dict):
                    continue
                if e.get("p") == "payload" and "v" not in e:
                    e["v"], e["vt"] = payload, payload_type
                elif e.get("p") == "topic" and e.get("vt") == "str" and "v" not in e:
                    e["v"] = data.get("topic", "")
        return {**data, "props": [_legacy_entry(e) if isinstance(e, dict) else e for e in props]}

    @field_validator("repeat", mode="before")
    @classmethod
    def _repeat(cls, v: Any) -> str:
        if v is None or v == "":
            return ""
        try:
            seconds = to_number(v)
        except TypedValueError:
            raise ValueError(f"repeat must be a number of seconds, got {v!r}") from None
        if seconds < 0:
            raise ValueError("repeat must not be negative")
        if seconds > MAX_REPEAT:
            raise ValueError(f"Interval too large: {seconds} s (at most {MAX_REPEAT} s)")
        return str(v)

    @field_validator("crontab")
    @classmethod
    def _crontab(cls, v: str) -> str:
        v = v.strip()
        if v and not _cron_valid(v):
            raise ValueError(f"invalid crontab {v!r}")
        return v

    @field_validator("payloadType", mode="before")
    @classmethod
    def _payload_type(cls, v: Any) -> Any:
        return "str" if v is None else v


def _cron(expr: str) -> Any:
    """A croniter for ``expr`` from now (6 fields: seconds first). Raises ValueError/KeyError.
    croniter is imported with the first crontab, not at startup."""
    from croniter import croniter
    return croniter(expr, datetime.now(), second_at_beginning=len(expr.split()) == 6)


def _cron_valid(expr: str) -> bool:
    try:
        _cron(expr)
        return True
    except (ValueError, KeyError):
        return False


@register("inject", category="common", color="#a6bbcf", inputs=0, outputs=1, icon="inject.svg")
class InjectNode(Node):
    """Injects a msg into the flow: by its button (``POST /inject/<id>``), ``once`` after each
    deploy, every ``repeat`` seconds, or on a ``crontab``. Each property in ``props`` is set on
    the msg from its typed value; if any value is invalid (a ``num`` that is not a number, bad
    ``json``), nothing is sent and the node reports the error (catch nodes get it).

    In a cluster (``flowred run --cluster``) the ``once``, ``repeat`` and ``crontab`` fires
    happen on the leader only, so each fires once for the whole cluster; the button fires on
    the worker it is pressed on. A new leader does not repeat a ``once`` fire.
    """

    Config = InjectConfig

    def __init__(self, config: InjectConfig, flow) -> None:
        super().__init__(config, flow)
        self.props = _normalise_props(config)
        self._handles: list[asyncio.Handle] = []
        self._interval = to_number(config.repeat) if config.repeat else 0
        cluster = self.cluster()
        self._leads = cluster.leads if cluster is not None else None  # scheduled fires: leader only

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.config.once:
            self._handles.append(loop.call_later(max(self.config.onceDelay, 0), self._once))
        else:
            self._schedule()

    def _fire(self) -> None:
        if self._leads is None or self._leads():
            self.receive({})

    def _once(self) -> None:
        self._fire()
        self._schedule()

    def _schedule(self) -> None:
        if self._interval:
            self._next_repeat(time.monotonic())
        elif self.config.crontab:
            self._next_cron()

    def _next_repeat(self, due: float) -> None:
        # keep to the grid start + k*interval, so the interval does not drift
        due += self._interval
        loop = asyncio.get_running_loop()
        self._handles[:] = [loop.call_later(max(0.0, due - time.monotonic()), self._tick, due)]

    def _tick(self, due: float) -> None:
        self._fire()
        self._next_repeat(due)

    def _next_cron(self) -> None:
        expr = self.config.crontab
        nxt = _cron(expr).get_next(float)
        loop = asyncio.get_running_loop()
        self._handles[:] = [loop.call_later(max(0.0, nxt - time.time()), self._cron_fire)]

    def _cron_fire(self) -> None:
        self._fire()
        self._next_cron()

    async def close(self, removed: bool) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    def on_input(self, msg: dict) -> None:
        props = msg.pop("__user_inject_props__", None)
        props = _normalise_entries(props) if isinstance(props, list) else self.props
        errors = []
        for p, v, vt in props:
            try:
                set_msg_property(msg, p, evaluate_value(v, vt, self, msg))
            except (TypedValueError, PropertyError, ValueError) as exc:
                errors.append(f"{p}: {exc}")
        if errors:
            raise NodeError("; ".join(errors))
        self.send(msg)


EVALUATED_TYPES = frozenset({"str", "num", "bool", "json", "bin", "date", "env", "flow", "global", "msg",
                             "re", "jsonata"})
"""The value types RED.util.evaluateNodeProperty evaluates; any other type leaves the value as it is."""


def _legacy_entry(entry: dict) -> dict:
    """A props entry as 20-inject.js evaluates it: ``v`` absent or null is ``""``; ``vt`` absent
    or null is ``str``; a type Node-RED does not evaluate (older exports: ``string``, ``none``,
    ...) leaves the value unchanged, so it becomes that value as ``str`` text or as ``json``."""
    v, vt = entry.get("v"), entry.get("vt")
    v = "" if v is None else v
    if vt is None:
        vt = "str"
    elif vt not in EVALUATED_TYPES:
        vt, v = ("str", v) if isinstance(v, str) else ("json", json.dumps(v))
    return {**entry, "v": v, "vt": vt}


def _normalise_props(cfg: InjectConfig) -> list[tuple[str, Any, str]]:
    """``(p, v, vt)`` of each prop; the legacy fields are already in ``props`` (``_legacy_fields``)."""
    return [(prop.p, "" if prop.v is None else prop.v, prop.vt or "str") for prop in cfg.props or ()]


def _normalise_entries(entries: list) -> list[tuple[str, Any, str]]:
    out = []
    for e in entries:
        if isinstance(e, dict) and e.get("p"):
            e = _legacy_entry(e)
            out.append((e["p"], e["v"], e["vt"]))
    return out


@admin_route("POST", "/inject/{id}", permission="inject.write")
async def inject_endpoint(runtime, params: dict, body: Any) -> tuple[int, Any]:
    """``POST /inject/:id``: 200 ``OK``; 404 for an unknown, disabled or non-inject node.
    A JSON body is the msg to start from; its ``__user_inject_props__`` replace the node's
    props for this one injection (Node-RED's editor uses that for "inject now with")."""
    node = runtime.get_node(params["id"])
    if node is None or node.type != "inject":
        return 404, "Not Found"
    node.receive(dict(body) if isinstance(body, dict) else {})
    return 200, "OK"
