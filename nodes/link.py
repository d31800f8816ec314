"""The ``link in``, ``link out`` and ``link call`` nodes: virtual wires, across tabs too.

As Node-RED's link nodes (nodes/core/common/60-link.js):

* ``link out`` in ``link`` mode sends each msg to the ``link in`` nodes listed in ``links``
  (the first gets the msg itself, the others clones); in ``return`` mode it sends the msg back
  to the ``link call`` (or function node, ``node.linkcall``) that sent it (the last entry of
  ``msg._linkSource``).
* ``link in`` passes what it receives to its wires.
* ``link call`` sends the msg to one ``link in`` (``links[0]``, or ``msg.target`` — an id or
  a unique name — with ``linkType: "dynamic"``), pushing ``{id, node}`` on
  ``msg._linkSource``, and sends on its output the msg a ``link out`` in return mode gives
  back. No return within ``timeout`` seconds (default 30) is an error ``timeout`` on the call
  node with the msg it sent.
"""
from __future__ import annotations

import asyncio
import secrets
from typing import Any

from pydantic import Field

from flowred import Node, NodeConfig, NodeError, clone_message, register
from flowred.fields import EmptyDefault


class LinkConfig(NodeConfig):
    """``links``: ids of the link nodes at the other end of the virtual wire."""

    links: EmptyDefault[list[str]] = []


class LinkOutConfig(LinkConfig):
    """``mode``: ``link`` (send to ``links``) or ``return`` (back to the calling link call).
    ``durable`` (FlowRed's own, ``link`` mode only): in a cluster, msgs travel to the ``link
    in`` nodes through a JetStream work queue, taken by one worker each and redelivered if
    that worker dies before the msg's path completes; running alone it is a plain link."""

    mode: str = "link"
    durable: bool = Field(False, description="Durable: in a cluster, through a JetStream work queue (at least once)")


class LinkCallConfig(LinkConfig):
    """``linkType``: ``static`` (``links[0]``) or ``dynamic`` (``msg.target``);
    ``timeout``: seconds to wait for the return (Node-RED writes it as a string)."""

    linkType: str = "static"
    timeout: EmptyDefault[float] = 30.0


@register("link in", category="common", color="#ddd", inputs=0, outputs=1)
class LinkInNode(Node):
    """Sends on every msg a ``link out`` or ``link call`` delivers to it."""

    Config = LinkConfig

    def on_input(self, msg: dict) -> None:
        self.send(msg)


@register("link out", category="common", color="#ddd", inputs=1, outputs=0)
class LinkOutNode(Node):
    """``link`` mode: each msg goes to the listed ``link in`` nodes (any tab). ``return`` mode:
    the msg goes back to the ``link call`` that sent it; without ``msg._linkSource`` the node
    warns ``No link-call node to return to``.

    ``durable`` (link mode, in a cluster: ``flowred run --cluster``): each msg is stored in the
    cluster's JetStream work queue, one copy per ``link in``, and handled by exactly one worker
    running that ``link in`` (at least once: a worker that dies before the msg's path completes
    has it redelivered to another after ``linkAckWait`` s). The msg travels as JSON (bytes kept);
    one holding ``msg.req``/``msg.res`` or a value JSON cannot hold is an error here, and so is
    a msg NATS did not store within ``linkSendTimeout`` s. The msg completes here once stored.
    Running alone, a durable link is a plain link."""

    Config = LinkOutConfig

    def __init__(self, config: LinkOutConfig, flow) -> None:
        super().__init__(config, flow)
        self._targets = tuple(config.links)
        self._returns = config.mode == "return"
        self._links: tuple[Node, ...] = ()
        self._missing = True  # some target was not running when last looked up
        self._durable = self.durable_links() if config.durable and not self._returns else None

    def start(self) -> None:
        if self._durable is not None:
            self._durable.attach(self)

    async def close(self, removed: bool) -> None:
        if self._durable is not None:
            await self._durable.detach(self)

    def _find_links(self) -> tuple[Node, ...]:
        """The running ``link in`` nodes of ``links`` (looked up as flow.getNode does)."""
        found = tuple(n for n in map(self.get_node, self._targets) if n is not None and n.type == "link in")
        self._missing = len(found) != len(self._targets)
        self._links = found
        return found

    def on_input(self, msg: dict) -> Any:
        if self._returns:
            self._return(msg)
            return None
        if self._durable is not None:
            return self._durable.send(self, msg)
        links = self._links
        # looked up again while a target is missing or was stopped (a redeploy replaced it)
        if self._missing:
            links = self._find_links()
        else:
            for target in links:
                if target.closed:
                    links = self._find_links()
                    break
        first = True
        for target in links:
            target.receive(msg if first else clone_message(msg))
            first = False

    def _return(self, msg: dict) -> None:
        stack = msg.get("_linkSource")
        if not isinstance(stack, list) or not stack:
            self.warn("No link-call node to return to")
            return
        event = stack.pop()
        if not stack:
            del msg["_linkSource"]
        caller = self.get_node(event.get("node")) if isinstance(event, dict) else None
        # a link call node, or a function node whose code called node.linkcall
        give_back = getattr(caller, "return_message", None)
        if not callable(give_back) or not give_back(event.get("id"), msg):
            self.warn("The link-call node this msg came from is no longer waiting for it")


@register("link call", category="common", color="#ddd", inputs=1, outputs=1)
class LinkCallNode(Node):
    """Calls a flow that starts with a ``link in`` and ends with a ``link out`` in return mode,
    and sends on the msg it returns. Errors: ``target link-in node '<t>' not found``,
    ``timeout`` (no return within ``timeout`` seconds)."""

    Config = LinkCallConfig

    def __init__(self, config: LinkCallConfig, flow) -> None:
        super().__init__(config, flow)
        self._dynamic = config.linkType == "dynamic"
        self._static = config.links[0] if config.links else None
        self._waiting: dict[str, tuple[dict, asyncio.TimerHandle]] = {}

    def on_input(self, msg: dict) -> Any:
        target = self._target(msg.get("target") if self._dynamic else self._static)
        event_id = secrets.token_hex(8)
        stack = msg.get("_linkSource")
        if not isinstance(stack, list):
            stack = msg["_linkSource"] = []
        stack.append({"id": event_id, "node": self.id})
        timer = asyncio.get_running_loop().call_later(self.config.timeout, self._timed_out, event_id)
        self._waiting[event_id] = (msg, timer)
        target.receive(msg)

    def _target(self, ref: Any) -> Node:
        node = self.get_node(ref) if isinstance(ref, str) else None
        if node is None and isinstance(ref, str) and self._dynamic:
            named = self.find_nodes("link in", ref)
            if len(named) > 1:
                raise NodeError(f"multiple link-in nodes named '{ref}'")
            node = named[0] if named else None
        if node is None or node.type != "link in":
            raise NodeError(f"target link-in node '{ref if ref is not None else ''}' not found")
        return node

    def return_message(self, event_id: Any, msg: dict) -> bool:
        """Send ``msg`` on as the answer to the call ``event_id``; False if not waiting for it."""
        waiting = self._waiting.pop(event_id, None)
        if waiting is None:
            return False
        waiting[1].cancel()
        self.send(msg)
        return True

    def _timed_out(self, event_id: str) -> None:
        waiting = self._waiting.pop(event_id, None)
        if waiting is not None:
            self.error("timeout", waiting[0])

    async def close(self, removed: bool) -> None:
        for _, timer in self._waiting.values():
            timer.cancel()
        self._waiting.clear()
