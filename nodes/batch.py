"""The ``batch`` node: makes sequences of msgs (``msg.parts``) by count, by time interval, or by
concatenating whole sequences of given topics.

As Node-RED's batch node (nodes/core/sequence/19-batch.js, 19-batch.html).
"""
from __future__ import annotations

import asyncio
import math
from typing import Any, Literal

from pydantic import ValidationInfo, field_validator, model_validator

from flowred import PENDING, UNDEFINED, Node, NodeConfig, NodeError, clone_message, generate_id, register
from flowred.jscompat import js_to_number, js_to_string, js_truthy

__all__ = ["BatchConfig", "BatchNode"]

TOO_MANY = "too many pending messages in batch node"
NO_PARTS = "no parts property in message"
MODES = ("count", "interval", "concat")


class BatchConfig(NodeConfig):
    """Batch node settings (Node-RED's names and editor defaults).

    ``mode``: ``count`` (sequences of ``count`` msgs, the last ``overlap`` of each repeated at
    the start of the next), ``interval`` (the msgs of every ``interval`` seconds; with
    ``allowEmptySequence`` an interval without msgs sends a ``{payload: null}`` sequence of
    one) or ``concat`` (one sequence of the complete sequences of the topics in ``topics``,
    ``[{"topic": "a"}, ...]``, in that order).

    As Node-RED's runtime, a missing or empty ``mode`` is ``count``, a missing, empty or zero
    ``count`` is 1, ``overlap`` and ``interval`` likewise 0, missing ``topics`` none; numbers
    may arrive as text.
    Deploy errors (settings with which the node could never send anything): an unknown mode
    ("unexpected mode"); in count mode a ``count`` that is not a whole number, an ``overlap``
    that is not a whole number >= 0, and ``count <= overlap`` ("Invalid count and overlap");
    in interval mode an ``interval`` that is not a number of seconds above 0.
    """

    mode: Literal["count", "interval", "concat"] = "count"
    count: int = 10
    overlap: int = 0
    interval: float = 10
    allowEmptySequence: bool = False
    topics: list[dict[str, Any]] = [{"topic": ""}]

    @model_validator(mode="before")
    @classmethod
    def _runtime_fallbacks(cls, data: Any) -> Any:
        """A field missing from the flow is read as Node-RED's runtime reads it (``count`` 1,
        ``overlap`` and ``interval`` 0, ``topics`` none), not as the editor's default for a new
        node."""
        if isinstance(data, dict) and not {"count", "overlap", "interval", "topics"} <= data.keys():
            data = {"count": None, "overlap": None, "interval": None, "topics": None, **data}
        return data

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: Any) -> Any:
        v = v or "count"
        if v not in MODES:
            raise ValueError(f"unexpected mode {v!r} (count, interval or concat)")
        return v

    @field_validator("count", mode="before")
    @classmethod
    def _count(cls, v: Any, info: ValidationInfo) -> int:
        n = js_to_number(v) if js_truthy(v) else 1  # Node-RED: Number(count || 1)
        if _whole(n):
            return int(n)
        if info.data.get("mode") == "count":
            raise ValueError(f"the number of messages must be a whole number, not {v!r}")
        return 1  # not used outside count mode

    @field_validator("overlap", mode="before")
    @classmethod
    def _overlap(cls, v: Any, info: ValidationInfo) -> int:
        n = js_to_number(v) if js_truthy(v) else 0  # Node-RED: Number(overlap || 0)
        if _whole(n) and n >= 0:
            return int(n)
        if info.data.get("mode") == "count":
            raise ValueError(f"overlap must be a whole number >= 0, not {v!r}")
        return 0

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, v: Any, info: ValidationInfo) -> float:
        n = js_to_number(v) if js_truthy(v) else 0  # Node-RED: Number(interval || "0")
        if isinstance(n, (int, float)) and math.isfinite(n) and n > 0:
            return n
        if info.data.get("mode") == "interval":
            raise ValueError(f"interval must be a number of seconds > 0, not {v!r}")
        return 0

    @field_validator("allowEmptySequence", mode="before")
    @classmethod
    def _flag(cls, v: Any) -> bool:
        return js_truthy(v)

    @field_validator("topics", mode="before")
    @classmethod
    def _topics(cls, v: Any) -> Any:
        return [] if v is None else v  # Node-RED: topics || []

    @model_validator(mode="after")
    def _count_above_overlap(self) -> "BatchConfig":
        if self.mode == "count" and self.count <= self.overlap:
            raise ValueError("Invalid count and overlap")
        return self


