"""The ``join`` node: combines a sequence of msgs into one msg.

As Node-RED's join node (nodes/core/sequence/17-split.js, 17-split.html): ``auto`` mode undoes a
split from ``msg.parts``, ``custom`` mode builds a string, buffer, array, object or merged
object from a count, a timeout or ``msg.complete``, and ``reduce`` mode folds a sequence with a
JSONata expression.
"""
from __future__ import annotations

import asyncio
import json
import math
from functools import cmp_to_key
from typing import Any, Literal

from pydantic import Field, field_validator

from flowred import (
    PENDING,
    UNDEFINED,
    Node,
    NodeConfig,
    NodeError,
    clone_message,
    compile_jsonata,
    evaluate_jsonata,
    evaluate_value,
    get_property,
    parse_path,
    register,
    set_property,
)
from flowred.fields import OrDefault, Text
from flowred.jscompat import js_array_join, js_to_number, js_to_string
from flowred.nodes.common import unescape


class JoinConfig(NodeConfig):
    """Join node settings (Node-RED's; a field missing from the flow gets the value Node-RED's
    runtime gives it, e.g. ``build`` "array" and ``joiner`` "").

    ``mode``: ``auto`` | ``custom`` | ``reduce``. Custom: ``build`` (string, buffer, array,
    object, merged) from ``property`` (``propertyType`` ``msg``, or ``full`` for whole msgs),
    objects keyed by msg property ``key``, strings/buffers joined by ``joiner``
    (``joinerType`` ``str`` with ``\\n`` escapes, or ``bin``, a JSON byte array); sent after
    ``count`` parts ("" with ``useparts``: ``msg.parts.count``), ``timeout`` seconds after the
    first part, or on ``msg.complete``; ``accumulate`` keeps an object after sending it.
    ``useparts``: keep an incoming ``msg.parts`` (true when the field is missing, as in flows
    from before Node-RED 4). Reduce: ``reduceExp`` (JSONata with ``$A`` accumulator, ``$I``
    index, ``$N`` count), ``reduceInit``/``reduceInitType`` (typed initial value),
    ``reduceFixup`` (JSONata on the result), ``reduceRight`` (last to first).
    """

    mode: OrDefault[Literal["auto", "custom", "reduce"]] = "auto"
    build: OrDefault[Literal["string", "buffer", "array", "object", "merged"]] = "array"
    property: OrDefault[str] = "payload"
    propertyType: OrDefault[str] = "msg"
    key: OrDefault[str] = "topic"
    joiner: Text = ""
    joinerType: OrDefault[str] = "str"
    useparts: Any = None
    accumulate: bool | str = "false"
    timeout: float = 0
    count: Text = ""
    reduceRight: Any = False
    reduceExp: str | None = Field(default=None, validate_default=True)
    reduceInit: Any = None
    reduceInitType: str | None = None
    reduceFixup: str | None = None

    @field_validator("property", "key")
    @classmethod
    def _path(cls, v: str) -> str:
        parse_path(v)
        return v

    @field_validator("joinerType")
    @classmethod
    def _joiner_type(cls, v: str, info) -> str:
        if v == "bin":
            joiner = info.data.get("joiner") or "[]"
            try:
                data = json.loads(joiner)
                if not isinstance(data, list):
                    raise ValueError("not an array")
                bytes(b & 255 for b in data)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"joiner {joiner!r}: {exc}") from None
        return v

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, v: Any) -> float:
        return js_to_number(v or 0)

    @field_validator("reduceExp")
    @classmethod
    def _reduce_exp(cls, v: str | None, info) -> str | None:
        if info.data.get("mode") == "reduce":
            if not v:
                raise ValueError("Invalid JSONata expression: the reduce expression is empty")
            compile_jsonata(v)
        return v

    @field_validator("reduceFixup")
    @classmethod
    def _reduce_fixup(cls, v: str | None, info) -> str | None:
        if v and info.data.get("mode") == "reduce":
            compile_jsonata(v)
        return v


