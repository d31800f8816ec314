"""The ``switch`` node: routes each msg to the outputs whose rules match a property's value.

As Node-RED's switch node (nodes/core/function/10-switch.js, 10-switch.html). Also holds the
JavaScript value semantics the switch and change nodes share: ``Number()``, ``String()``,
loose equality (``==``), relational comparison (``<``) and ``RegExp`` sources.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from flowred import (
    UNDEFINED,
    JsonataError,
    Node,
    NodeConfig,
    NodeError,
    PropertyError,
    TypedValueError,
    clone_message,
    compile_jsonata,
    evaluate_jsonata,
    evaluate_value,
    generate_id,
    parse_path,
    register,
)
from flowred.fields import Bool, EmptyDefault, Flag, OrDefault
from flowred.jscompat import (
    js_gt,
    js_gte,
    js_is_number,
    js_loose_equal,
    js_lt,
    js_lte,
    js_regex,
    js_to_number,
    js_to_string,
)
from flowred.nodes.switch_rules import property_reader, specialise

Operator = Literal["eq", "neq", "lt", "lte", "gt", "gte", "btwn", "cont", "regex", "true", "false", "null",
                   "nnull", "istype", "empty", "nempty", "head", "tail", "index", "hask", "jsonata_exp", "else"]


class SwitchRule(BaseModel):
    """One rule: operator ``t``, value ``v`` of type ``vt``, second value ``v2``/``v2t`` (for
    ``btwn`` and ``index``), ``case`` (ignore case, for ``regex``). A missing ``vt`` is ``num``
    when ``v`` reads as a number, else ``str`` (as Node-RED)."""

    model_config = ConfigDict(extra="allow")

    t: Operator
    v: Any = None
    vt: str | None = None
    v2: Any = None
    v2t: str | None = None
    case: Flag = False


class SwitchConfig(NodeConfig):
    """Switch node settings (Node-RED's defaults).

    ``property``/``propertyType`` (msg, flow, global, jsonata, env): the value tested.
    ``rules``: tested in order; rule i matches → output i. ``checkall``: ``"true"`` sends to
    every matching output, ``"false"`` stops at the first match. ``repair``: rebuild
    ``msg.parts`` of sequences per output. ``outputs``: the editor's output count.
    """

    property: str = "payload"
    propertyType: OrDefault[str] = "msg"
    rules: OrDefault[list[SwitchRule]] = []
    checkall: str = "true"
    repair: Bool = False
    outputs: EmptyDefault[int] = 1

    @field_validator("checkall", mode="before")
    @classmethod
    def _checkall(cls, v: Any) -> str:
        # Node-RED compares ``checkall == "false"``: only that text stops at the first match
        return v if isinstance(v, str) and v else "true"


_SEQUENCE_OPS = {"head", "tail", "index"}


def _has_own(obj: Any, key: str) -> bool:
    """JavaScript's ``obj.hasOwnProperty(key)`` for msg values."""
    if isinstance(obj, dict):
        return key in obj
    if isinstance(obj, (list, str, bytes, bytearray)):
        if key == "length":
            return not isinstance(obj, (bytes, bytearray))
        return key.isdigit() and str(int(key)) == key and int(key) < len(obj)
    return False


def _is_json(a: Any) -> bool:
    """``JSON.parse(a)`` succeeds (the value is first turned into text, as JavaScript does)."""
    if a is UNDEFINED:
        return False
    try:
        json.loads(js_to_string(a), parse_constant=_reject)
    except ValueError:
        return False
    return True


def _reject(name: str) -> Any:
    raise ValueError(name)


def _is_type(a: Any, b: Any) -> bool:
    if b == "array":
        return isinstance(a, list)
    if b == "buffer":
        return isinstance(a, (bytes, bytearray))
    if b == "json":
        return _is_json(a)
    if b == "null":
        return a is None
    if b == "string":
        return isinstance(a, str)
    if b == "number":
        return js_is_number(a)
    if b == "boolean":
        return isinstance(a, bool)
    if b == "undefined":
        return a is UNDEFINED
    if b == "object":
        return a is not None and a is not UNDEFINED and not isinstance(a, (str, int, float, list, bytes, bytearray))
    return False


def _empty(a: Any) -> bool | None:
    """True/False for values that have a length or keys, None for the rest."""
    if isinstance(a, (str, list, bytes, bytearray, dict)):
        return len(a) == 0
    return None


def _parts(msg: dict) -> dict:
    parts = msg.get("parts")
    if not isinstance(parts, dict):
        raise NodeError("msg.parts is missing: head, tail and index rules need a msg sequence")
    return parts


def _regex_match(a: Any, b: Any, case: bool) -> bool:
    return js_regex(js_to_string(b), "i" if case else "").search(js_to_string(a)) is not None


OPERATORS: dict[str, Callable[[Any, Any, Any, bool, dict], bool]] = {
    "eq": lambda a, b, c, case, msg: js_loose_equal(a, b),
    "neq": lambda a, b, c, case, msg: not js_loose_equal(a, b),
    "lt": lambda a, b, c, case, msg: js_lt(a, b),
    "lte": lambda a, b, c, case, msg: js_lte(a, b),
    "gt": lambda a, b, c, case, msg: js_gt(a, b),
    "gte": lambda a, b, c, case, msg: js_gte(a, b),
    "btwn": lambda a, b, c, case, msg: (js_gte(a, b) and js_lte(a, c)) or (js_lte(a, b) and js_gte(a, c)),
    "cont": lambda a, b, c, case, msg: js_to_string(b) in js_to_string(a),
    "regex": lambda a, b, c, case, msg: _regex_match(a, b, case),
    "true": lambda a, b, c, case, msg: a is True,
    "false": lambda a, b, c, case, msg: a is False,
    "null": lambda a, b, c, case, msg: a is None or a is UNDEFINED,
    "nnull": lambda a, b, c, case, msg: a is not None and a is not UNDEFINED,
    "empty": lambda a, b, c, case, msg: _empty(a) is True,
    "nempty": lambda a, b, c, case, msg: _empty(a) is False,
    "istype": lambda a, b, c, case, msg: _is_type(a, b),
    "head": lambda a, b, c, case, msg: js_lt(_parts(msg).get("index", UNDEFINED), js_to_number(b)),
    "tail": lambda a, b, c, case, msg: js_lte(js_to_number(_parts(msg).get("count", UNDEFINED)) - js_to_number(b),
                                              _parts(msg).get("index", UNDEFINED)),
    "index": lambda a, b, c, case, msg: js_lte(js_to_number(b), _parts(msg).get("index", UNDEFINED))
                                        and js_lte(_parts(msg).get("index", UNDEFINED), js_to_number(c)),
    "hask": lambda a, b, c, case, msg: a is not None and a is not UNDEFINED and not isinstance(b, (dict, list))
                                       and b is not None and _has_own(a, js_to_string(b)),
    "jsonata_exp": lambda a, b, c, case, msg: b is True,
}


class _Const:
    """A rule value known before any msg arrives: ``value``; calling it with a msg gives it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, msg: dict) -> Any:
        return self.value


_const = _Const


def _failing(text: str) -> Callable[[dict], Any]:
    def fail(msg: dict) -> Any:
        raise NodeError(text)
    return fail


def _has_parts(msg: dict) -> bool:
    parts = msg.get("parts")
    return isinstance(parts, dict) and "id" in parts and "index" in parts


class _Rule:
    """A rule compiled for one node: its operator and the getters of its values; ``test``
    (value, msg) → bool is ``matches``, or a specialised form of it (switch_rules.py)."""

    __slots__ = ("is_else", "op", "v1", "v2", "case", "test")

    def __init__(self, op: Callable, v1: Callable[[dict], Any], v2: Callable[[dict], Any], case: bool,
                 is_else: bool) -> None:
        self.op, self.v1, self.v2, self.case, self.is_else = op, v1, v2, case, is_else
        self.test = self.matches

    def matches(self, value: Any, msg: dict) -> bool:
        return self.op(value, self.v1(msg), self.v2(msg), self.case, msg)


@register("switch", category="function", color="#E2D96E", inputs=1, outputs=1, icon="switch.svg")
class SwitchNode(Node):
    """Routes msgs by the value of a property: each rule that matches sends the msg on its
    output (later outputs get clones); with "stop after first match" only the first does.

    Rules compare the value with a value of its own (``==`` ``!=`` ``<`` ``<=`` ``>`` ``>=``
    with JavaScript's number and text coercion, between, contains, regex, has key), test it
    (true, false, null, not null, is of type, empty, not empty), test the msg's position in a
    sequence (``msg.parts``: head, tail, index range), evaluate a JSONata expression (``$I`` and
    ``$N`` are the sequence index and count), or match when nothing matched before (otherwise).
    Values may be text, numbers, msg/flow/global properties, env variables, JSONata, or the
    previous value tested. With "recreate message sequences" the ``msg.parts`` of a sequence
    are renumbered per output once the whole sequence has arrived.

    Errors: an invalid JSONata expression or regular expression, or a sequence rule on a msg
    without ``msg.parts``, is reported with the msg (catch nodes get it) and the msg is not
    sent; a JSONata property that fails to evaluate is a warning and the msg is dropped.
    """

    Config = SwitchConfig

    def __init__(self, config: SwitchConfig, flow) -> None:
        super().__init__(config, flow)
        self._previous: Any = None
        self._stop_first = config.checkall == "false"
        self._repair = config.repair
        self._errors: list[str] = []
        self._property = self._property_getter(config.property, config.propertyType)
        self._rules = [self._compile(r) for r in config.rules]
        self._ports = tuple((i, None if r.is_else else r.test) for i, r in enumerate(self._rules))
        self._needs_count = config.repair or any(r.t == "tail" for r in config.rules)
        self._max_kept = self.setting("nodeMessageBufferMaxLength", 0)
        self._pending_in: dict[Any, dict] = {}
        self._pending_out: dict[Any, list[list]] = {}
        self._pending_count = 0

    def start(self) -> None:
        for text in self._errors:
            self.error(text)

    async def close(self, removed: bool) -> None:
        self._clear_pending()

    # -- compiling -------------------------------------------------------------------------
    def _jsonata(self, expr: Any) -> str | None:
        """``expr`` compiled (cached by the runtime) or None after recording its error."""
        try:
            compile_jsonata(str(expr))
        except JsonataError as exc:
            self._errors.append(str(exc))
            return None
        return str(expr)

    def _property_getter(self, prop: str, ptype: str) -> Callable[[dict], Any]:
        if ptype == "jsonata":
            expr = self._jsonata(prop)
            if expr is None:
                return _failing(self._errors[-1])

            def evaluate(msg: dict) -> Any:
                try:
                    return evaluate_jsonata(expr, msg, self)
                except JsonataError as exc:
                    raise _PropertyWarning(f"Invalid JSONata expression: {exc}") from None
            return evaluate
        return self._typed(prop, ptype)

    def _typed(self, value: Any, vt: str) -> Callable[[dict], Any]:
        """A getter of ``value`` as type ``vt``; evaluation errors give undefined (Node-RED)."""
        if vt == "msg":
            path = str(value)
            try:
                keys = parse_path(path[4:] if path.startswith("msg.") else path)
            except PropertyError:
                return _const(UNDEFINED)
            return property_reader(keys)

        def evaluate(msg: dict) -> Any:
            try:
                return evaluate_value(value, vt, self, msg)
            except (TypedValueError, PropertyError):
                return UNDEFINED
        return evaluate

    def _operand(self, value: Any, vt: str | None, present: bool, rule_t: str) -> Callable[[dict], Any]:
        """The getter of a rule value, resolved as far as it can be before any msg arrives."""
        if not present and rule_t != "istype":
            value = UNDEFINED
        if not vt:
            vt = "str" if js_to_number(value) != js_to_number(value) else "num"
        if rule_t == "istype":
            return _const(value)
        if vt in ("json", "null"):
            return _const(vt)
        if vt == "prev":
            return lambda msg: self._previous
        if vt == "num":
            return _const(js_to_number(value))
        if vt == "str":
            return _const(js_to_string(value))
        if vt == "bool":
            return _const(value if isinstance(value, bool) else js_to_string(value).lower() == "true")
        if vt == "jsonata":
            expr = self._jsonata(value)
            if expr is None:
                return _failing(self._errors[-1])
            with_sequence = rule_t == "jsonata_exp"

            def evaluate(msg: dict) -> Any:
                bindings = None
                if with_sequence and _has_parts(msg):
                    bindings = {"I": msg["parts"]["index"], "N": msg["parts"].get("count")}
                try:
                    return evaluate_jsonata(expr, msg, self, bindings)
                except JsonataError as exc:
                    raise NodeError(f"Invalid JSONata expression: {exc}") from None
            return evaluate
        if vt in ("msg", "flow", "global", "env", "date", "bin", "re"):
            return self._typed(value, vt)
        return _const(value)

    def _compile(self, rule: SwitchRule) -> _Rule:
        fields = rule.model_fields_set
        v1 = self._operand(rule.v, rule.vt, "v" in fields, rule.t)
        v2 = self._operand(rule.v2, rule.v2t, True, rule.t) if "v2" in fields else _const(UNDEFINED)
        compiled = _Rule(OPERATORS.get(rule.t), v1, v2, rule.case, rule.t == "else")
        if type(v1) is _Const and type(v2) is _Const and rule.t != "else":
            compiled.test = specialise(rule.t, v1.value, v2.value, rule.case, compiled.matches)
        return compiled

    # -- routing ---------------------------------------------------------------------------
    def on_input(self, msg: dict) -> None:
        if self._needs_count and _has_parts(msg):
            self._add_to_group(msg)
        else:
            self._route(msg)

    def _route(self, msg: dict) -> None:
        try:
            value = self._property(msg)
        except _PropertyWarning as exc:
            self.warn(str(exc))
            return
        if (self._repair and _has_parts(msg)) or "_msgid" not in msg:
            self._route_general(value, msg)
            return
        # the msg path: rule tests in a loop, then straight to the wires of the matched outputs
        # (what send([...]) does: the first delivery gets the msg, later ones clones)
        ports = self._ports
        if self._stop_first:
            port = -1
            for i, test in ports:
                if test is None or test(value, msg):  # "otherwise" matches whenever it is reached
                    port = i
                    break
            self._previous = value
            outs = self._outputs
            if 0 <= port < len(outs) and outs[port]:
                targets = outs[port]
                deliver = self._deliver
                deliver(targets[0], msg)
                for k in range(1, len(targets)):
                    deliver(targets[k], clone_message(msg))
            return
        matched: list[int] = []
        else_flag = True
        for i, test in ports:
            if test is None:
                if else_flag:
                    matched.append(i)
                    else_flag = False
                else:
                    else_flag = True
            elif test(value, msg):
                matched.append(i)
                else_flag = False
        self._previous = value
        outs = self._outputs
        deliver = self._deliver
        first = True
        for i in matched:
            if i >= len(outs):
                break
            for target in outs[i]:
                if first:
                    deliver(target, msg)
                    first = False
                else:
                    deliver(target, clone_message(msg))

    def _route_general(self, value: Any, msg: dict) -> None:
        """Routing through ``send`` (msgs without ``_msgid``) or the sequence repair."""
        onward: list[dict | None] = []
        else_flag = True
        for rule in self._rules:
            if rule.is_else:
                matched, else_flag = else_flag, True
            else:
                matched = rule.matches(value, msg)
            if matched:
                onward.append(msg)
                else_flag = False
                if self._stop_first:
                    break
            else:
                onward.append(None)
        self._previous = value
        if self._repair and _has_parts(msg):
            self._collect_output(onward, msg)
        elif onward:
            self.send(onward)

    # -- sequences ---------------------------------------------------------------------------
    def _add_to_group(self, msg: dict) -> None:
        parts = msg["parts"]
        group = self._pending_in.setdefault(parts["id"], {"count": None, "msgs": []})
        group["msgs"].append(msg)
        self._pending_count += 1
        self._check_limit(msg)
        if "count" in parts:
            group["count"] = parts["count"]
        msgs = group["msgs"]
        if group["count"] == len(msgs):
            del self._pending_in[parts["id"]]
            self._pending_count -= len(msgs)
            for m in msgs:
                m["parts"]["count"] = group["count"]
                try:
                    self._route(m)
                except Exception as exc:  # each msg of the sequence reports its own error
                    self.error(exc, m)

    def _collect_output(self, onward: list[dict | None], msg: dict) -> None:
        parts = msg["parts"]
        onwards = self._pending_out.setdefault(parts["id"], [])
        onwards.append(onward + [None] * (len(self._rules) - len(onward)))
        self._pending_count += 1
        if len(onwards) == parts.get("count"):
            del self._pending_out[parts["id"]]
            self._pending_count -= len(onwards)
            self._send_sequences(onwards)
        self._check_limit(msg)

    def _send_sequences(self, onwards: list[list]) -> None:
        """Send each port's msgs as a new sequence: new ``parts.id``, ``index`` and ``count``."""
        ports = len(self._rules)
        counts = [sum(1 for o in onwards if o[j] is not None) for j in range(ports)]
        ids = [generate_id() for _ in range(ports)]
        indexes = [0] * ports
        for onward in onwards:
            out: list[dict | None] = []
            for j, m in enumerate(onward):
                if m is None:
                    out.append(None)
                    continue
                m = clone_message(m)
                m["parts"].update(id=ids[j], index=indexes[j], count=counts[j])
                indexes[j] += 1
                out.append(m)
            self.send(out)

    def _check_limit(self, msg: dict) -> None:
        if self._max_kept > 0 and self._pending_count > self._max_kept:
            self._clear_pending()
            self.error("Too many pending messages", msg)

    def _clear_pending(self) -> None:
        self._pending_in.clear()
        self._pending_out.clear()
        self._pending_count = 0


class _PropertyWarning(Exception):
    """The tested property could not be evaluated: warn and drop the msg (Node-RED)."""
