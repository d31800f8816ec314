"""Message trace: the recent hops of msgs through the flows, for the editor to show the path a
msg took. Node-RED has nothing like it.

Off by default. When on, the bus records ``(msgid, node id, time)`` for every delivery into a
bounded ring (``capacity`` hops, oldest dropped), so memory stays fixed under any load; when
off, delivery pays nothing for it (the bus checks once per drained batch, not per msg).
"""
from __future__ import annotations

import time
from collections import deque
from typing import Any

__all__ = ["MessageTrace"]


class MessageTrace:
    """A ring of the last ``capacity`` hops. ``record(msgid, node_id)`` is what the bus calls."""

    __slots__ = ("enabled", "hops", "capacity")

    def __init__(self, capacity: int = 20000, enabled: bool = False) -> None:
        self.capacity = capacity
        self.enabled = enabled
        self.hops: deque = deque(maxlen=capacity)

    def record(self, msgid: Any, node_id: str) -> None:
        self.hops.append((msgid, node_id, time.time()))

    def set_enabled(self, enabled: bool) -> None:
        """Switch recording on or off; switching it off forgets what was recorded."""
        self.enabled = enabled
        if not enabled:
            self.hops.clear()

    def path(self, msgid: str) -> list[dict]:
        """The hops of ``msgid`` in delivery order: ``[{node, time}]`` with ``time`` in epoch ms."""
        return [{"node": node_id, "time": int(t * 1000)} for mid, node_id, t in self.hops if mid == msgid]
