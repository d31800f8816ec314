"""The UDP nodes: ``udp in`` (send on each datagram received on a port, unicast, broadcast
or multicast) and ``udp out`` (send ``msg.payload`` as a datagram).

As Node-RED's udp nodes (nodes/core/network/32-udp.js, 32-udp.html).
"""
from __future__ import annotations

import asyncio
import base64
import errno
import ipaddress
import socket
import struct
from typing import Any, Literal

from pydantic import Field, field_validator

from flowred import Node, NodeConfig, NodeError, register
from flowred.fields import EmptyDefault, Flag, OptionalPort, OrDefault, Port, TrimmedText
from flowred.jscompat import js_to_string
from flowred.nodes.common import LeaderGate, RunOn, b64decode

__all__ = ["UdpInConfig", "UdpInNode", "UdpOutConfig", "UdpOutNode"]

COLOR = "Silver"
ICON = "bridge-dash.svg"

# Node-RED's texts (locales/en-US/messages.json, "udp")
REUSE = "udp re-use socket: {outport} -> {host}:{port}"
READY = "udp ready: {outport} -> {host}:{port}"
READY_NOLOCAL = "udp ready: {host}:{port}"
BC_READY = "udp broadcast ready: {outport} -> {host}:{port}"
MC_READY = "udp multicast ready: {iface}:{outport} -> {host}:{port}"
ACCESS_ERROR = "UDP access error, you may need root access for ports below 1024"
ERROR = "error: {error}"
BAD_MCADDRESS = "Bad Multicast Address"
INTERFACE = "Must be ip address of the required interface"
IP_NOTSET = "udp: ip address not set"
PORT_NOTSET = "udp: port not set"
PORT_INVALID = "udp: port number not valid"
IF_NOT_FOUND = "udp: interface {iface} not found"

# udp in sockets by port, shared by the udp in nodes on one port and used by a udp out node
# whose local (or target) port is one of them, as Node-RED's udpInputPortsInUse.
_in_use: dict[int, "_Listener"] = {}


def _code(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno, str(exc)) if exc.errno else str(exc)


def _ipv(v: Any) -> str:
    return "udp6" if v == "udp6" else "udp4"


def _membership(sock: socket.socket, group: str, iface: str, ipv6: bool) -> str | None:
    """Join a multicast group on the interface ``iface`` (an address or a name; empty: any).
    Returns Node-RED's error text, or None."""
    try:
        if ipv6:
            index = socket.if_nametoindex(iface) if iface and ":" not in iface else 0
            mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", index)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        else:
            grp = socket.inet_aton(group)
            if iface and "." not in iface:
                mreq = grp + struct.pack("@4si", socket.inet_aton("0.0.0.0"), socket.if_nametoindex(iface))
            else:
                mreq = grp + socket.inet_aton(iface or "0.0.0.0")
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    except OSError as exc:
        if exc.errno == errno.EINVAL or exc.errno is None:
            return BAD_MCADDRESS
        if exc.errno in (errno.ENODEV, errno.EADDRNOTAVAIL, errno.ENXIO):
            return INTERFACE
        return ERROR.format(error=_code(exc))
    return None


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, listener: "_Listener") -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: Any) -> None:
        for node in list(self.listener.nodes):
            node.received(data, addr)

    def error_received(self, exc: Exception) -> None:
        for node in list(self.listener.nodes):
            node.log(f"udp : {exc}")


class _Listener:
    """A bound UDP socket and the udp in nodes reading from it."""

    def __init__(self, port: int, sock: socket.socket) -> None:
        self.port = port
        self.sock = sock
        self.nodes: list[UdpInNode] = []
        self.transport: asyncio.DatagramTransport | None = None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        else:
            self.sock.close()


class UdpInConfig(NodeConfig):
    """Node-RED's fields. ``port``: the port to listen on. ``ipv``: ``"udp4"`` or ``"udp6"``.
    ``multicast``: ``"true"`` joins the multicast ``group`` on the interface ``iface`` (an
    address or an interface name; empty: any). ``datatype``: ``"buffer"``, ``"utf8"`` or
    ``"base64"``."""

    iface: TrimmedText = ""
    port: Port = Field(..., description="The port to listen on.")
    ipv: str = "udp4"
    multicast: str = "false"
    group: TrimmedText = ""
    datatype: EmptyDefault[Literal["buffer", "utf8", "base64"]] = "buffer"
    runOn: OrDefault[RunOn] = Field("leader", title="Run on", description=(
        "In a cluster (flowred run --cluster): run on the leader only (default: a broadcast or multicast "
        "datagram reaches every worker, and would be handled once per worker) or on every worker."))

    @field_validator("ipv", mode="before")
    @classmethod
    def _ip_version(cls, v: Any) -> str:
        return _ipv(v)

    @field_validator("multicast", mode="before")
    @classmethod
    def _multicast(cls, v: Any) -> str:
        return "true" if v is True or v == "true" else "false"


