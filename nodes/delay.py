"""The ``delay`` node: delays each msg, or limits the rate of msgs passing through.

As Node-RED's delay node (nodes/core/function/89-delay.js, 89-delay.html).
"""
from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from itertools import count
from typing import Any, Callable, Literal

from pydantic import model_validator

from flowred import PENDING, Node, NodeConfig, register
from flowred.fields import Bool, EmptyDefault, NonNegative, OrDefault
from flowred.jscompat import js_parse_float

__all__ = ["DelayConfig", "DelayNode", "js_parse_float"]

UNIT_MS = {"milliseconds": 1, "seconds": 1000, "minutes": 60_000, "hours": 3_600_000, "days": 86_400_000}
RATE_UNIT_MS = {"second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
DEPTH_REPORT_S = 0.5  # Node-RED shows the queue length at most every 500 ms
TOO_MANY = "too many pending messages in delay node"



class DelayConfig(NodeConfig):
    """Delay node settings (Node-RED's defaults).

    ``pauseType``: ``delay`` (fixed ``timeout`` in ``timeoutUnits``), ``delayv`` (``msg.delay``
    ms, else ``timeout``), ``random`` (between ``randomFirst`` and ``randomLast`` in
    ``randomUnits``), ``rate`` (``rate`` msgs per ``nbRateUnits`` ``rateUnits``), ``burst``
    (at most ``rate`` msgs per period), ``queue``/``timed`` (rate limit per ``msg.topic``).
    Units: milliseconds, seconds, minutes, hours, days; rate units: second, minute, hour, day.
    ``drop``: rate mode discards (or, with ``outputs: 2``, sends on output 2) the msgs over the
    rate instead of queueing them. ``allowrate``: ``msg.rate`` (ms between msgs) may set the rate.
    """

    pauseType: OrDefault[Literal["delay", "delayv", "random", "rate", "burst", "queue", "timed"]] = "delay"
    timeout: NonNegative[float] = 5
    timeoutUnits: str = "seconds"
    rate: NonNegative[float] = 1
    nbRateUnits: NonNegative[float] = 1
    rateUnits: str = "second"
    randomFirst: NonNegative[float] = 1
    randomLast: NonNegative[float] = 5
    randomUnits: str = "seconds"
    drop: Bool = False
    allowrate: Bool = False
    outputs: EmptyDefault[int] = 1

    @model_validator(mode="after")
    def _positive_rate(self) -> "DelayConfig":
        if self.pauseType in ("rate", "queue", "timed") and self.rate == 0:
            raise ValueError("rate must be more than 0 msgs per period")
        return self


@register("delay", category="function", color="#E6E0F8", inputs=1, outputs=1, icon="timer.svg")
class DelayNode(Node):
    """Delays each msg passing through the node, or limits the rate at which they pass.

    Delay: each msg waits a fixed time, a random time, or ``msg.delay`` milliseconds (*set by
    msg.delay*). Rate limit: at most *rate* msgs per period; the rest are queued (sent one per
    interval), or dropped (or sent on output 2 when the node has two outputs). Per topic: the
    latest msg of each ``msg.topic`` is kept (a msg without topic gets ``"_none_"``); every
    interval the next topic's msg is sent (*send each topic in turn*) or all of them (*send all
    topics*). Burst: up to *rate* msgs pass at once, then none until the period is over.

    Input: ``msg.reset`` drops the msgs held without sending them; ``msg.flush`` sends them at
    once (a number sends that many); ``msg.toFront`` puts a msg at the head of the rate queue;
    ``msg.rate`` (ms between msgs) changes the rate when *allow msg.rate* is set. The status
    shows how many msgs are held. A queue longer than the ``nodeMessageBufferMaxLength``
    setting is emptied with the error "too many pending messages in delay node".
    """

    Config = DelayConfig

    def __init__(self, config: DelayConfig, flow) -> None:
        super().__init__(config, flow)
        self.mode = config.pauseType
        self.timeout = config.timeout * UNIT_MS.get(config.timeoutUnits, 1000)
        unit = RATE_UNIT_MS.get(config.rateUnits, 1000)
        per = config.nbRateUnits if config.nbRateUnits > 0 else 1
        self.fixed_rate = unit / config.rate * per if config.rate else math.inf  # ms between msgs
        self.rate = self.fixed_rate
        self.burst = config.rate
        self.burst_period = config.nbRateUnits * unit / 1000
        scale = UNIT_MS.get(config.randomUnits, 1000)
        self.random_first = config.randomFirst * scale
        self.random_span = config.randomLast * scale - self.random_first
        self.allow_rate = config.allowrate
        self.second_output = config.outputs == 2
        self.max_kept = self.setting("nodeMessageBufferMaxLength", 0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._held: dict[int, tuple[asyncio.TimerHandle, dict]] = {}  # delay modes, in arrival order
        self._keys = count()
        self._buffer: deque[dict] = deque()  # rate and topic modes
        self._ticker: asyncio.TimerHandle | None = None
        self._tick_fn: Callable[[], None] = self._send_from_buffer
        self._last_sent: float | None = None
        self._depth: asyncio.TimerHandle | None = None
        self._burst_timers: deque[asyncio.TimerHandle] = deque()
        self._inflight = 0
        self._shown: dict | None = None
        # whether the status shows how many msgs wait (Node-RED: only for delays over a second)
        self._count_held = (self.mode == "delayv" or (self.mode == "delay" and self.timeout > 1000)
                            or (self.mode == "random" and self.timeout >= 1000))
        if self.mode in ("delay", "delayv", "random"):
            self._input = self._delay_input
        elif self.mode == "rate":
            self._input = self._drop_input if config.drop else self._queue_input
        elif self.mode == "burst":
            self._input = self._burst_input
        else:
            self._input = self._topic_input
            self._tick_fn = self._send_next_topic if self.mode == "queue" else self._send_all_topics

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.mode in ("queue", "timed"):
            self._start_ticker()
        elif self.mode == "burst":
            self._status({"fill": "green", "shape": "ring", "text": ""})

    def on_input(self, msg: dict) -> Any:
        return self._input(msg)

    async def close(self, removed: bool) -> None:
        self._stop_ticker()
        if self._depth is not None:
            self._depth.cancel()
        for handle in self._burst_timers:
            handle.cancel()
        self._cancel_held()
        self._drop_buffer()
        self._status({})

    # -- delay, delayv, random -------------------------------------------------------------
    def _delay_input(self, msg: dict) -> Any:
        held = not (len(msg) == 2 and "flush" in msg)
        if held:
            key = next(self._keys)
            handle = self._loop.call_later(self._wait(msg) / 1000, self._release, key)
            self._held[key] = (handle, msg)
        if "reset" in msg:
            self._clear_held()
            if self.mode == "delay":
                return PENDING if held else None
        if "flush" in msg:
            self._flush_held(msg["flush"])
            if self.mode == "delay":
                return PENDING if held else None
        if self._count_held:
            self._show_count()
        return PENDING if held else None

    def _wait(self, msg: dict) -> float:
        """Milliseconds this msg waits."""
        if self.mode == "delay":
            return self.timeout
        if self.mode == "random":
            return self.random_first + self.random_span * random.random()
        wait = self.timeout
        if "delay" in msg:
            given = js_parse_float(msg["delay"])
            if given is not None:
                wait = given
        return max(wait, 0.0)

    def _release(self, key: int) -> None:
        _, msg = self._held.pop(key)
        if self._count_held:
            self._show_count()
        self.send(msg)
        self.done(msg)

    def _clear_held(self) -> None:
        self._cancel_held()
        self._status({"fill": "blue", "shape": "ring", "text": 0})

    def _cancel_held(self) -> None:
        """Drop every delayed msg unsent; each is done."""
        held = list(self._held.values())
        self._held.clear()
        for handle, m in held:
            handle.cancel()
            self.done(m)

    def _flush_held(self, flush: Any) -> None:
        for key in list(self._held)[:_flush_count(flush, len(self._held))]:
            self._held[key][0].cancel()
            self._release(key)
        self._show_count()

    def _show_count(self) -> None:
        self._status({"fill": "blue", "shape": "dot", "text": len(self._held)})

    # -- rate: queue or drop ---------------------------------------------------------------
    def _queue_input(self, msg: dict) -> Any:
        has_flush = "flush" in msg
        flush = msg.pop("flush", None)
        held = False
        if len(msg) > 1:
            new_rate = self._msg_rate(msg)
            if self._ticker is not None:
                if new_rate is not None and new_rate != self.rate:
                    self.rate = new_rate
                    self._start_ticker()
                if self.max_kept and len(self._buffer) >= self.max_kept:
                    self._drop_buffer()
                    self.error(TOO_MANY, msg)
                    return PENDING
                if msg.get("toFront") is True:
                    self._buffer.appendleft(msg)
                else:
                    self._buffer.append(msg)
                held = True
                self._report_depth()
            else:
                if new_rate is not None:
                    self.rate = new_rate
                if "reset" not in msg:
                    self.send(msg)
                elif has_flush:
                    self._buffer.append(msg)
                    held = True
                self._report_depth()
                self._start_ticker()
        if has_flush:
            n = _flush_count(flush, len(self._buffer))
            if n == 0:
                self._stop_ticker()
            else:
                for _ in range(n):
                    m = self._buffer.popleft()
                    m.pop("reset", None)
                    if len(m) > 1:
                        self.send(m)
                    self.done(m)
                self._start_ticker()
            self._status({"fill": "blue", "shape": "dot", "text": len(self._buffer)})
        if "reset" in msg:
            self._reset_rate(has_flush)
        return PENDING if held else None

    def _drop_input(self, msg: dict) -> None:
        if "reset" in msg:
            self._reset_rate("flush" in msg)
            return
        new_rate = self._msg_rate(msg)
        if new_rate is not None:
            self.rate = new_rate
        now = time.monotonic()
        if self._last_sent is None or (now - self._last_sent) * 1000 > self.rate:
            self._last_sent = now
            self.send(msg)
        elif self.second_output:
            self.send([None, msg])

    def _msg_rate(self, msg: dict) -> float | None:
        """``msg.rate`` in ms when the node allows it and it is a number, else None."""
        if self.allow_rate and "rate" in msg:
            rate = js_parse_float(msg["rate"])
            return None if rate is None else max(rate, 1.0)
        return None

    def _reset_rate(self, keep_running: bool) -> None:
        if not keep_running:
            self._stop_ticker()
            self._last_sent = None
        self._drop_buffer()
        self.rate = self.fixed_rate
        self._status({"fill": "blue", "shape": "ring", "text": 0})

    def _send_from_buffer(self) -> None:
        if not self._buffer:
            self._stop_ticker()
        else:
            m = self._buffer.popleft()
            if len(m) > 1:
                self.send(m)
            self.done(m)
        self._report_depth()

    # -- burst -----------------------------------------------------------------------------
    def _burst_input(self, msg: dict) -> None:
        if "reset" in msg:
            for handle in self._burst_timers:
                handle.cancel()
            self._burst_timers.clear()
            self._inflight = 0
            self._status({"fill": "green", "shape": "ring", "text": ""})
            return
        if self._inflight < self.burst:
            self._inflight += 1
            self.send(msg)
            self._burst_timers.append(self._loop.call_later(self.burst_period, self._burst_over))
        else:
            if self.second_output:
                self.send([None, msg])
            self._status({"fill": "red", "shape": "dot", "text": ""})

    def _burst_over(self) -> None:
        self._burst_timers.popleft()
        if self._inflight == self.burst:
            self._status({"fill": "green", "shape": "ring", "text": ""})
        self._inflight -= 1

    # -- per topic: queue, timed -----------------------------------------------------------
    def _topic_input(self, msg: dict) -> Any:
        new_rate = self._msg_rate(msg)
        if new_rate is not None and new_rate != self.rate:
            self.rate = new_rate
            self._start_ticker()
        if "topic" not in msg:
            msg["topic"] = "_none_"
        topic = msg["topic"]
        buffer = self._buffer
        for i, queued in enumerate(buffer):
            if _same_topic(queued["topic"], topic):
                if self.second_output:
                    self.send([None, queued])
                self.done(queued)
                buffer[i] = msg
                break
        else:
            buffer.append(msg)
            self._report_depth()
        if "flush" in msg:
            for _ in range(_flush_count(msg["flush"], len(buffer))):
                m = buffer.popleft()
                m.pop("flush", None)
                m.pop("reset", None)
                if len(m) > 2:
                    self.send(m)
                self.done(m)
            self._status({})
        if "reset" in msg:
            self._drop_buffer()
            if self.rate != self.fixed_rate:
                self.rate = self.fixed_rate
                self._start_ticker()
            self._status({"text": "reset"})
        return PENDING

    def _send_next_topic(self) -> None:
        if self._buffer:
            m = self._buffer.popleft()
            self.send(m)
            self.done(m)
        self._report_depth()

    def _send_all_topics(self) -> None:
        while self._buffer:
            m = self._buffer.popleft()
            self.send(m)
            self.done(m)
        self._report_depth()

    # -- shared ----------------------------------------------------------------------------
    def _start_ticker(self) -> None:
        """(Re)start the interval timer: ``_tick_fn`` every ``rate`` ms (setInterval)."""
        self._stop_ticker()
        self._ticker = self._loop.call_later(self.rate / 1000, self._tick)

    def _tick(self) -> None:
        self._ticker = self._loop.call_later(self.rate / 1000, self._tick)
        self._tick_fn()

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def _drop_buffer(self) -> None:
        dropped = list(self._buffer)
        self._buffer.clear()
        for m in dropped:
            self.done(m)

    def _report_depth(self) -> None:
        if self._depth is None:
            self._depth = self._loop.call_later(DEPTH_REPORT_S, self._show_depth)

    def _show_depth(self) -> None:
        self._depth = None
        self._status({"fill": "blue", "shape": "dot", "text": len(self._buffer)})

    def _status(self, status: dict) -> None:
        if status != self._shown:
            self._shown = status
            self.status(status)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v


def _flush_count(flush: Any, available: int) -> int:
    """How many held msgs a ``msg.flush`` releases: all of them, or as many as the number it
    gives (rounded down)."""
    if not _is_number(flush) or flush >= available:
        return available
    return math.floor(flush) if flush > 0 else 0


def _same_topic(a: Any, b: Any) -> bool:
    """JavaScript ``===`` on topics: equal text or numbers; objects only when the same one."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return _is_number(a) and _is_number(b) and a == b