class _Group:
    """A sequence being joined (Node-RED's ``inflight[partId]``)."""

    __slots__ = ("type", "payload", "current", "target", "msg", "held", "timer", "join_char",
                 "array_len", "prop")

    def __init__(self, ptype: str, target: Any, join_char: Any, array_len: Any, prop: tuple) -> None:
        obj = ptype in ("object", "merged")
        self.type = "object" if obj else ptype
        self.payload: Any = {} if obj else []
        self.current = 0
        self.target = target
        self.msg: dict = {}
        self.held: list[dict] = []
        self.timer: asyncio.TimerHandle | None = None
        self.join_char = join_char
        self.array_len = array_len
        self.prop = prop


class _Sequence:
    """A sequence waiting to be reduced."""

    __slots__ = ("count", "msgs")

    def __init__(self, count: Any) -> None:
        self.count = count
        self.msgs: list[dict] = []


@register("join", category="sequence", color="#E2D96E", inputs=1, outputs=1, icon="join.svg")
class JoinNode(Node):
    """Joins a sequence of msgs into a single msg.

    * **automatic**: reverses a split node using ``msg.parts`` (``id``, ``index``, ``count``,
      ``type``, ``ch``, ``key``, ``len``, ``property``): strings are joined with the separator
      they were split at, buffers concatenated, arrays and objects rebuilt. A nested split's
      ``msg.parts.parts`` becomes ``msg.parts`` again. A msg without ``msg.parts.id`` is
      dropped with a warning.
    * **manual**: collects ``msg.<property>`` (or whole msgs) into a string, buffer, array,
      key/value object (key from ``msg.<key>``) or merged object, and sends it after ``count``
      parts, ``timeout`` seconds after the first part, or when a msg has ``msg.complete``.
      ``msg.restartTimeout`` restarts the timeout.
    * **reduce**: once every msg of a ``msg.parts`` sequence is there, evaluates ``reduceExp``
      on each in index order with ``$A`` (accumulated value), ``$I`` (index), ``$N`` (count),
      then ``reduceFixup``; the last msg is sent with the result in ``msg.payload``. Msgs
      without ``msg.parts`` pass through.

    ``msg.reset`` drops the sequence being built without sending it. The sent msg carries the
    properties of the parts (the last one's win) without ``msg.complete``. Errors: "Cannot
    join <type> to buffer", JSONata errors, and in reduce mode "too many pending messages in
    join node" when more msgs than the ``nodeMessageBufferMaxLength`` setting are waiting.
    """

    Config = JoinConfig

    def __init__(self, config: JoinConfig, flow) -> None:
        super().__init__(config, flow)
        self._mode = config.mode
        self._full = config.propertyType == "full"
        self._property = "payload" if self._full else config.property
        self._keys = parse_path(self._property)
        self._key = config.key
        self._key_keys = parse_path(config.key)
        self._build = config.build
        self._timer = config.timeout if config.mode != "auto" and config.timeout > 0 else 0
        self._count = js_to_number(config.count or 0)
        self._count_blank = config.count == ""
        self._accumulate = config.accumulate is True
        fields = config.model_fields_set
        self._strip_parts = config.useparts is False or ("useparts" in fields and config.useparts is None)
        if config.joinerType == "bin":
            self._joiner: Any = bytes(b & 255 for b in json.loads(config.joiner or "[]"))
        else:
            self._joiner = unescape(config.joiner)
        self._groups: dict[Any, _Group] = {}
        self._exp = config.reduceExp
        self._fixup = config.reduceFixup or None
        self._right = bool(config.reduceRight)
        self._sequences: dict[Any, _Sequence] = {}
        self._pending_count = 0
        self._max_pending = self.setting("nodeMessageBufferMaxLength", 0)

    async def close(self, removed: bool) -> None:
        for group in self._groups.values():
            if group.timer is not None:
                group.timer.cancel()
            self._done_all(group)
        self._groups.clear()

    # -- input -------------------------------------------------------------------------------
    def on_input(self, msg: dict) -> Any:
        mode = self._mode
        if self._full:
            prop = msg
        elif mode != "auto" or len(self._keys) > 1:  # auto mode reads parts.property instead
            prop = get_property(msg, self._keys)
            if prop is UNDEFINED and len(self._keys) > 1 and get_property(msg, self._keys[:-1]) in (UNDEFINED, None):
                self.warn(f"Message property {self._property} not found")
                return None
        index: Any = UNDEFINED
        array_len: Any = UNDEFINED
        key: Any = UNDEFINED
        if mode == "auto":
            parts = msg.get("parts")
            if type(parts) is not dict or "id" not in parts:
                if "reset" in msg:
                    self._drop_all()
                else:
                    self.warn("Message missing msg.parts property - cannot join in 'auto' mode")
                return None
            part_id = parts["id"]
            ptype = parts.get("type")
            target = parts.get("count")
            join_char = parts.get("ch", UNDEFINED)
            key = parts.get("key")
            array_len = parts.get("len")
            index = parts.get("index", UNDEFINED)
            prop_path = parts.get("property") or "payload"
            prop = msg.get("payload", UNDEFINED) if prop_path == "payload" else get_property(msg, parse_path(prop_path))
        elif mode == "reduce":
            return self._reduce(msg)
        else:
            if self._strip_parts and "parts" in msg:
                inner = _part(msg["parts"], "parts")
                if inner is UNDEFINED:
                    del msg["parts"]
                else:
                    msg["parts"] = {"parts": inner}
            part_id = "_"
            ptype = self._build
            target = self._count
            join_char = self._joiner
            prop_path = self._property
            if self._count_blank and "parts" in msg:
                target = _part(msg["parts"], "count") or 0
                pid = _part(msg["parts"], "id")
                if pid is not UNDEFINED:
                    part_id = pid
            if ptype == "object":
                key = get_property(msg, self._key_keys)

        groups = self._groups
        if "restartTimeout" in msg and part_id in groups:
            self._start_timer(groups[part_id], part_id)
        if "reset" in msg:
            group = groups.pop(part_id, None)
            if group is not None:
                if group.timer is not None:
                    group.timer.cancel()
                self._done_all(group)
            return None
        if ptype == "object" and (key is None or key is UNDEFINED or key == ""):
            if mode == "auto":
                self.warn("Message missing 'msg.parts.key' property - cannot add to object")
            elif "complete" in msg:
                group = groups.get(part_id)
                if group is not None:
                    group.msg["complete"] = msg["complete"]
                    self._send_group(part_id)
            else:
                self.warn(f"Message missing key property 'msg.{self._key}' - cannot add to object")
            return None

        group = groups.get(part_id)
        if group is None:
            group = groups[part_id] = _Group(ptype, target, join_char, array_len, parse_path(prop_path))
            if self._timer:
                self._start_timer(group, part_id)
        if ptype == "buffer" and prop is not UNDEFINED and not isinstance(prop, (bytes, bytearray, str, list)):
            raise NodeError(f"Cannot join {_typeof(prop)} to buffer")
        if self._completers:
            group.held.append(msg)

        if ptype == "object":
            group.payload[key if type(key) is str else js_to_string(key)] = prop
            group.current = len(group.payload)
        elif ptype == "merged":
            if isinstance(prop, dict):
                payload = group.payload
                for k, v in prop.items():
                    if k != "_msgid":
                        payload[k] = v
                group.current = len(payload)
            elif prop is not None and "complete" not in msg:
                self.warn("Cannot merge non-object types")
        else:
            _put(group, index, prop)
        group.msg.update(msg)
        count = group.target
        if "parts" in msg:
            if not count or count != count:  # JavaScript's ``targetCount || parts.count``
                count = _part(msg["parts"], "count")
            group.target = count
        if "complete" in msg or (_positive(count) and group.current >= js_to_number(count)):
            self._send_group(part_id)
        return PENDING

    # -- sending -----------------------------------------------------------------------------
    def _start_timer(self, group: _Group, part_id: Any) -> None:
        if group.timer is not None:
            group.timer.cancel()
            group.timer = None
        if self._timer:
            group.timer = asyncio.get_running_loop().call_later(self._timer, self._on_timeout, part_id)

    def _on_timeout(self, part_id: Any) -> None:
        try:
            self._send_group(part_id)
        except Exception as exc:  # reported on the node: a timer has no msg to fail
            self.error(exc)

    def _send_group(self, part_id: Any) -> None:
        """Build and send the joined msg (Node-RED's ``completeSend``)."""
        group = self._groups.get(part_id)
        if group is None:
            return
        if group.timer is not None:
            group.timer.cancel()
            group.timer = None
        keep = self._mode != "auto" and self._accumulate and "complete" not in group.msg
        if not keep:
            del self._groups[part_id]
        payload = group.payload
        ptype = group.type
        if ptype == "array" and _positive(group.array_len) and js_to_number(group.array_len) > 1:
            flat: list = []
            for chunk in payload:
                if isinstance(chunk, list):
                    flat.extend(chunk)
                else:
                    flat.append(chunk)
            payload = flat
        elif ptype == "buffer":
            payload = _join_buffers(payload, group.join_char)
        out = group.msg
        if ptype == "string":
            payload = _join_strings(payload, group.join_char)
        elif self._full:
            out = group.msg = clone_message(out)
        set_property(out, group.prop, payload)
        parts = out.get("parts")
        if type(parts) is dict and "parts" in parts:
            out["parts"] = parts["parts"]
        else:
            out.pop("parts", None)
        out.pop("complete", None)
        self.send(clone_message(out) if keep else out)
        self._done_all(group)

    def _done_all(self, group: _Group) -> None:
        held, group.held = group.held, []
        for m in held:
            self.done(m)

    def _drop_all(self) -> None:
        """A ``msg.reset`` without ``msg.parts`` in auto mode: forget every sequence (as
        Node-RED, the msgs held so far are not completed)."""
        for group in self._groups.values():
            if group.timer is not None:
                group.timer.cancel()
        self._groups.clear()

    # -- reduce ------------------------------------------------------------------------------
    def _reduce(self, msg: dict) -> Any:
        if "parts" not in msg:
            self.send(msg)
            return None
        parts = msg["parts"]
        gid = _part(parts, "id")
        seq = self._sequences.get(gid)
        if seq is None:
            seq = self._sequences[gid] = _Sequence(_part(parts, "count"))
        elif seq.count is UNDEFINED:
            seq.count = _part(parts, "count")
        seq.msgs.append(msg)
        self._pending_count += 1
        count = seq.count
        if type(count) in (int, float) and len(seq.msgs) == count:
            del self._sequences[gid]
            self._pending_count -= len(seq.msgs)
            return self._reduce_sequence(seq, msg)
        if 0 < self._max_pending < self._pending_count:
            for other in self._sequences.values():
                for m in other.msgs:
                    if m is not msg:
                        self.done(m)
            self._sequences.clear()
            self._pending_count = 0
            raise NodeError("too many pending messages in join node")
        return PENDING

    def _reduce_sequence(self, seq: _Sequence, current: dict) -> None:
        msgs = seq.msgs
        count = seq.count
        try:
            acc = self._initial_value()
            ordered = sorted(msgs, key=cmp_to_key(_by_index), reverse=self._right)
            for m in ordered:
                index = _part(m.get("parts"), "index")
                acc = evaluate_jsonata(self._exp, m, self,
                                       {"I": None if index is UNDEFINED else index, "N": count, "A": acc})
            if self._fixup:
                acc = evaluate_jsonata(self._fixup, {}, self, {"N": count, "A": acc})
        except Exception as exc:  # JSONata evaluation failures are not all JsonataError
            for m in msgs:
                if m is not current:
                    self.done(m)
            raise NodeError(str(exc)) from None
        last = ordered[-1]
        last["payload"] = acc
        self.send(last)
        for m in msgs:
            if m is not current:
                self.done(m)

    def _initial_value(self) -> Any:
        cfg = self.config
        if not cfg.reduceInitType:  # as Node-RED: no type gives the value as it is
            return cfg.reduceInit
        return evaluate_value(cfg.reduceInit, cfg.reduceInitType, self, {})


