"""The ``change`` node: sets, changes, deletes or moves msg properties and context values.

As Node-RED's change node (nodes/core/function/15-change.js, 15-change.html).
"""
from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    get_property,
    parse_path,
    register,
    set_property,
)
from flowred.context import parse_context_key
from flowred.fields import Flag
from flowred.jscompat import js_regex, js_to_number, js_to_string
from flowred.typed import substitute_env

PROPERTY_TYPES = {"msg", "flow", "global"}


class ChangeRule(BaseModel):
    """One rule: ``t`` set/change/delete/move of property ``p`` (``pt`` msg, flow or global).

    ``to``/``tot``: the value to set (or, for move, the destination property); ``from``/
    ``fromt``: what a change rule searches for; ``dc``: deep-copy the value set. Rules saved by
    older Node-RED versions are migrated as Node-RED does: ``re`` means a regex search, a set
    ``to`` starting with ``msg.`` without ``tot`` is that msg property.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)

    t: Literal["set", "change", "delete", "move"]
    p: str = ""
    pt: Literal["msg", "flow", "global"] = "msg"
    to: Any = ""
    tot: Literal["str", "num", "bool", "json", "bin", "date", "env", "msg", "flow", "global", "jsonata"] = "str"
    from_: Any = Field("", alias="from")
    fromt: Literal["str", "re", "num", "bool", "env", "msg", "flow", "global"] = "str"
    dc: Flag = False

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        rule = dict(data)
        rule["pt"] = rule.get("pt") or "msg"
        if rule.get("t") == "change" and rule.get("re"):
            rule["fromt"] = "re"
        if rule.get("t") == "set" and not rule.get("tot"):
            to = rule.get("to")
            if isinstance(to, str) and to.startswith("msg."):
                rule["to"], rule["tot"] = to[4:], "msg"
        if not rule.get("tot"):
            # the editor opens a move without ``tot`` as a msg property
            rule["tot"] = "msg" if rule.get("t") == "move" else "str"
        rule["fromt"] = rule.get("fromt") or "str"
        rule["to"] = "" if rule.get("to") is None else rule["to"]
        rule["from"] = "" if rule.get("from") is None else rule["from"]
        return rule

    @model_validator(mode="after")
    def _move_target(self) -> "ChangeRule":
        if self.t == "move" and self.tot not in PROPERTY_TYPES:
            raise ValueError(f"a move needs a msg, flow or global destination, not {self.tot!r}")
        return self


class ChangeConfig(NodeConfig):
    """Change node settings (Node-RED's defaults). ``rules`` are applied in order. Without
    ``rules``, the legacy single-rule fields ``action`` (replace/change/delete/move),
    ``property``, ``from``, ``to`` and ``reg`` make the one rule, as Node-RED does."""

    rules: list[ChangeRule] = []
    action: str = ""
    property: str = ""
    from_: Any = Field("", alias="from")
    to: Any = ""
    reg: Any = False

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("rules") is not None:
            return data
        action = data.get("action") or ""
        rule: dict[str, Any] = {"t": "set" if action == "replace" else action, "p": data.get("property") or ""}
        if rule["t"] in ("set", "move"):
            rule["to"] = data.get("to") or ""
        elif rule["t"] == "change":
            rule.update({"from": data.get("from") or "", "to": data.get("to") or "",
                         "re": ("reg" in data and data["reg"] is None) or bool(data.get("reg"))})
        # an empty action does nothing in Node-RED: no rule at all
        return {**data, "rules": [rule] if rule["t"] else []}


# -- where a rule reads and writes -----------------------------------------------------------

class _MsgProperty:
    """A msg property, its expression parsed once."""

    __slots__ = ("path", "keys")

    def __init__(self, path: str) -> None:
        self.path = path
        self.keys = parse_path(path[4:] if path.startswith("msg.") else path)

    def get(self, msg: dict) -> Any:
        return get_property(msg, self.keys)

    def set(self, msg: dict, value: Any) -> None:
        set_property(msg, self.keys, value)


class _ContextProperty:
    """A flow or global context key, with its optional ``#:(store)::`` prefix."""

    __slots__ = ("node", "scope", "store", "key")

    def __init__(self, path: str, scope: str, node: Node) -> None:
        self.node, self.scope = node, scope
        self.store, self.key = parse_context_key(path)

    def _ctx(self) -> Any:
        ctx = self.node.context()
        return ctx.flow if self.scope == "flow" else ctx.global_

    def get(self, msg: dict) -> Any:
        return self._ctx().get(self.key, self.store)

    def set(self, msg: dict, value: Any) -> None:
        self._ctx().set(self.key, value, self.store)


def _location(path: str, ptype: str, node: Node) -> _MsgProperty | _ContextProperty:
    return _MsgProperty(path) if ptype == "msg" else _ContextProperty(path, ptype, node)


# -- the value side ----------------------------------------------------------------------------

def _value_getter(to: Any, tot: str, node: Node) -> Callable[[dict], Any]:
    """A function msg → the value of ``to`` as type ``tot``. Raises NodeError (with Node-RED's
    wording) when ``to`` can never give a value: bad JSON, bad JSONata, bad property."""
    if tot in ("msg", "flow", "global"):
        return _location(js_to_string(to), tot, node).get
    if tot == "json":
        text = to if isinstance(to, str) else json.dumps(to)
        try:
            value = json.loads(text)
        except ValueError:
            raise NodeError("Invalid 'to' JSON property") from None
        if isinstance(value, (dict, list)):
            return lambda msg: json.loads(text)
        return lambda msg: value
    if tot == "jsonata":
        expr = js_to_string(to)
        try:
            compile_jsonata(expr)
        except JsonataError as exc:
            raise NodeError(str(exc)) from None

        def evaluate(msg: dict) -> Any:
            try:
                return evaluate_jsonata(expr, msg, node, undefined=UNDEFINED)
            except JsonataError as exc:
                raise NodeError(f"Invalid JSONata expression: {exc}") from None
        return evaluate
    if tot == "date":
        evaluate_value(to, "date", node, None)  # an unsupported format fails here, once
        return lambda msg: evaluate_value(to, "date", node, msg)
    if tot == "num":
        value = js_to_number(to)
    elif tot == "bool":
        value = to if isinstance(to, bool) else js_to_string(to).lower() == "true"
    elif tot == "env":
        value = substitute_env(js_to_string(to), node)
    elif tot == "bin":
        try:
            value = evaluate_value(to, "bin", node, None)
        except (TypedValueError, ValueError):
            raise NodeError("Invalid 'to' JSON property") from None
    else:
        value = js_to_string(to)
    return lambda msg: value


# -- search and replace ------------------------------------------------------------------------

def _escaped(text: str) -> re.Pattern:
    return re.compile(re.escape(text))


def _classify_from(value: Any) -> tuple[str, Any, re.Pattern]:
    """Node-RED's type of a search value read from the msg or context, with its pattern."""
    if isinstance(value, bool):
        return "bool", value, _escaped(js_to_string(value))
    if isinstance(value, (int, float)):
        return "num", value, _escaped(js_to_string(value))
    if isinstance(value, re.Pattern):
        return "re", value, value
    if isinstance(value, str):
        return "str", value, _escaped(value)
    kind = "undefined" if value is UNDEFINED else "object"
    raise NodeError(f"Invalid 'from' property: unsupported type: {kind}")


def _matched(m: re.Match) -> str:
    return m.group(0)


def _before_match(m: re.Match) -> str:
    return m.string[:m.start()]


def _after_match(m: re.Match) -> str:
    return m.string[m.end():]


def _group_text(group: int) -> Callable[[re.Match], str]:
    """The text of ``group`` (a number) in a match, "" when it did not take part."""
    def text(m: re.Match) -> str:
        return m.group(group) or ""
    return text


@lru_cache(maxsize=512)
def _replacer(pattern: re.Pattern, template: str) -> Callable[[re.Match], str]:
    """JavaScript's replacement string for ``pattern``: ``$$``, ``$&``, ``$```, ``$'``,
    ``$1``..``$99`` and ``$<name>``; anything else is literal."""
    tokens: list[str | Callable[[re.Match], str]] = []
    literal: list[str] = []
    groups, names = pattern.groups, pattern.groupindex
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        nxt = template[i + 1] if i + 1 < n else ""
        token: Callable[[re.Match], str] | None = None
        width = 2
        if c != "$" or not nxt:
            literal.append(c)
            i += 1
            continue
        if nxt == "$":
            literal.append("$")
        elif nxt == "&":
            token = _matched
        elif nxt == "`":
            token = _before_match
        elif nxt == "'":
            token = _after_match
        elif nxt in "0123456789":
            two = template[i + 1:i + 3]
            if len(two) == 2 and two.isdigit() and 1 <= int(two) <= groups:
                index, width = int(two), 3
            else:
                index = int(nxt)
            if 1 <= index <= groups:
                token = _group_text(index)
            else:
                literal.append(template[i:i + width])
        elif nxt == "<" and names and (end := template.find(">", i)) > 0:
            name = template[i + 2:end]
            token = (lambda m, g=name: m.group(g) or "") if name in names else (lambda m: "")
            width = end + 1 - i
        else:
            literal.append("$")
            width = 1
        if token is not None:
            if literal:
                tokens.append("".join(literal))
                literal.clear()
            tokens.append(token)
        i += width
    if literal:
        tokens.append("".join(literal))
    if all(isinstance(t, str) for t in tokens):
        text = "".join(tokens)
        return lambda m: text
    return lambda m: "".join(t if isinstance(t, str) else t(m) for t in tokens)


# -- rules -----------------------------------------------------------------------------------

class _Failing:
    """A rule that can never work: every msg reports its error (Node-RED reports it once at
    start and then ignores msgs)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def apply(self, node: "ChangeNode", msg: dict) -> None:
        raise NodeError(self.text)


class _Set:
    __slots__ = ("target", "value", "deep_copy")

    def __init__(self, target: Any, value: Callable[[dict], Any], deep_copy: bool) -> None:
        self.target, self.value, self.deep_copy = target, value, deep_copy

    def apply(self, node: "ChangeNode", msg: dict) -> None:
        value = self.value(msg)
        if self.deep_copy and isinstance(value, (dict, list, bytearray)):
            value = clone_message(value) if isinstance(value, dict) else copy.deepcopy(value)
        _assign(node, self.target, msg, value)


class _SetKey:
    """``set msg.<key>`` to a constant (text, number, boolean, env): the common rule, one
    dict store per msg."""

    __slots__ = ("key", "value")

    def __init__(self, key: str, value: Any) -> None:
        self.key, self.value = key, value

    def apply(self, node: "ChangeNode", msg: dict) -> None:
        msg[self.key] = self.value


class _Delete:
    __slots__ = ("target",)

    def __init__(self, target: Any) -> None:
        self.target = target

    def apply(self, node: "ChangeNode", msg: dict) -> None:
        self.target.set(msg, UNDEFINED)


class _Move:
    __slots__ = ("source", "target")

    def __init__(self, source: Any, target: Any) -> None:
        self.source, self.target = source, target

    def apply(self, node: "ChangeNode", msg: dict) -> None:
        value = self.source.get(msg)
        self.source.set(msg, UNDEFINED)
        _assign(node, self.target, msg, value)


class _Change:
    __slots__ = ("target", "value", "search")

    def __init__(self, target: Any, value: Callable[[dict], Any],
                 search: Callable[[dict], tuple[str, Any, re.Pattern]]) -> None:
        self.target, self.value, self.search = target, value, search

    def apply(self, node: "ChangeNode", msg: dict) -> None:
        value = self.value(msg)
        from_type, from_value, pattern = self.search(msg)
        current = self.target.get(msg)
        if isinstance(current, str):
            if from_type != "re" and current == js_to_string(from_value):
                _assign(node, self.target, msg, value)
            else:
                _assign(node, self.target, msg, pattern.sub(_replacer(pattern, js_to_string(value)), current))
        elif isinstance(current, bool):
            if from_type == "bool" and js_to_string(current) == js_to_string(from_value):
                _assign(node, self.target, msg, value)
        elif isinstance(current, (int, float)):
            if from_type == "num" and current == js_to_number(from_value):
                _assign(node, self.target, msg, value)


def _assign(node: "ChangeNode", target: Any, msg: dict, value: Any) -> None:
    """Set ``target``; a msg property under a non-object is a warning and the msg goes on."""
    if type(target) is _MsgProperty:
        try:
            target.set(msg, value)
        except PropertyError:
            node.warn(f"Cannot set property of non-object type: {target.path}")
    else:
        target.set(msg, value)


def _search(rule: ChangeRule, node: Node) -> Callable[[dict], tuple[str, Any, re.Pattern]]:
    """The search value of a change rule: fixed (compiled once) or read per msg."""
    if rule.fromt in ("msg", "flow", "global"):
        get = _location(js_to_string(rule.from_), rule.fromt, node).get
        return lambda msg: _classify_from(get(msg))
    text = js_to_string(rule.from_)
    if rule.fromt == "env":
        text = js_to_string(substitute_env(text, node))
    if rule.fromt == "re":
        try:
            pattern = js_regex(text)
        except NodeError as exc:
            raise NodeError(f"Invalid 'from' property: {exc}") from None
    else:
        pattern = _escaped(text)
    fixed = ("str" if rule.fromt == "env" else rule.fromt, text, pattern)
    return lambda msg: fixed


_CONSTANT_TYPES = frozenset(("str", "num", "bool", "env"))  # values fixed when the node starts


def _compile(rule: ChangeRule, node: Node) -> Any:
    try:
        target = _location(rule.p, rule.pt, node)
        if rule.t == "delete":
            return _Delete(target)
        if rule.t == "move":
            return _Move(target, _location(js_to_string(rule.to), rule.tot, node))
        value = _value_getter(rule.to, rule.tot, node)
        if rule.t == "set":
            if (type(target) is _MsgProperty and len(target.keys) == 1 and type(target.keys[0]) is str
                    and rule.tot in _CONSTANT_TYPES):
                return _SetKey(target.keys[0], value(None))
            return _Set(target, value, rule.dc)
        return _Change(target, value, _search(rule, node))
    except (NodeError, PropertyError, TypedValueError) as exc:
        return _Failing(str(exc))


@register("change", category="function", color="#E2D96E", inputs=1, outputs=1, icon="swap.svg")
class ChangeNode(Node):
    """Applies its rules in order to each msg, then sends it on.

    * **Set** a msg property, or a flow/global context value, to a value: text, number,
      boolean, JSON, buffer, timestamp, env variable, another msg/flow/global property (by
      reference, or deep-copied with "deep copy"), or a JSONata expression evaluated against
      the msg.
    * **Change**: search a text value for text, a number, a boolean or a regular expression and
      replace each match (``$1``, ``$&``... refer to the match); a value that equals the search
      exactly, or a number/boolean equal to it, is replaced whole by the new value.
    * **Delete** a property. **Move** a property to another (msg, flow or global).

    Errors: a JSONata expression that fails (or does not compile), a JSON or regex value that
    does not parse, or an unusable search value is reported with the msg (catch nodes get it)
    and the msg is not sent. Setting a msg property under a value that is not an object is a
    warning and the msg goes on.
    """

    Config = ChangeConfig

    def __init__(self, config: ChangeConfig, flow) -> None:
        super().__init__(config, flow)
        self._rules = [_compile(rule, self) for rule in config.rules]

    def start(self) -> None:
        for rule in self._rules:
            if type(rule) is _Failing:
                self.error(rule.text)

    def on_input(self, msg: dict) -> None:
        for rule in self._rules:
            rule.apply(self, msg)
        outs = self._outputs
        if outs and len(outs[0]) == 1 and "_msgid" in msg:
            self._deliver(outs[0][0], msg)  # one wire: what send() would do, one call less
        else:
            self.send(msg)
