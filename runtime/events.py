"""The runtime's outward interface: topics published to whoever listens (the /comms websocket).

The engine publishes; it never imports the HTTP layer. Topics and payloads are Node-RED's comms
topics (runtime/lib/api/comms.js): ``debug``, ``status/<node id>``,
``notification/runtime-state``, ``notification/runtime-deploy``. A retained topic keeps its last
value so that a client that subscribes later gets it replayed.
"""
from __future__ import annotations

from typing import Any, Callable

from .encode import encode_object

__all__ = ["EventHub", "Listener", "DebugSidebar"]

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


class DebugSidebar:
    """The editor's debug sidebar as the debug node sees it: the ``debug`` topic of an EventHub.

    As the debug node's ``sendDebug`` (21-debug.js): ``publish(data)`` encodes ``data``
    (``{id, z, path, name, topic, property, msg}``, ``msg`` any value) with
    runtime.encode.encode_object, cut to ``max_length`` characters (``debugMaxLength``), and
    publishes it. ``listening`` tells whether anybody listens (skip building the entry when
    not); ``tracing`` whether the msg trace (runtime.trace) is on, when an entry carries the
    msg's ``_msgid`` so that the editor can ask for its path. One per engine.
    """

    __slots__ = ("_hub", "_trace", "max_length")

    def __init__(self, hub: EventHub, trace: Any, max_length: int) -> None:
        self._hub = hub
        self._trace = trace
        self.max_length = max_length

    @property
    def listening(self) -> bool:
        """Whether any editor listens (as cheap as EventHub.has_listeners)."""
        return bool(self._hub._listeners)

    @property
    def tracing(self) -> bool:
        """Whether the msg trace records hops (debug entries then carry ``_msgid``)."""
        return self._trace.enabled

    def publish(self, data: dict) -> None:
        """Encode ``data`` and publish it on the ``debug`` topic."""
        self._hub.publish("debug", encode_object(data, self.max_length))
