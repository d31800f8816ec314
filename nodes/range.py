"""The ``range`` node: maps a number from one range onto another.

As Node-RED's range node (nodes/core/function/16-range.js, 16-range.html).
"""
from __future__ import annotations

import math

from pydantic import field_validator

from flowred import (
    UNDEFINED,
    Node,
    NodeConfig,
    NodeError,
    PropertyError,
    TypedValueError,
    get_property,
    parse_path,
    register,
    set_property,
    to_number,
)
from flowred.fields import Bool, Number, OrDefault


class RangeConfig(NodeConfig):
    """Range node settings (Node-RED's defaults).

    ``minin``/``maxin``: the input range, ``minout``/``maxout``: the result range (Node-RED
    exports them as text; ``""`` is 0). ``action``: ``scale`` (linear map), ``clamp`` (limit
    the input to its range first), ``roll`` (wrap the input into its range first) or ``drop``
    (drop msgs outside the input range). ``round``: round the result to an integer.
    ``property``: the msg property read and written (default ``payload``).
    """

    minin: Number[float] = 0
    maxin: Number[float] = 0
    minout: Number[float] = 0
    maxout: Number[float] = 0
    action: str = "scale"
    round: Bool = False
    property: OrDefault[str] = "payload"

    @field_validator("property")
    @classmethod
    def _path(cls, v: str) -> str:
        try:
            parse_path(v[4:] if v.startswith("msg.") else v)
        except PropertyError as exc:
            raise ValueError(str(exc)) from None
        return v


def _divide(a: float, b: float) -> float:
    """JavaScript's ``a / b``: dividing by zero gives +-Infinity, or NaN for 0/0."""
    if b:
        return a / b
    if a != a or a == 0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _js_round(x: float) -> float | int:
    """JavaScript's ``Math.round``: halves go up; NaN and infinities stay."""
    return math.floor(x + 0.5) if math.isfinite(x) else x


@register("range", category="function", color="#E2D96E", inputs=1, outputs=1, icon="range.svg")
class RangeNode(Node):
    """Maps the number in ``msg.payload`` (or the configured property) linearly from the input
    range onto the result range, e.g. 0-1023 to 0-100. "Scale" maps any value, even outside
    the range; "limit" clamps the input to its range first (and, when rounding, keeps the
    result inside the result range); "wrap" wraps it into the range (modulo); "drop" drops
    msgs whose value is outside the input range. "Round" gives the nearest integer.

    A msg without the property is passed on unchanged. A value that is not a number (text that
    does not read as one, an object) is reported as ``Not a number: <value>`` with the msg
    (catch nodes get it) and the msg is dropped.
    """

    Config = RangeConfig

    def __init__(self, config: RangeConfig, flow) -> None:
        super().__init__(config, flow)
        prop = config.property
        self._keys = parse_path(prop[4:] if prop.startswith("msg.") else prop)
        self._action = config.action
        self._round = config.round
        self._minin, self._maxin = config.minin, config.maxin
        self._minout = config.minout
        self._span_in = config.maxin - config.minin
        self._span_out = config.maxout - config.minout
        lo, hi = sorted((config.minout, config.maxout))
        self._out_bounds = (math.ceil(lo), math.floor(hi))

    def on_input(self, msg: dict) -> None:
        value = get_property(msg, self._keys)
        if value is UNDEFINED:
            self.send(msg)
            return
        try:
            n = to_number(value)
        except TypedValueError:
            n = math.nan
        if n != n:
            raise NodeError(f"Not a number: {value}")
        action = self._action
        if action == "drop" and (n < self._minin or n > self._maxin):
            return
        if action == "clamp":
            n = min(max(n, self._minin), self._maxin)
        elif action == "roll":
            span = self._span_in
            n = math.fmod(math.fmod(n - self._minin, span) + span, span) + self._minin if span else math.nan
        result = _divide(n - self._minin, self._span_in) * self._span_out + self._minout
        if self._round:
            result = _js_round(result)
            if action == "clamp" and math.isfinite(result):
                result = min(max(result, self._out_bounds[0]), self._out_bounds[1])
        elif isinstance(result, float) and result.is_integer():
            result = int(result)
        set_property(msg, self._keys, result)
        self.send(msg)
