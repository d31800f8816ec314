"""Message delivery between nodes.

``Delivery`` is the one interface a node's ``send`` goes through, so that a durable broker could
carry some wires later without touching nodes. ``AsyncioBus`` is the in-process implementation:
one FIFO queue drained by the event loop in batches. As Node-RED's ``setImmediate`` per message,
a send never runs the receiver on the sender's stack (a 10,000-node chain cannot overflow the
stack), order is kept per wire (one queue), and the loop gets control back between batches so
timers and I/O keep running under load.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .node import Node
    from .trace import MessageTrace

__all__ = ["Delivery", "AsyncioBus"]


class Delivery(Protocol):
    """Deliver ``msg`` to ``node``'s input later, never on the caller's stack."""

    def deliver(self, node: "Node", msg: dict) -> None: ...


class AsyncioBus:
    """FIFO delivery on the running asyncio loop; ``batch`` messages per loop turn.

    A handler's exception is reported through ``node.error(exc, msg)`` and the drain goes on.
    With a MessageTrace that is enabled, each delivery is recorded before it is handled.
    """

    __slots__ = ("_queue", "_scheduled", "_loop", "batch", "deliver", "trace")

    def __init__(self, batch: int = 2000, trace: "MessageTrace | None" = None) -> None:
        self._queue: deque = deque()
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batch = batch
        self.deliver = self._deliver
        self.trace = trace

    def _deliver(self, node: "Node", msg: dict) -> None:
        self._queue.append((node, msg))
        if not self._scheduled:
            self._scheduled = True
            loop = self._loop
            if loop is None or loop.is_closed():
                loop = self._loop = asyncio.get_running_loop()
            loop.call_soon(self._drain)

    def _drain(self) -> None:
        queue = self._queue
        popleft = queue.popleft
        n = self.batch
        trace = self.trace
        if trace is not None and trace.enabled:
            record = trace.record
            while queue and n:
                n -= 1
                node, msg = popleft()
                record(msg.get("_msgid"), node.id)
                try:
                    node._handle(msg)
                except Exception as exc:  # a node's failure never stops delivery
                    node.error(exc, msg)
        while queue and n:
            n -= 1
            node, msg = popleft()
            try:
                node._handle(msg)
            except Exception as exc:  # a node's failure never stops delivery
                node.error(exc, msg)
        if queue:
            self._loop.call_soon(self._drain)
        else:
            self._scheduled = False

    def pending(self) -> int:
        """How many messages wait for delivery."""
        return len(self._queue)

    def discard(self, nodes: set) -> None:
        """Drop queued messages addressed to ``nodes`` (closed by a deploy)."""
        if self._queue:
            self._queue = deque(item for item in self._queue if item[0] not in nodes)
