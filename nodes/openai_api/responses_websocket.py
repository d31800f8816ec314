"""``manageModelResponseWebSocket``: the Responses websocket sessions of one OpenAI API node.

As ``@inductiv/node-red-openai-api`` 6.34.0 (src/responses/methods.js and websocket.js), on
openai-python's ``client.responses.connect()``. The request (``msg.payload``, or the node's
property) is ``{action, connection_id, event?, code?, reason?}``:

- ``connect`` opens a websocket to ``<apiBase>/responses`` (``ws://``/``wss://``) with the
  Service Host's auth (Bearer key, the key in another header, or in the query) and answers
  ``{object: "response.websocket.connection", action: "connect", connection_id, url}``;
- ``send`` sends ``event`` (an object whose ``type`` is ``response.create``) and answers
  ``{object: "response.websocket.client_event", action: "send", connection_id, event_type}``;
- ``close`` closes it with ``code`` (1000) and ``reason`` ("OK") and answers
  ``{object: "response.websocket.connection", action: "close", connection_id, code, reason}``.

Every server event is sent on as a new msg ``{payload: event, openai: {transport:
"responses.websocket", direction: "server", connection_id, event_type}}`` (``payload`` being the
node's output property). Sessions are the node's own, by ``connection_id``; closing the node
(redeploy, stop) closes each with 1000 "Node-RED node closed". A server that closes the socket
ends its session without a msg, as the package. Errors of an action are NodeErrors with the
package's text (e.g. ``msg.payload.action must be one of 'connect', 'send', or 'close'``); a
handshake the server refuses is ``Unexpected server response: <status>`` with OpenAI's error
fields, a refused connection ``connect ECONNREFUSED <host>:<port>`` (ws' texts, which the
package reports). A server event that is not JSON is reported on the node without a msg:
``Could not parse Responses websocket event``.
"""
from __future__ import annotations

import asyncio
import errno
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flowred import Node, NodeError, set_msg_property

from .errors import local_error
from .redaction import redact, redact_value

if TYPE_CHECKING:
    from openai import AsyncOpenAI

ACTIONS = ("connect", "send", "close")
NODE_CLOSED = (1000, "Node-RED node closed")
"""The close code and reason of the sessions a closing node ends (the package's cleanup handler)."""
CLOSE_TIMEOUT = 5.0
"""Seconds a close waits for the server's close frame before dropping the connection."""
_VALID_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, *range(1007, 1015), *range(3000, 5000)})


