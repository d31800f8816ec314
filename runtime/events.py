"""The runtime's outward interface: topics published to whoever listens (the /comms websocket).

The engine publishes; it never imports the HTTP layer. Topics and payloads are Node-RED's comms
topics (runtime/lib/api/comms.js): ``debug``, ``status/<node id>``,
``notification/runtime-state``, ``notification/runtime-deploy``. A retained topic keeps its last
value so that a client that subscribes later gets it replayed.
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["EventHub", "Listener"]

Listener = Callable[[str, Any], None]


class EventHub:
    """Publish/subscribe of runtime events, in process, synchronous and cheap.

    ``publish(topic, data, retain=False)`` calls every listener with ``(topic, data)``; a listener
    must not block (the comms layer only appends to a bounded queue). ``retain=True`` stores the
    value for ``retained()``; publishing ``None`` or ``{}`` with ``retain=True`` clears a retained
    status topic as Node-RED does for ``status/<id>`` with ``{}``.
    """

    __slots__ = ("_listeners", "_retained")

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._retained: dict[str, Any] = {}

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @property
    def has_listeners(self) -> bool:
        """Whether anybody listens: publishers may skip costly encoding when nobody does."""
        return bool(self._listeners)

    def publish(self, topic: str, data: Any, retain: bool = False) -> None:
        """Send ``data`` on ``topic`` to every listener, retaining it when asked."""
        if retain:
            if data is None or data == {}:
                self._retained.pop(topic, None)
            else:
                self._retained[topic] = data
        for listener in self._listeners:
            listener(topic, data)

    def is_retained(self, topic: str) -> bool:
        """Whether ``topic`` holds a retained value."""
        return topic in self._retained

    def retained(self) -> dict[str, Any]:
        """The retained topics and their last values (a copy)."""
        return dict(self._retained)

    def clear_retained(self, prefix: str) -> None:
        """Forget the retained topics starting with ``prefix`` (e.g. ``status/`` on a full deploy)."""
        for topic in [t for t in self._retained if t.startswith(prefix)]:
            del self._retained[topic]
