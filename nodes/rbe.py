"""The ``rbe`` node (palette name *filter*): passes a msg only when its value has changed
(report by exception), or moved by more, or less, than a band gap.

As Node-RED's filter node (nodes/core/function/rbe.js, rbe.html).
"""
from __future__ import annotations

import re
from copy import deepcopy
from typing import Any, Literal

from pydantic import ValidationInfo, field_validator

from flowred import UNDEFINED, Node, NodeConfig, get_property, parse_path, register
from flowred.fields import OrDefault
from flowred.jscompat import js_object_key, js_parse_float

__all__ = ["RbeConfig", "RbeNode"]

NO_TOPIC = "_no_topic"
_GAP = re.compile(r"^(\d*[.]*\d*|)(%|)$")  # the editor's validation of gap


def _path(expr: str) -> tuple:
    return parse_path(expr[4:] if expr.startswith("msg.") else expr)


class RbeConfig(NodeConfig):
    """Filter node settings (Node-RED's defaults).

    ``func``: ``rbe`` (block unless the value changes), ``rbei`` (the same, ignoring the first
    value), ``deadband``/``deadbandEq`` (block unless it changes by more than / at least
    ``gap``), ``narrowband``/``narrowbandEq`` (block if it changes by at least / more than
    ``gap``). ``gap``: a number, or a percentage of the previous value (``"10%"``).
    ``start``: the value narrowband compares the first msg with (else the first value).
    ``inout``: compare with the last value sent (``out``) or the last value received (``in``).
    ``property``: the msg property to watch; ``septopics``: keep one value per value of the
    ``topi`` msg property.
    """

    func: OrDefault[Literal["rbe", "rbei", "deadband", "deadbandEq", "narrowband", "narrowbandEq"]] = "rbe"
    gap: str = ""
    start: str = ""
    inout: OrDefault[str] = "out"
    septopics: Any = True
    property: str = "payload"
    topi: str = "topic"

    @field_validator("gap", mode="before")
    @classmethod
    def _gap(cls, v: Any) -> Any:
        v = "" if v is None else str(v).strip()
        if not _GAP.match(v):
            raise ValueError(f'gap must be a number or a percentage such as "10%", not {v!r}')
        return v

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> Any:
        v = "" if v is None else str(v).strip()
        if v and js_parse_float(v) is None:
            raise ValueError(f"start must be a number, not {v!r}")
        return v

    @field_validator("property", "topi", mode="before")
    @classmethod
    def _prop(cls, v: Any, info: ValidationInfo) -> str:
        v = v or ("payload" if info.field_name == "property" else "topic")
        _path(v)
        return v


@register("rbe", category="function", color="#E2D96E", inputs=1, outputs=1, icon="rbe.png", label="filter")
class RbeNode(Node):
    """Report by Exception: passes a msg on only if its value (``msg.payload`` or the chosen
    property) has changed, or, for numbers, moved more (deadband) or less (narrowband) than the
    band gap from the last value. Objects and arrays are compared deeply.

    Values are kept per ``msg.topic`` (or the chosen property) when *apply mode separately for
    each topic* is on. A msg with ``msg.reset`` clears the kept value of its topic (all of them
    when it has no topic). A msg without the property is ignored; in the band modes a value
    that is not a number is ignored with the warning "no number found in payload".
    """

    Config = RbeConfig

    def __init__(self, config: RbeConfig, flow) -> None:
        super().__init__(config, flow)
        self.func = config.func
        self.compare = config.func in ("rbe", "rbei")
        self.ignore_first = config.func == "rbei"
        self.narrow = config.func in ("narrowband", "narrowbandEq")
        self.send_equal = config.func in ("deadbandEq", "narrowband")
        self.send_above = config.func in ("deadband", "deadbandEq")
        self.percent = config.gap.endswith("%")
        self.gap = js_parse_float(config.gap) or 0.0
        self.start_value = js_parse_float(config.start) if config.start else None
        self.on_out = config.inout == "out"
        self.on_in = config.inout == "in"
        self.by_topic = config.septopics is not False
        self.property = _path(config.property)
        self.topi = _path(config.topi)
        self.previous: dict[str, Any] = {}

    def on_input(self, msg: dict) -> None:
        topic = get_property(msg, self.topi)
        if "reset" in msg:
            if self.by_topic and isinstance(topic, str) and topic:
                self.previous.pop(topic, None)
            else:
                self.previous.clear()
        value = get_property(msg, self.property)
        if value is UNDEFINED:
            return
        t = js_object_key(topic, NO_TOPIC) if self.by_topic else NO_TOPIC
        if self.compare:
            self._changed(msg, value, t)
        else:
            self._band(msg, value, t)

    def _changed(self, msg: dict, value: Any, t: str) -> None:
        previous = self.previous
        send = not self.ignore_first or t in previous
        if _is_object(value):
            if not _is_object(previous.get(t, UNDEFINED)):
                previous[t] = {}
            if not _same(value, previous[t]):
                previous[t] = deepcopy(value)
                if send:
                    self.send(msg)
        elif not _same(value, previous.get(t, UNDEFINED)):
            previous[t] = value
            if send:
                self.send(msg)

    def _band(self, msg: dict, value: Any, t: str) -> None:
        n = js_parse_float(value)
        if n is None:
            self.warn("no number found in payload")
            return
        prev = self.previous.get(t)
        if prev is None and self.narrow:
            prev = n if self.start_value is None else self.start_value
        if self.percent:
            gap = abs(prev * self.gap / 100) if prev is not None else 0.0
        else:
            gap = self.gap
        if prev is None:
            prev = n - gap - 1
        diff = abs(n - prev)
        if self.send_equal if diff == gap else self.send_above if diff > gap else (diff < gap and self.narrow):
            if self.on_out:
                prev = n
            self.send(msg)
        self.previous[t] = n if self.on_in else prev


def _is_object(value: Any) -> bool:
    """JavaScript ``typeof value === "object"``: objects, arrays, buffers and null."""
    return value is None or isinstance(value, (dict, list, bytes, bytearray))


def _same(a: Any, b: Any) -> bool:
    """Node-RED's ``compareObjects`` (deep, key order ignored) and ``===`` for other values:
    ``1`` equals ``1.0`` but not ``true`` or ``"1"``."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b