# -- JavaScript value rules ----------------------------------------------------------------
def _part(parts: Any, name: str) -> Any:
    """``msg.parts[name]`` as JavaScript reads it: UNDEFINED when missing or not an object."""
    return parts.get(name, UNDEFINED) if type(parts) is dict else UNDEFINED


def _positive(v: Any) -> bool:
    """JavaScript ``v > 0`` for a count."""
    if type(v) is int:
        return v > 0
    return v is not UNDEFINED and v is not None and js_to_number(v) > 0


def _index(v: Any) -> int | None:
    """Where ``parts.index`` puts a part: a list position, None to append (JavaScript's
    ``isNaN(index)``), or -1 for an index a JavaScript array keeps out of its elements."""
    if type(v) is int:
        return v if v >= 0 else -1
    if v is None or isinstance(v, bool):
        return -1
    n = js_to_number(v)
    if n != n:
        return None
    return int(n) if n >= 0 and float(n).is_integer() else -1


def _put(group: _Group, index: Any, value: Any) -> None:
    """Place a string/buffer/array part (Node-RED: by ``parts.index``, or appended)."""
    payload = group.payload
    slot = _index(index)
    if slot is None:
        if value is not UNDEFINED:
            payload.append(value)
            group.current += 1
        return
    if value is UNDEFINED:
        value = None
    n = len(payload)
    if slot == n:
        payload.append(value)
        group.current += 1
    elif 0 <= slot < n:
        if payload[slot] is None:
            group.current += 1
        payload[slot] = value
    elif slot > n:
        payload.extend([None] * (slot - n))
        payload.append(value)
        group.current += 1
    else:
        group.current += 1