class ResponsesWebSockets:
    """The open Responses websocket sessions of ``node``, by ``connection_id``; server events
    go out of ``node`` with the event at ``output`` (a msg property path)."""

    def __init__(self, node: Node, output: str) -> None:
        self._node = node
        self._output = output
        self._sessions: dict[str, _Session] = {}
        self._closed = False

    async def handle(self, client: AsyncOpenAI, request: Any) -> dict[str, Any]:
        """Runs the request's action; returns its acknowledgement (the msg's new payload), which
        the caller sends before it next awaits (the server's answers to a ``send`` follow it).
        Raises NodeError for a request the package refuses or a connection that fails."""
        payload = request if isinstance(request, dict) else {}
        action = payload.get("action")
        if action not in ACTIONS:
            raise local_error("msg.payload.action must be one of 'connect', 'send', or 'close'", "invalid_action",
                              "action")
        connection_id = payload.get("connection_id")
        if not isinstance(connection_id, str) or not connection_id.strip():
            raise local_error("msg.payload.connection_id must be a non-empty string", "invalid_connection_id",
                              "connection_id")
        if action == "connect":
            return await self._connect(client, connection_id)
        if action == "send":
            return await self._send(connection_id, payload.get("event"))
        return await self._close(connection_id, payload)

    async def close_all(self) -> None:
        """Closes every session with 1000 "Node-RED node closed" (node close, redeploy)."""
        self._closed = True
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(s.close(*NODE_CLOSED) for s in sessions), return_exceptions=True)

    async def _connect(self, client: AsyncOpenAI, connection_id: str) -> dict[str, Any]:
        if connection_id in self._sessions:
            raise local_error(f"Responses websocket connection '{connection_id}' is already open on this node",
                              "connection_open", "connection_id")
        session = self._sessions[connection_id] = _Session()  # held while connecting: a second connect fails
        try:
            session.connection = await client.responses.connect(
                extra_headers=_auth_override(client), websocket_connection_options=_options(client)).enter()
        except BaseException as exc:
            self._forget(connection_id, session)
            if isinstance(exc, Exception) and not isinstance(exc, NodeError):
                converted = connect_error(exc)
                if converted is not None:
                    raise converted from None
            raise
        if self._closed:  # the node closed while the handshake ran
            await session.close(*NODE_CLOSED)
            raise local_error(f"Responses websocket connection '{connection_id}' is not open on this node",
                              "connection_not_open", "connection_id")
        session.reader = asyncio.get_running_loop().create_task(self._read(connection_id, session))
        return {"object": "response.websocket.connection", "action": "connect", "connection_id": connection_id,
                "url": redact(websocket_url(client))}

    async def _send(self, connection_id: str, event: Any) -> dict[str, Any]:
        session = self._open(connection_id)
        if not isinstance(event, dict):
            raise local_error("msg.payload.event must be an object", "invalid_event", "event")
        if event.get("type") != "response.create":
            raise local_error("msg.payload.event.type must be 'response.create'", "invalid_event_type", "event.type")
        from websockets.exceptions import ConnectionClosed

        session.released.clear()  # events the server answers with go out after this acknowledgement
        try:
            await session.connection.send(event)
        except ConnectionClosed:
            self._forget(connection_id, session)
            raise _not_open(connection_id) from None
        finally:
            asyncio.get_running_loop().call_soon(session.released.set)  # runs once the caller has sent the ack
        return {"object": "response.websocket.client_event", "action": "send", "connection_id": connection_id,
                "event_type": event["type"]}

    async def _close(self, connection_id: str, payload: dict) -> dict[str, Any]:
        session = self._open(connection_id)
        code = payload.get("code")
        code = 1000 if code is None else code
        reason = payload.get("reason")
        reason = "OK" if reason is None else reason
        if isinstance(code, bool) or not isinstance(code, (int, float)) or code not in _VALID_CLOSE_CODES:
            raise local_error("First argument must be a valid error code number", "invalid_close_code", "code")
        sent_reason = reason if isinstance(reason, str) else ""  # ws sends no reason for a non-string
        if len(sent_reason.encode()) > 123:
            raise local_error("The message must not be greater than 123 bytes", "invalid_close_reason", "reason")
        self._forget(connection_id, session)
        await session.close(int(code), sent_reason)
        return {"object": "response.websocket.connection", "action": "close", "connection_id": connection_id,
                "code": code, "reason": reason}

    def _open(self, connection_id: str) -> _Session:
        session = self._sessions.get(connection_id)
        if session is None or session.connection is None:
            raise _not_open(connection_id)
        return session

    def _forget(self, connection_id: str, session: _Session) -> None:
        if self._sessions.get(connection_id) is session:
            del self._sessions[connection_id]

    async def _read(self, connection_id: str, session: _Session) -> None:
        """Sends each server event of ``session`` on as a msg, until the socket closes."""
        from websockets.exceptions import ConnectionClosed

        node, output = self._node, self._output
        try:
            while True:
                data = await session.connection.recv_bytes()
                if not session.released.is_set():
                    await session.released.wait()
                try:
                    event = json.loads(data)
                except ValueError:
                    node.error(NodeError("Could not parse Responses websocket event", type="invalid_event",
                                         code="invalid_json", connection_id=connection_id))
                    continue
                meta = {"transport": "responses.websocket", "direction": "server", "connection_id": connection_id}
                kind = event.get("type") if isinstance(event, dict) else None
                if kind is not None:
                    meta["event_type"] = kind
                msg: dict[str, Any] = {}
                set_msg_property(msg, output, event)
                msg["openai"] = meta
                node.send(msg)
        except ConnectionClosed:
            pass
        except Exception as exc:  # a broken socket: the package's "error" listener reports it on the node
            node.error(NodeError(redact(str(exc) or type(exc).__name__), type="connection_error",
                                 code=type(exc).__name__, connection_id=connection_id))
        finally:
            self._forget(connection_id, session)


class _Session:
    """One websocket: the SDK's connection (None while connecting), the task reading it, and
    ``released``, clear while a ``send`` runs so that its acknowledgement goes out before the
    events answering it (as the package's msgs come)."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.reader: asyncio.Task | None = None
        self.released = asyncio.Event()
        self.released.set()

    async def close(self, code: int, reason: str) -> None:
        """Sends the close frame, waits for the server's (at most CLOSE_TIMEOUT s), ends the reader."""
        if self.connection is not None:
            try:
                await self.connection.close(code=code, reason=reason)
            finally:
                reader = self.reader
                if reader is not None and not reader.done():
                    try:
                        await asyncio.wait_for(asyncio.shield(reader), CLOSE_TIMEOUT)
                    except (asyncio.TimeoutError, asyncio.CancelledError):
                        reader.cancel()


