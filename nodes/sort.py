"""The ``sort`` node: sorts an array property of a msg, or a sequence of msgs.

As Node-RED's sort node (nodes/core/sequence/18-sort.js, 18-sort.html).
"""
from __future__ import annotations

from functools import cmp_to_key
from typing import Any

from pydantic import Field, field_validator

from flowred import (
    PENDING,
    UNDEFINED,
    JsonataError,
    Node,
    NodeConfig,
    NodeError,
    compile_jsonata,
    evaluate_jsonata,
    get_property,
    parse_path,
    register,
    set_property,
)
from flowred.fields import OrDefault, Text
from flowred.jscompat import js_to_number, js_to_primitive


class SortConfig(NodeConfig):
    """Sort node settings (Node-RED's; a field missing from the flow gets the value Node-RED's
    runtime gives it).

    ``targetType`` ``msg`` sorts the array at msg property ``target``, by each element
    (``msgKeyType`` ``elem``) or by the JSONata ``msgKey`` evaluated on each element
    (``msgKeyType`` ``jsonata``); ``seq`` (or missing) sorts a sequence of msgs grouped by
    ``msg.parts``, by the msg property ``seqKey`` (``seqKeyType`` ``msg``) or the JSONata
    ``seqKey`` evaluated on each msg (``jsonata``). ``order``: ``ascending`` or
    ``descending``; ``as_num``: compare the keys as numbers.
    """

    order: OrDefault[str] = "ascending"
    as_num: Any = False
    target: OrDefault[str] = "payload"
    targetType: str = "seq"
    msgKey: Text = "payload"
    msgKeyType: str = "elem"
    seqKey: OrDefault[str] = "payload"
    seqKeyType: str = Field(default="msg", validate_default=True)

    @field_validator("seqKeyType")
    @classmethod
    def _check(cls, v: str, info) -> str:
        data = info.data
        by_msg = data.get("targetType") == "msg"
        expr = data.get("msgKey") if by_msg else data.get("seqKey")
        if (data.get("msgKeyType") if by_msg else v) == "jsonata":
            try:
                compile_jsonata(expr or "")
            except JsonataError as exc:
                raise ValueError(f"Invalid JSONata expression in sort node: {exc}") from None
        elif by_msg:
            parse_path(data.get("target") or "payload")
        else:
            parse_path(expr or "payload")
        return v