def _typeof(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    return "object"


def _join_strings(items: list, join_char: Any) -> str:
    # a missing or null ``parts.ch`` joins with "" (Node-RED would throw calling its toString)
    sep = join_char if isinstance(join_char, str) else \
        "" if join_char is None or join_char is UNDEFINED else js_to_string(join_char)
    try:
        return sep.join(items)
    except TypeError:
        return js_array_join(items, sep)


def _to_bytes(v: Any) -> bytes:
    """Node.js ``Buffer.from(v)``: bytes as they are, text as UTF-8, arrays of byte values."""
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, list):
        return bytes(_byte(b) for b in v)
    raise NodeError(f"Cannot join {_typeof(v)} to buffer")


def _byte(v: Any) -> int:
    n = js_to_number(v)
    return int(n) & 255 if math.isfinite(n) else 0


def _join_buffers(items: list, join_char: Any) -> bytes:
    parts = [_to_bytes(v) for v in items]
    return b"".join(parts) if join_char is UNDEFINED else _to_bytes(join_char).join(parts)


def _by_index(x: dict, y: dict) -> int:
    """Node-RED's order of a reduce sequence: by ``parts.index``, JavaScript comparisons."""
    ix, iy = _part(x.get("parts"), "index"), _part(y.get("parts"), "index")
    if ix is UNDEFINED or iy is UNDEFINED:
        return 0
    try:
        return -1 if ix < iy else (1 if ix > iy else 0)
    except TypeError:
        return 0