def _not_open(connection_id: str) -> NodeError:
    return local_error(f"Responses websocket connection '{connection_id}' is not open on this node",
                       "connection_not_open", "connection_id")


def websocket_url(client: AsyncOpenAI) -> str:
    """The URL the SDK opens, as the package reports it: ``<base URL>/responses`` with the
    client's default query (the key, in query mode) and ``ws``/``wss`` for ``http``/``https``."""
    scheme, host, path, query, _ = urlsplit(str(client.base_url))
    extra = urlencode({k: v for k, v in client.default_query.items() if isinstance(v, str)})
    query = "&".join(q for q in (query, extra) if q)
    return urlunsplit(({"http": "ws", "https": "wss"}.get(scheme, scheme), host, path.rstrip("/") + "/responses",
                       query, ""))


def _auth_override(client: AsyncOpenAI) -> dict[str, Any]:
    """Extra handshake headers: none, or ``Authorization`` omitted when the Service Host sends
    the key in another header or in the query (the SDK's websocket handshake would add the
    Bearer header too; the package sends none then)."""
    key = client.api_key
    elsewhere = key in client.default_query.values() or any(
        value == key for name, value in client.default_headers.items() if name.lower() != "authorization")
    if not elsewhere:
        return {}
    from openai import omit

    return {"Authorization": omit}


def _options(client: AsyncOpenAI) -> dict[str, Any]:
    """websockets' connect options: the Service Host's timeout for the handshake, CLOSE_TIMEOUT."""
    timeout = client.timeout
    options: dict[str, Any] = {"close_timeout": CLOSE_TIMEOUT}
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        options["open_timeout"] = float(timeout)
    return options


def connect_error(exc: Exception) -> NodeError | None:
    """The NodeError for a failed handshake, with ws' text as the package reports it; None for
    an exception that is not about the connection (it is raised as it is).

    A refused handshake (``websockets.InvalidStatus``): ``Unexpected server response: <status>``
    with ``status`` and OpenAI's ``type``/``code``/``param`` from the body, ``request_id`` from
    ``x-request-id``. An unreachable server (``OSError``): ``connect <ERRNO> <host>:<port>`` as
    Node.js says it (``connect ECONNREFUSED 127.0.0.1:9``), type ``connection_error``. No answer
    to the handshake within the Service Host's timeout: ``Opening handshake has timed out``,
    type ``timeout``. Other handshake failures: their text, type ``connection_error``."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

    details: dict[str, Any] = {"status": None, "type": "connection_error", "code": None, "param": None,
                               "request_id": None}
    if isinstance(exc, InvalidStatus):
        response = exc.response
        error = _body_error(response.body)
        details.update(status=response.status_code, type=error.get("type"), code=error.get("code"),
                       param=error.get("param"), request_id=response.headers.get("x-request-id"))
        text = f"Unexpected server response: {response.status_code}"
    elif isinstance(exc, TimeoutError):
        text = "Opening handshake has timed out"
        details.update(type="timeout", code="timeout")
    elif isinstance(exc, OSError):
        name = errno.errorcode.get(exc.errno or 0) or _errno_of(exc)
        where = _address(exc)
        text = f"connect {name} {where}" if name and where else str(exc) or type(exc).__name__
        details.update(code=name or type(exc).__name__)
    elif isinstance(exc, (InvalidHandshake, InvalidURI)):
        text = str(exc)
        details.update(code=type(exc).__name__)
    else:
        return None
    return NodeError(redact(text), **{k: redact_value(v) for k, v in details.items()})


def _body_error(body: Any) -> dict[str, Any]:
    try:
        error = json.loads(bytes(body or b"")).get("error")
    except (ValueError, AttributeError, TypeError):
        return {}
    return error if isinstance(error, dict) else {}


def _errno_of(exc: OSError) -> str | None:
    """The errno name of an OSError that wraps others (asyncio's "Multiple exceptions")."""
    for inner in getattr(exc, "exceptions", ()) or ():
        if isinstance(inner, OSError) and inner.errno in errno.errorcode:
            return errno.errorcode[inner.errno]
    return None


def _address(exc: OSError) -> str | None:
    """``host:port`` from the text of a connect error (``... connect call failed ('127.0.0.1', 9)``)."""
    text = str(exc)
    start, end = text.rfind("("), text.rfind(")")
    if start < 0 or end < start:
        return None
    parts = [p.strip().strip("'\"") for p in text[start + 1:end].split(",")]
    return f"{parts[0]}:{parts[1]}" if len(parts) >= 2 and parts[1].isdigit() else None
