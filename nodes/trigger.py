"""The ``trigger`` node: sends a msg, then optionally a second one later unless extended or reset.

As Node-RED's trigger node (nodes/core/function/89-trigger.js, 89-trigger.html), with pystache
in place of mustache.js for templated string values.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable

from pydantic import ValidationInfo, field_validator
from pystache.context import ContextStack, KeyNotFoundError
from pystache.parser import ParsingError, parse
from pystache.renderengine import RenderEngine

from flowred import Node, NodeConfig, clone_message, evaluate_value, get_property, parse_path, register, to_number
from flowred.fields import EmptyDefault, Flag
from flowred.jscompat import js_object_key, js_parse_float, js_to_string, js_truthy

__all__ = ["TriggerConfig", "TriggerNode"]

UNITS_MS = {"ms": 1, "s": 1000, "min": 60_000, "hr": 3_600_000}
VALUE_TYPES = {"str", "num", "bool", "json", "bin", "date", "env", "flow", "global", "msg", "jsonata", "re",
               "null", "pay", "payl", "nul"}
NO_TOPIC = "_none"
BLOCKED = "blocked"  # a topic triggered with no timer: waits for a reset

_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
                               "/": "&#x2F;", "`": "&#x60;", "=": "&#x3D;"})


class TriggerConfig(NodeConfig):
    """Trigger node settings (Node-RED's defaults).

    ``op1``/``op1type``: the payload of the first msg; ``op2``/``op2type`` of the second.
    Types: ``str`` (mustache when it holds ``{{``), ``num``, ``bool``, ``json``, ``bin``,
    ``date``, ``env``, ``flow``, ``global``; ``pay`` (the msg's own payload; for the second msg:
    the payload of the msg that triggered), ``payl`` (second msg: the latest msg received),
    ``nul`` (send nothing); legacy ``val`` (``true``/``false``/``null`` or text).
    ``duration`` in ``units`` (``ms``, ``s``, ``min``, ``hr``): 0 waits for a reset; negative
    resends the first msg every ``-duration``. ``extend``: each new msg restarts the timer.
    ``overrideDelay``: ``msg.delay`` (ms) sets the time. ``reset``: a payload that resets.
    ``bytopic``: ``all``, or ``topic`` to treat each value of the ``topic`` msg property on its
    own. ``outputs``: 2 sends the second msg on a second output.
    """

    op1: Any = "1"
    op2: Any = "0"
    op1type: str = "val"
    op2type: str = "val"
    duration: float = 250
    extend: Flag = False
    overrideDelay: Flag = False
    units: EmptyDefault[str] = "ms"
    reset: EmptyDefault[str] = ""
    bytopic: EmptyDefault[str] = "all"
    topic: str = "topic"
    outputs: EmptyDefault[int] = 1

    @field_validator("op1", mode="before")
    @classmethod
    def _op1(cls, v: Any) -> Any:
        return v if js_truthy(v) else "1"

    @field_validator("op2", mode="before")
    @classmethod
    def _op2(cls, v: Any) -> Any:
        return v if js_truthy(v) else "0"

    @field_validator("op1type", "op2type", mode="before")
    @classmethod
    def _op_type(cls, v: Any) -> str:
        v = v or "str"
        if v != "val" and v not in VALUE_TYPES:
            raise ValueError(f"unknown value type {v!r}")
        return v

    @field_validator("op1type", "op2type")
    @classmethod
    def _op_value(cls, v: str, info: ValidationInfo) -> str:
        vtype, value = _legacy_type(v, info.data.get(info.field_name[:3]))
        if vtype == "num":
            to_number(value)
        elif vtype == "str" and isinstance(value, str) and "{{" in value:
            compile_template(value)
        return v

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        n = js_parse_float(v)
        return 250 if n is None else n

    @field_validator("topic", mode="before")
    @classmethod
    def _topic(cls, v: Any) -> str:
        v = v or "topic"
        parse_path(v[4:] if v.startswith("msg.") else v)
        return v


class _Topic:
    """One triggered stream: its timer (or BLOCKED), the second payload, the msg it repeats."""

    __slots__ = ("timer", "m2", "msg")

    def __init__(self) -> None:
        self.timer: asyncio.TimerHandle | str | None = None
        self.m2: Any = None
        self.msg: dict | None = None


@register("trigger", category="function", color="#E6E0F8", inputs=1, outputs=1, icon="trigger.svg")
class TriggerNode(Node):
    """When triggered, sends a msg, and then optionally a second msg, unless extended or reset.

    By default a msg makes the node send a msg with ``payload`` ``"1"``, then 250 ms later a
    second with ``payload`` ``"0"``; msgs arriving meanwhile are ignored (or, with *extend*,
    restart the wait). Either payload may be a typed value, the msg's own payload, or nothing
    (a first payload of *nothing* plus *extend* makes a watchdog). A string value may use
    mustache (``{{payload}}``). With a negative duration the first msg is resent at that
    interval; with 0 the node waits for a reset. The second msg is a copy of the triggering
    msg with the second payload, on output 2 when the node has two outputs.

    Input: ``msg.reset``, or a ``payload`` equal to the *reset* value, cancels what is pending
    and sends nothing; ``msg.delay`` (ms) sets the wait when *override delay* is on. With *for
    each msg.topic* every topic value is triggered on its own. The status shows a blue dot
    while something is pending (with the count when several topics are). A value that does
    not evaluate (bad JSON, a ``bin`` that is not bytes) is an error with the msg.
    """

    Config = TriggerConfig

    def __init__(self, config: TriggerConfig, flow) -> None:
        super().__init__(config, flow)
        self._mustache = RenderEngine(literal=str, escape=lambda s: s.translate(_HTML_ESCAPES),
                                      resolve_context=_lookup, resolve_partial=lambda name: "",
                                      to_str=_mustache_text)
        self.op1type, op1 = _legacy_type(config.op1type, config.op1)
        self.op2type, op2 = _legacy_type(config.op2type, config.op2)
        self._op1 = self._value_of(self.op1type, op1)
        self._op2 = self._value_of(self.op2type, op2)
        self._op2_late = self.op2type in ("flow", "global")  # read again when the second msg goes
        duration = config.duration
        self.loop = duration < 0
        self.extend = config.extend and not self.loop
        self.duration = abs(duration) * UNITS_MS.get(config.units, 1)
        self.override = config.overrideDelay
        self.reset_value = config.reset
        self.by_topic = config.bytopic != "all"
        topic = config.topic
        self.topic_path = parse_path(topic[4:] if topic.startswith("msg.") else topic)
        self.second_output = str(config.outputs) == "2"
        self.topics: dict[str, _Topic] = {}
        self.latest: dict[str, dict] = {}  # op2type "payl": the latest msg of each topic

    def _value_of(self, vtype: str, value: Any) -> Callable[[dict], Any] | None:
        """How a payload is made from the msg; None for ``pay``, ``payl`` and ``nul``."""
        if vtype in ("pay", "payl", "nul"):
            return None
        if vtype == "null":
            return lambda msg: None
        if vtype == "str" and isinstance(value, str) and "{{" in value:
            template = compile_template(value)
            return lambda msg: template.render(self._mustache, ContextStack(msg))
        if vtype in ("str", "num", "bool"):
            constant = to_number(value) if vtype == "num" else evaluate_value(value, vtype, self, None)
            return lambda msg: constant
        return lambda msg: evaluate_value(value, vtype, self, msg)

    async def close(self, removed: bool) -> None:
        for state in self.topics.values():
            _cancel(state)
        self.topics.clear()
        self.status({})

    def on_input(self, msg: dict) -> None:
        topic = js_object_key(get_property(msg, self.topic_path), NO_TOPIC) if self.by_topic else NO_TOPIC
        state = self.topics.get(topic)
        if "reset" in msg or (self.reset_value != "" and self._is_reset_payload(msg)):
            if state is not None:
                _cancel(state)
                del self.topics[topic]
            self.status(self._stat())
            return
        delay = self.duration
        if self.override and "delay" in msg:
            given = js_parse_float(msg["delay"])
            if given is not None:
                delay = given
        if self.op2type == "payl":
            self.latest[topic] = clone_message(msg)
        if state is None or self.loop:
            self._trigger(msg, topic, state, delay)
        elif self.extend and delay > 0:
            if self.op2type == "payl":
                state.m2 = clone_message({"p": msg.get("payload")})["p"]
            _cancel(state)
            state.timer = asyncio.get_running_loop().call_later(delay / 1000, self._extended_end, topic, msg)

    def _is_reset_payload(self, msg: dict) -> bool:
        payload = msg.get("payload")
        return "payload" in msg and payload is not None and js_to_string(payload) == self.reset_value

    def _trigger(self, msg: dict, topic: str, state: _Topic | None, delay: float) -> None:
        """First msg of a trigger (or of each repeat cycle): evaluate both payloads, start the
        timer, send the first msg."""
        m2 = None
        if self.op2type == "pay":
            m2 = clone_message({"p": msg.get("payload")})["p"]
        elif self._op2 is not None:
            m2 = self._op2(msg)
        if self._op1 is not None:
            msg["payload"] = self._op1(msg)
        if state is None:
            state = self.topics[topic] = _Topic()
        state.m2 = m2
        loop = asyncio.get_running_loop()
        if delay == 0:
            _cancel(state)
            state.timer = BLOCKED
        elif self.loop:
            _cancel(state)
            if self.op1type != "nul":
                state.msg = clone_message(msg)
                state.timer = loop.call_later(delay / 1000, self._repeat, state, delay)
        else:
            keep = self.op2type not in ("nul", "payl")
            state.timer = loop.call_later(delay / 1000, self._end, topic, clone_message(msg) if keep else None)
        self.status(self._stat())
        if self.op1type != "nul":
            self.send(msg)

    def _repeat(self, state: _Topic, delay: float) -> None:
        state.timer = asyncio.get_running_loop().call_later(delay / 1000, self._repeat, state, delay)
        self.send(clone_message(state.msg))

    def _end(self, topic: str, msg: dict | None) -> None:
        """The wait after a trigger is over: send the second msg."""
        state = self.topics.pop(topic)
        out = None
        if self.op2type == "payl":
            out = self.latest.pop(topic, None)
        elif msg is not None:
            out = self._second(msg, state)
        self.status(self._stat())
        self._send_second(out)

    def _extended_end(self, topic: str, msg: dict) -> None:
        """The wait restarted by the latest msg is over: send the second msg made from it."""
        state = self.topics.pop(topic)
        out = None
        if self.op2type == "payl":
            out = clone_message(msg)
            out["payload"] = state.m2
            self.latest.pop(topic, None)
        elif self.op2type != "nul":
            out = self._second(clone_message(msg), state)
        self.status(self._stat())
        self._send_second(out)

    def _second(self, msg: dict, state: _Topic) -> dict | None:
        if self._op2_late:
            try:
                state.m2 = self._op2(msg)
            except ValueError as exc:
                self.error(exc)
                return None
        msg["payload"] = state.m2
        return msg

    def _send_second(self, msg: dict | None) -> None:
        if msg is not None:
            self.send([None, msg] if self.second_output else msg)

    def _stat(self) -> dict:
        n = len(self.topics)
        if n == 0:
            return {}
        if n == 1:
            return {"fill": "blue", "shape": "dot"}
        return {"fill": "blue", "shape": "dot", "text": n}


def compile_template(text: str) -> Any:
    """Parse a mustache template once; ValueError when it does not parse."""
    try:
        return parse(text, raise_on_mismatch=True)
    except ParsingError as exc:
        raise ValueError(f"invalid mustache template {text!r}: {exc}") from None


def _legacy_type(vtype: str, value: Any) -> tuple[str, Any]:
    """Node-RED's old ``val`` type: ``true``/``false`` are booleans, ``null`` is null, else text."""
    if vtype != "val":
        return vtype, value
    if value in ("true", "false"):
        return "bool", value
    if value == "null":
        return "null", None
    return "str", value


def _mustache_text(value: Any) -> str:
    """A tag's value as mustache.js writes it: null as nothing, else ``String(value)``."""
    return "" if value is None else js_to_string(value)


def _lookup(stack: ContextStack, name: str) -> Any:
    try:
        return stack.get(name)
    except KeyNotFoundError:
        return ""


def _cancel(state: _Topic) -> None:
    if isinstance(state.timer, asyncio.TimerHandle):
        state.timer.cancel()
    state.timer = None