@register("udp in", category="network", color=COLOR, inputs=0, outputs=1, icon=ICON)
class UdpInNode(Node):
    """Sends a msg for each UDP datagram received on ``port`` (every interface; ``ipv``
    ``udp6`` listens on IPv6 and IPv4), as Node-RED's udp nodes (32-udp.js).

    Output msg: ``payload`` (bytes, a UTF-8 string or a base64 string, by ``datatype``),
    ``fromip`` (``"<address>:<port>"`` of the sender), ``ip`` and ``port``. With "multicast
    messages" (``multicast: "true"``) the socket joins ``group`` on ``iface`` (an address or an
    interface name, shown as the status ``<iface> : <address>``). Two udp in nodes on one port
    share its socket and both get every datagram.

    Errors: "UDP access error, you may need root access for ports below 1024"; "error:
    <code>" (e.g. EADDRINUSE) when the port cannot be bound; "Bad Multicast Address", "Must be
    ip address of the required interface" when the group cannot be joined; "udp: interface
    <name> not found" (warning). The socket is closed when the node stops.
    """

    Config = UdpInConfig

    def __init__(self, config: UdpInConfig, flow) -> None:
        super().__init__(config, flow)
        self._listener: _Listener | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._gate = LeaderGate(self, self.config.runOn, self._start_input, self._stop_input)

    def _start_input(self) -> None:
        cfg = self.config
        listener = _in_use.get(cfg.port)
        if listener is not None:
            self.log(f"udp: port {cfg.port} already in use")
            listener.nodes.append(self)
            self._listener = listener
            return
        ipv6 = cfg.ipv == "udp6"
        sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if ipv6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.setblocking(False)
            sock.bind(("::" if ipv6 else "0.0.0.0", cfg.port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EACCES and cfg.port < 1024:
                self.error(ACCESS_ERROR)
            else:
                self.error(ERROR.format(error=_code(exc)))
            return
        if cfg.multicast == "true":
            iface = cfg.iface
            if iface and "." not in iface and ":" not in iface:
                try:
                    socket.if_nametoindex(iface)
                except OSError:
                    self.warn(IF_NOT_FOUND.format(iface=iface))
                    iface = ""
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            except OSError:
                pass
            problem = _membership(sock, cfg.group, iface, ipv6)
            if problem:
                self.error(problem)
            elif iface:
                self.status({"text": f"{cfg.iface} : {iface}"})
        listener = self._listener = _in_use[cfg.port] = _Listener(cfg.port, sock)
        listener.nodes.append(self)
        self._task = asyncio.get_running_loop().create_task(self._open(listener))

    async def _open(self, listener: _Listener) -> None:
        loop = asyncio.get_running_loop()
        try:
            listener.transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(listener),
                                                                        sock=listener.sock)
        except OSError as exc:
            self.error(ERROR.format(error=_code(exc)))
            return
        self.log(f"udp listener at {self.config.iface or '0.0.0.0'}:{listener.port}")

    def received(self, data: bytes, addr: Any) -> None:
        if self.closed:
            return
        dt = self.config.datatype
        if dt == "utf8":
            payload: Any = data.decode("utf-8", "replace")
        elif dt == "base64":
            payload = base64.b64encode(data).decode()
        else:
            payload = data
        ip, port = addr[0], addr[1]
        self.send({"payload": payload, "fromip": f"{ip}:{port}", "ip": ip, "port": port})

    async def close(self, removed: bool) -> None:
        await self._gate.close()

    async def _stop_input(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        listener = self._listener
        if listener is not None:
            if self in listener.nodes:
                listener.nodes.remove(self)
            if not listener.nodes:
                listener.close()
                if _in_use.get(listener.port) is listener:
                    del _in_use[listener.port]
            self._listener = None
            self.log("udp listener stopped")
        self.status({})


class UdpOutConfig(NodeConfig):
    """Node-RED's fields. ``addr``/``port``: where to send (empty: ``msg.ip``/``msg.port``).
    ``ipv``: ``"udp4"`` or ``"udp6"``. ``outport``: the local port to bind (empty: any).
    ``base64``: decode a string payload from base64 first. ``multicast``: ``"false"``
    (unicast), ``"broad"`` (broadcast allowed) or ``"multi"`` (``addr`` is a multicast group,
    sent on the interface ``iface``)."""

    addr: TrimmedText = ""
    iface: TrimmedText = ""
    port: OptionalPort = ""
    ipv: str = "udp4"
    outport: OptionalPort = ""
    base64: Flag = False
    multicast: str = "false"

    @field_validator("ipv", mode="before")
    @classmethod
    def _ip_version(cls, v: Any) -> str:
        return _ipv(v)

    @field_validator("multicast", mode="before")
    @classmethod
    def _multicast(cls, v: Any) -> str:
        if v in (None, "", False, "false"):
            return "false"
        if v not in ("broad", "multi"):
            raise ValueError(f"multicast must be false, broad or multi, got {v!r}")
        return v


@register("udp out", category="network", color=COLOR, inputs=1, outputs=0, icon=ICON)
class UdpOutNode(Node):
    """Sends ``msg.payload`` as one UDP datagram to ``addr``:``port`` (or ``msg.ip`` /
    ``msg.port`` when the node's are empty), as Node-RED's udp nodes (32-udp.js).

    The datagram holds the payload's bytes: bytes as they are, a string decoded from base64
    with ``base64``, anything else as JavaScript's ``String()`` in UTF-8. The socket is bound to
    ``outport`` when set (any free port otherwise); when a udp in node listens on ``outport``
    (or, without one, on ``port``) its socket is used, so replies come back to it. ``multicast``
    ``"broad"`` allows broadcast addresses; ``"multi"`` sends to the group ``addr`` (TTL 128)
    on the interface ``iface``. A msg without ``payload`` sends nothing.

    Errors (warnings): "udp: ip address not set", "udp: port not set", "udp: port number not
    valid"; a send that fails is reported as "udp : <error>" with the msg; "error: <code>"
    when ``outport`` cannot be bound.
    """

    Config = UdpOutConfig

    def __init__(self, config: UdpOutConfig, flow) -> None:
        super().__init__(config, flow)
        self._sock: socket.socket | None = None
        self._own = False

    def start(self) -> None:
        # after every node of the deploy has started, so that a udp in node's socket is known
        asyncio.get_running_loop().call_soon(self._setup)

    def _setup(self) -> None:
        if self._sock is not None or self.closed:
            return
        cfg = self.config
        local = cfg.outport or cfg.port or 0
        if local and local in _in_use:
            self._sock = _in_use[local].sock
            if cfg.multicast != "false":
                try:
                    self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                except OSError:
                    pass
            self.log(REUSE.format(outport=cfg.outport, host=cfg.addr, port=cfg.port))
            return
        ipv6 = cfg.ipv == "udp6"
        sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if cfg.outport != "":
                sock.bind(("::" if ipv6 else "0.0.0.0", cfg.outport))
            if cfg.multicast != "false":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            if cfg.multicast == "multi":
                if ipv6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 128)
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
                else:
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 128)
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
                    if cfg.iface and "." in cfg.iface:
                        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(cfg.iface))
                if cfg.iface:
                    self.status({"text": f"{cfg.iface} : {cfg.iface}"})
            if cfg.multicast == "multi":
                self.log(MC_READY.format(iface=cfg.iface, outport=cfg.outport, host=cfg.addr, port=cfg.port))
            elif cfg.multicast != "false":
                self.log(BC_READY.format(outport=cfg.outport, host=cfg.addr, port=cfg.port))
            elif cfg.outport != "":
                self.log(READY.format(outport=cfg.outport, host=cfg.addr, port=cfg.port))
            else:
                self.log(READY_NOLOCAL.format(host=cfg.addr, port=cfg.port))
        except OSError as exc:
            self.error(ERROR.format(error=_code(exc)))
        self._sock, self._own = sock, True

    async def on_input(self, msg: dict) -> None:
        self._setup()
        if "payload" not in msg or self._sock is None:
            return
        cfg = self.config
        addr = cfg.addr or msg.get("ip") or ""
        port = cfg.port or msg.get("port") or 0
        if addr == "":
            self.warn(IP_NOTSET)
            return
        if port == 0:
            self.warn(PORT_NOTSET)
            return
        try:
            port = int(port) if not isinstance(port, bool) else -1
        except (TypeError, ValueError):
            port = -1
        if not 1 <= port <= 65535:
            self.warn(PORT_INVALID)
            return
        payload = msg["payload"]
        if cfg.base64 and type(payload) is str:
            data = b64decode(payload)
        elif isinstance(payload, (bytes, bytearray, memoryview)):
            data = bytes(payload)
        else:
            data = js_to_string(payload).encode()
        host = str(addr)
        loop = asyncio.get_running_loop()
        try:
            try:
                ipaddress.ip_address(host)
            except ValueError:  # a name: resolve it without blocking the loop
                family = self._sock.family
                infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_DGRAM)
                if not infos:
                    raise OSError(f"getaddrinfo ENOTFOUND {host}") from None
                host = infos[0][4][0]
            if self._sock.family == socket.AF_INET6 and ":" not in host:
                host = "::ffff:" + host
            await loop.sock_sendto(self._sock, data, (host, port))
        except (OSError, OverflowError) as exc:
            raise NodeError(f"udp : {exc}") from exc

    async def close(self, removed: bool) -> None:
        if self._own and self._sock is not None:
            self._sock.close()
            self.log("udp output stopped")
        self._sock = None
        self.status({})