def _whole(n: Any) -> bool:
    """A finite integral number (``3`` or ``3.0``, not NaN, not a boolean)."""
    return type(n) is int or (type(n) is float and math.isfinite(n) and n.is_integer())


def _same(a: Any, b: Any) -> bool:
    """JavaScript ``a === b`` for the values a topic or a count can be."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is str and type(b) is str:
        return a == b
    return a is b


def _key(value: Any) -> Any:
    """The key a value has in a JavaScript object (``String(value)``)."""
    return value if type(value) is str else js_to_string(value)


class _Group:
    """The msgs of one incoming sequence (one ``parts.id``) of a concat topic."""

    __slots__ = ("count", "msgs")

    def __init__(self) -> None:
        self.count: Any = UNDEFINED
        self.msgs: list[dict] = []


@register("batch", category="sequence", color="#E2D96E", inputs=1, outputs=1, icon="batch.svg")
class BatchNode(Node):
    """Creates sequences of msgs based on various rules.

    * **Number of messages** (``count``): every ``count`` msgs are sent as one sequence. The
      last ``overlap`` msgs of a sequence are repeated (as copies) at the start of the next.
    * **Time interval** (``interval``): the msgs that arrived in each interval of ``interval``
      seconds are sent as one sequence. When none arrived and *send empty message* is set
      (``allowEmptySequence``), a msg ``{payload: null, parts: {id, index: 0, count: 1}}`` is
      sent.
    * **Concatenate sequences** (``concat``): msgs whose ``msg.topic`` is one of ``topics``
      must carry ``msg.parts`` (``id``, ``index``, ``count``) naming their sequence. Once the
      oldest sequence of every listed topic is complete, they are sent (as copies) as one
      sequence: the topics in the listed order, each sequence's msgs in arrival order. Msgs
      of other topics are ignored (and, as Node-RED, never completed).

    Each msg sent gets ``msg.parts.id`` (the ``_msgid`` of the sequence's first msg),
    ``msg.parts.index`` and ``msg.parts.count``; other ``msg.parts`` properties are kept. An
    incoming msg is completed (``done``, for complete nodes) when a sequence holding it is sent
    (in count mode with overlap, each time it is sent) or when the node is stopped.

    ``msg.reset`` (any value) drops the msgs held without sending them; in interval mode they
    are completed and the interval restarts. As Node-RED, the reset msg itself is not
    completed, nor are the msgs it drops in count and concat modes.

    Errors: "no parts property in message" (concat mode, a listed topic without
    ``msg.parts.id/index/count``); "too many pending messages in batch node" when more msgs
    than the ``nodeMessageBufferMaxLength`` setting are held: every held msg gets it (count and
    concat modes) or the last one does and the others are completed (interval mode), and the
    held msgs are dropped.

    As Node-RED's batch node (19-batch.js).
    """

    Config = BatchConfig

    def __init__(self, config: BatchConfig, flow) -> None:
        super().__init__(config, flow)
        self._mode = config.mode
        self._count = config.count
        self._overlap = config.overlap
        self._interval = config.interval
        self._allow_empty = config.allowEmptySequence
        self._topics = [t.get("topic", UNDEFINED) for t in config.topics]
        self._max_kept = self.setting("nodeMessageBufferMaxLength", 0)
        self._pending: list[dict] = []                    # count and interval modes
        self._by_topic: dict[Any, dict[Any, _Group]] = {}  # concat: topic key -> parts.id key -> group
        self._pending_count = 0
        self._timer: asyncio.TimerHandle | None = None
        self._input = {"count": self._count_input, "interval": self._interval_input,
                       "concat": self._concat_input}[self._mode]

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._mode == "interval":
            self._start_timer()

    async def close(self, removed: bool) -> None:
        self._stop_timer()
        held = self._pending
        for group in (g for groups in self._by_topic.values() for g in groups.values()):
            held.extend(group.msgs)
        self._pending, self._by_topic, self._pending_count = [], {}, 0
        for m in held:
            self.done(m)

    def on_input(self, msg: dict) -> Any:
        return self._input(msg)

    # -- sending -----------------------------------------------------------------------------
    def _send_sequence(self, msgs: list[dict], copy: bool) -> None:
        """Send ``msgs`` (copies of them with ``copy``) as one sequence, completing each."""
        count = len(msgs)
        seq_id = msgs[0].get("_msgid")
        for index, m in enumerate(msgs):
            out = clone_message(m) if copy else m
            parts = out.get("parts")
            if type(parts) is not dict:
                parts = out["parts"] = {}
            parts["id"] = seq_id
            parts["index"] = index
            parts["count"] = count
            self.send(out)
            self.done(m)

    def _too_many(self, msgs: list[dict]) -> None:
        for m in msgs:
            self.done(m, NodeError(TOO_MANY))

    # -- count -------------------------------------------------------------------------------
    def _count_input(self, msg: dict) -> Any:
        if "reset" in msg:
            self._pending = []
            self._pending_count = 0
            return PENDING  # as Node-RED: neither the reset msg nor the dropped ones complete
        queue = self._pending
        queue.append(msg)
        self._pending_count += 1
        if len(queue) == self._count:
            overlap = self._overlap
            self._send_sequence(queue, overlap > 0)
            self._pending = queue[-overlap:] if overlap else []
            self._pending_count = 0
        if 0 < self._max_kept < self._pending_count:
            held, self._pending, self._pending_count = self._pending, [], 0
            self._too_many(held)
        return PENDING

    # -- interval ----------------------------------------------------------------------------
    def _start_timer(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._interval, self._on_interval)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_interval(self) -> None:
        if self.closed:
            self._timer = None
            return
        self._start_timer()
        held, self._pending, self._pending_count = self._pending, [], 0
        try:
            if held:
                self._send_sequence(held, False)
            elif self._allow_empty:
                self.send({"payload": None, "parts": {"id": generate_id(), "index": 0, "count": 1}})
        except Exception as exc:  # reported on the node: a timer has no msg to fail
            self.error(exc)

    def _interval_input(self, msg: dict) -> Any:
        if "reset" in msg:
            self._stop_timer()
            held, self._pending, self._pending_count = self._pending, [], 0
            for m in held:
                self.done(m)
            self._start_timer()
            return PENDING  # as Node-RED: the reset msg itself is not completed
        self._pending.append(msg)
        self._pending_count += 1
        if 0 < self._max_kept < self._pending_count:
            held, self._pending, self._pending_count = self._pending, [], 0
            self.done(held.pop(), NodeError(TOO_MANY))
            for m in held:
                self.done(m)
        return PENDING

    # -- concat ------------------------------------------------------------------------------
    def _concat_input(self, msg: dict) -> Any:
        if "reset" in msg:
            self._by_topic = {}
            self._pending_count = 0
            return PENDING  # as Node-RED: neither the reset msg nor the dropped ones complete
        topic = msg.get("topic", UNDEFINED)
        if not any(_same(t, topic) for t in self._topics):
            return PENDING  # as Node-RED: ignored and never completed
        parts = msg.get("parts")
        if type(parts) is not dict or "id" not in parts or "index" not in parts or "count" not in parts:
            raise NodeError(NO_PARTS)
        groups = self._by_topic.setdefault(_key(topic), {})
        gid = _key(parts["id"])
        group = groups.get(gid)
        if group is None:
            group = groups[gid] = _Group()
        group.msgs.append(msg)
        if group.count is UNDEFINED:
            group.count = parts["count"]
        self._pending_count += 1
        if 0 < self._max_kept < self._pending_count:
            held = [m for gs in self._by_topic.values() for g in gs.values() for m in g.msgs]
            self._by_topic, self._pending_count = {}, 0
            self._too_many(held)
            return PENDING
        self._try_concat()
        return PENDING

    def _first_group(self, topic: Any) -> _Group | None:
        """The oldest sequence of ``topic`` when it is complete."""
        groups = self._by_topic.get(_key(topic))
        if not groups:
            return None
        group = next(iter(groups.values()))
        count = group.count
        if type(count) is bool or not isinstance(count, (int, float)) or count != len(group.msgs):
            return None
        return group

    def _try_concat(self) -> None:
        firsts = [self._first_group(t) for t in self._topics]
        if not firsts or any(g is None for g in firsts):
            return
        msgs = [m for g in firsts for m in g.msgs]
        for key in {_key(t) for t in self._topics}:  # a topic listed twice repeats its sequence
            groups = self._by_topic[key]
            del groups[next(iter(groups))]
        self._pending_count -= len({id(m) for m in msgs})
        self._send_sequence(msgs, True)