@register("sort", category="sequence", color="#E2D96E", inputs=1, outputs=1, icon="sort.svg")
class SortNode(Node):
    """Sorts an array in a msg property, or a sequence of msgs.

    * **msg property**: the array at ``msg.<target>`` is sorted by element value, or by a
      JSONata expression evaluated on each element, and the msg is sent. A msg whose property
      is not an array is dropped.
    * **message sequence**: msgs with ``msg.parts`` (``id``, ``index``, ``count``, as a split
      node makes them) are held until the whole sequence is there, then sent in order of the
      key (a msg property, or JSONata evaluated on each msg) with ``msg.parts.index``
      renumbered. Msgs without ``parts.id``/``parts.index`` are dropped.

    Keys compare as JavaScript does (``as_num``: converted with ``Number()`` first); the sort
    is stable. Errors: "Invalid JSONata expression in sort node: ..." when a key expression
    fails (reported with the last msg of the sequence), "Too many pending messages in sort
    node" when more msgs than the ``nodeMessageBufferMaxLength`` setting are held.
    """

    Config = SortConfig

    def __init__(self, config: SortConfig, flow) -> None:
        super().__init__(config, flow)
        self._by_msg = config.targetType == "msg"
        self._target = parse_path(config.target)
        key_type = config.msgKeyType if self._by_msg else config.seqKeyType
        self._exp = (config.msgKey if self._by_msg else config.seqKey) if key_type == "jsonata" else None
        self._key = parse_path(config.seqKey) if key_type != "jsonata" and not self._by_msg else None
        self._descending = config.order != "ascending"
        self._as_num = bool(config.as_num)
        self._groups: dict[Any, list] = {}   # parts.id -> [count, msgs], oldest first
        self._pending_count = 0
        self._max_pending = self.setting("nodeMessageBufferMaxLength", 0)

    async def close(self, removed: bool) -> None:
        if self._groups:
            self.log("clear pending message in sort node")
        for _, msgs in self._groups.values():
            for m in msgs:
                self.done(m)
        self._groups.clear()
        self._pending_count = 0

    def on_input(self, msg: dict) -> Any:
        if self._by_msg:
            self._sort_property(msg)
            return None
        parts = msg.get("parts")
        if type(parts) is not dict or "id" not in parts or "index" not in parts:
            return None
        gid = parts["id"]
        group = self._groups.get(gid)
        if group is None:
            group = self._groups[gid] = [UNDEFINED, []]
        msgs = group[1]
        msgs.append(msg)
        if "count" in parts:
            group[0] = parts["count"]
        self._pending_count += 1
        count = group[0]
        if type(count) in (int, float) and count == len(msgs):
            del self._groups[gid]
            self._pending_count -= len(msgs)
            self._sort_sequence(msgs, msg)
            return None
        if 0 < self._max_pending < self._pending_count:
            self._drop_oldest()
        return PENDING

    def _sort_property(self, msg: dict) -> None:
        data = get_property(msg, self._target)
        if type(data) is not list:
            return
        if self._exp is None:
            data[:] = self._sorted(data, data)
        else:
            try:
                keys = [evaluate_jsonata(self._exp, elem, self) for elem in data]
            except Exception as exc:  # JSONata evaluation failures are not all JsonataError
                raise NodeError(f"Invalid JSONata expression in sort node: {exc}") from None
            set_property(msg, self._target, self._sorted(data, keys))
        self.send(msg)

    def _sort_sequence(self, msgs: list[dict], current: dict) -> None:
        try:
            if self._exp is None:
                keys = [get_property(m, self._key) for m in msgs]
            else:
                keys = [evaluate_jsonata(self._exp, m, self) for m in msgs]
        except Exception as exc:  # JSONata evaluation failures are not all JsonataError
            for m in msgs:
                if m is not current:
                    self.done(m)
            raise NodeError(f"Invalid JSONata expression in sort node: {exc}") from None
        for i, m in enumerate(self._sorted(msgs, keys)):
            m["parts"]["index"] = i
            self.send(m)
            if m is not current:
                self.done(m)

    def _drop_oldest(self) -> None:
        """Node-RED's ``removeOldestPending``: the oldest sequence is dropped; its last msg
        carries the error."""
        gid = next(iter(self._groups))
        msgs = self._groups.pop(gid)[1]
        self._pending_count -= len(msgs)
        for m in msgs[:-1]:
            self.done(m)
        self.done(msgs[-1], NodeError("Too many pending messages in sort node"))

    def _sorted(self, items: list, keys: list) -> list:
        """``items`` in the order of their ``keys`` under Node-RED's comparison."""
        if self._as_num:
            keys = [js_to_number(k) for k in keys]
        desc = self._descending
        if _uniform(keys):
            if keys is items:
                return sorted(items, reverse=desc)
            order = sorted(range(len(items)), key=keys.__getitem__, reverse=desc)
        else:
            sign = -1 if desc else 1
            order = sorted(range(len(items)), key=cmp_to_key(lambda i, j: sign * _compare(keys[i], keys[j])))
        return [items[i] for i in order]


def _uniform(keys: list) -> bool:
    """True when Python's own ordering of ``keys`` is JavaScript's: all numbers (no NaN) or
    all strings."""
    if not keys:
        return True
    if type(keys[0]) is str:
        return all(type(k) is str for k in keys)
    return all((type(k) is int or type(k) is float) and k == k for k in keys)


def _compare(x: Any, y: Any) -> int:
    """Node-RED's comparison: 0 when ``x === y``, 1 when ``x > y``, else -1."""
    if _strict_equal(x, y):
        return 0
    return 1 if _greater(x, y) else -1


def _strict_equal(x: Any, y: Any) -> bool:
    """JavaScript ``x === y``."""
    tx, ty = type(x), type(y)
    if tx in (int, float) and ty in (int, float):
        return x == y
    if tx is str and ty is str or tx is bool and ty is bool:
        return x == y
    return x is y


def _greater(x: Any, y: Any) -> bool:
    """JavaScript ``x > y``: strings compare as text, anything else as numbers."""
    x, y = js_to_primitive(x), js_to_primitive(y)
    if isinstance(x, str) and isinstance(y, str):
        return x > y
    return js_to_number(x) > js_to_number(y)
