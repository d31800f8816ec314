"""tcp in / tcp out / tcp request (31-tcpin.js) through deployed flows with real loopback
sockets: server stream and single modes, delimited strings, replies by _session, client
connections, every tcp request mode, redeploys closing the sockets."""
from __future__ import annotations

import asyncio
import json
import socket

import pytest

from conftest import TEST_TAB, feeder, free_port, make_node

HOST = "127.0.0.1"


def tcp_in(id_: str, port: int, wires, server: str = "server", host: str = "", datamode: str = "stream",
           datatype: str = "buffer", newline: str = "", trim: bool = False, topic: str = "") -> dict:
    return make_node(id_, "tcp in", [list(wires)], server=server, host=host, port=str(port), datamode=datamode,
                     datatype=datatype, newline=newline, topic=topic, trim=trim, base64=False, tls="")


def tcp_out(id_: str, beserver: str, port: int | str = "", host: str = "", base64: bool = False,
            end: bool = False) -> dict:
    return make_node(id_, "tcp out", [], host=host, port=str(port), beserver=beserver, base64=base64, end=end,
                     tls="")


def tcp_request(id_: str, port: int | str, out: str, splitc: str, ret: str = "buffer", server: str = HOST,
                newline: str = "", trim: bool = False) -> dict:
    return make_node(id_, "tcp request", [["d1"]], server=server, port=str(port), out=out, ret=ret, splitc=splitc,
                     newline=newline, trim=trim, tls="")


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full", statusVal="", statusType="auto")


def msgs(data: list[dict]) -> list[dict]:
    return [json.loads(d["msg"]) for d in data]


def buffer(b: bytes) -> dict:
    return {"type": "Buffer", "data": list(b), "__enc__": True, "length": len(b)}


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    for _ in range(50):
        try:
            return await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.02)
    raise AssertionError(f"nothing listens on {port}")


async def read_exactly(reader: asyncio.StreamReader, n: int) -> bytes:
    return await asyncio.wait_for(reader.readexactly(n), 2)


def status_text(node_id: str, text: str):
    return lambda m: m["topic"] == "status/" + node_id and m["data"].get("text") == text


async def test_server_stream_of_lines_and_reply_to_the_sender_only(start_runtime):
    port = free_port()
    rt = await start_runtime([TEST_TAB, tcp_in("tin", port, ["tout", "d1"], datatype="utf8", newline="\\n",
                                               topic="lines"),
                              tcp_out("tout", "reply"), debug()])
    comms = await rt.comms()
    r1, w1 = await connect(port)
    r2, w2 = await connect(port)
    await comms.wait_for(status_text("tin", "2 connections"))
    w1.write(b"hello\nwor")
    await w1.drain()
    await asyncio.sleep(0.05)
    w1.write("ld ✓\npartial".encode())
    assert await read_exactly(r1, len("helloworld ✓".encode())) == "helloworld ✓".encode()
    first, second = msgs(await comms.debug(2))
    assert first["payload"] == "hello" and second["payload"] == "world ✓"
    # the listener is dual-stack as Node's server.listen(port): an IPv4 peer is ::ffff:<ip>
    assert first["topic"] == "lines" and first["ip"] == "::ffff:" + HOST
    assert first["port"] == w1.get_extra_info("sockname")[1]
    assert first["_session"]["type"] == "tcp" and first["_session"] == second["_session"]
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(r2.read(10), 0.2)
    # the rest after the last delimiter goes out when the client ends
    w1.write_eof()
    [rest] = msgs(await comms.debug(3))[2:]
    assert rest["payload"] == "partial"
    await comms.wait_for(status_text("tin", "1 connection"))
    w1.close()
    w2.close()


async def test_server_stream_trim_reattaches_the_delimiter_and_buffers_pass_through(start_runtime):
    port, port2 = free_port(), free_port()
    rt = await start_runtime([TEST_TAB, tcp_in("tin", port, ["d1"], datatype="utf8", newline="\\r\\n", trim=True),
                              tcp_in("tin2", port2, ["d1"]), debug()])
    comms = await rt.comms()
    _, w = await connect(port)
    w.write(b"a\r\nb\r\n")
    assert [m["payload"] for m in msgs(await comms.debug(2))] == ["a\r\n", "b\r\n"]
    _, w2 = await connect(port2)
    w2.write(b"\x00\x01\xff")
    [m] = msgs(await comms.debug(3))[2:]
    assert m["payload"] == buffer(b"\x00\x01\xff")
    w.close()
    w2.close()


@pytest.mark.parametrize("datatype, expected", [("buffer", buffer(b"one-two")), ("utf8", "one-two"),
                                                ("base64", "b25lLXR3bw==")])
async def test_server_single_sends_everything_when_the_client_ends(start_runtime, datatype, expected):
    port = free_port()
    rt = await start_runtime([TEST_TAB, tcp_in("tin", port, ["d1"], datamode="single", datatype=datatype), debug()])
    comms = await rt.comms()
    _, w = await connect(port)
    w.write(b"one-")
    await w.drain()
    await asyncio.sleep(0.05)
    w.write(b"two")
    await w.drain()
    await asyncio.sleep(0.1)
    assert comms.topic("debug") == []
    w.write_eof()
    [m] = msgs(await comms.debug(1))
    assert m["payload"] == expected and m["_session"]["type"] == "tcp"
    w.close()


async def test_tcp_out_reply_without_session_writes_to_every_connection_and_base64(start_runtime):
    port = free_port()
    rt = await start_runtime([TEST_TAB, tcp_in("tin", port, []), tcp_out("tout", "reply", base64=True),
                              feeder("f1", "tout"), debug()])
    comms = await rt.comms()
    r1, w1 = await connect(port)
    r2, w2 = await connect(port)
    await comms.wait_for(status_text("tin", "2 connections"))
    await rt.inject("f1", {"payload": "aGk="})
    assert [await read_exactly(r, 2) for r in (r1, r2)] == [b"hi", b"hi"]
    await rt.inject("f1", {"payload": "aGk=", "_session": {"type": "tcp", "id": "gone"}})
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(r1.read(10), 0.2)
    w1.close()
    w2.close()


async def test_tcp_out_client_writes_and_reconnects_after_end(start_runtime):
    got: list[bytes] = []
    conns: list[asyncio.Event] = []
    done = asyncio.Event()

    async def handle(reader, writer):
        conns.append(asyncio.Event())
        data = await reader.read()  # until the client closes
        got.append(data)
        done.set()
        writer.close()

    server = await asyncio.start_server(handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    rt = await start_runtime([TEST_TAB, tcp_out("tout", "client", port=port, host=HOST, end=True),
                              feeder("f1", "tout")])
    comms = await rt.comms()
    await comms.wait_for(status_text("tout", "connected"))
    await rt.inject("f1", {"payload": {"a": 1}})
    await asyncio.wait_for(done.wait(), 2)
    done.clear()
    await comms.wait_for(status_text("tout", "connected"), count=2)
    await rt.inject("f1", {"payload": 42})
    await asyncio.wait_for(done.wait(), 2)
    assert got == [b"[object Object]", b"42"] and len(conns) == 2
    await rt.deploy([TEST_TAB])
    server.close()
    await server.wait_closed()


async def test_tcp_out_client_reconnects_when_the_server_drops(start_runtime):
    writers: list[asyncio.StreamWriter] = []
    received = asyncio.Queue()

    async def handle(reader, writer):
        writers.append(writer)
        while data := await reader.read(100):
            await received.put(data)

    server = await asyncio.start_server(handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    rt = await start_runtime([TEST_TAB, tcp_out("tout", "client", port=port, host=HOST), feeder("f1", "tout")],
                             socketReconnectTime=100)
    comms = await rt.comms()
    await comms.wait_for(status_text("tout", "connected"))
    writers[0].close()
    await comms.wait_for(status_text("tout", "disconnected"))
    await comms.wait_for(status_text("tout", "connected"), count=2)
    await rt.inject("f1", {"payload": b"x".decode()})
    assert await asyncio.wait_for(received.get(), 2) == b"x"
    await rt.deploy([TEST_TAB])
    server.close()
    await server.wait_closed()


async def test_tcp_in_client_reads_from_a_server_with_session(start_runtime):
    async def handle(reader, writer):
        writer.write(b"from server\n")
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    rt = await start_runtime([TEST_TAB, tcp_in("tin", port, ["d1"], server="client", host=HOST, datatype="utf8",
                                               newline="\\n"), debug()])
    comms = await rt.comms()
    [m] = msgs(await comms.debug(1))
    assert m["payload"] == "from server" and m["topic"] == "" and m["_session"]["type"] == "tcp"
    assert "ip" not in m
    [status] = await comms.wait_for(status_text("tin", "connected"))
    assert status["data"]["_session"] == m["_session"]
    await rt.deploy([TEST_TAB])
    server.close()
    await server.wait_closed()


async def test_tcp_out_server_sends_to_every_client(start_runtime):
    port = free_port()
    rt = await start_runtime([TEST_TAB, tcp_out("tout", "server", port=port, end=True), feeder("f1", "tout")])
    comms = await rt.comms()
    r1, w1 = await connect(port)
    r2, w2 = await connect(port)
    await comms.wait_for(status_text("tout", "2 connections"))
    await rt.inject("f1", {"payload": "bye"})
    assert [await asyncio.wait_for(r.read(), 2) for r in (r1, r2)] == [b"bye", b"bye"]  # then closed
    await comms.wait_for(status_text("tout", "0 connections"))
    w1.close()
    w2.close()


async def reply_server(reply: bytes, *, close_after: bool = False):
    """A server that answers each chunk it reads with ``reply``; returns (server, port, received)."""
    received: list[bytes] = []

    async def handle(reader, writer):
        while data := await reader.read(100):
            received.append(data)
            writer.write(reply)
            await writer.drain()
            if close_after:
                break
        writer.close()

    server = await asyncio.start_server(handle, HOST, 0)
    return server, server.sockets[0].getsockname()[1], received


@pytest.mark.parametrize("out, splitc, ret, expected", [
    ("char", "\\n", "string", "line one\n"),
    ("char", "0x3B", "buffer", buffer(b"line one\nline two;")),
    ("count", "4", "string", "line"),
    ("time", "50", "string", "line one\nline two;rest"),
])
async def test_tcp_request_modes(start_runtime, out, splitc, ret, expected):
    server, port, received = await reply_server(b"line one\nline two;rest")
    rt = await start_runtime([TEST_TAB, tcp_request("req", port, out, splitc, ret=ret), feeder("f1", "req"), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "ask", "topic": "t"})
    [m] = msgs(await comms.debug(1))
    assert m["payload"] == expected and m["topic"] == "t"
    assert received == [b"ask"]
    # the connection was closed after the reply: the next msg connects again
    await rt.inject("f1", {"payload": "again"})
    [_, m2] = msgs(await comms.debug(2))
    assert m2["payload"] == expected and received == [b"ask", b"again"]
    await rt.deploy([TEST_TAB])
    server.close()
    await server.wait_closed()


async def test_tcp_request_immediate_and_msg_host_port(start_runtime):
    server, port, received = await reply_server(b"ignored")
    rt = await start_runtime([TEST_TAB, tcp_request("req", "", "immed", " ", server=""), feeder("f1", "req"),
                              debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 7, "host": HOST, "port": port})
    for _ in range(100):
        if received:
            break
        await asyncio.sleep(0.02)
    assert received == [b"7"]
    await asyncio.sleep(0.1)
    assert comms.topic("debug") == []
    await rt.inject("f1", {"payload": "x"})
    [warning] = await comms.debug(1)
    assert warning["level"] == 30 and "Host and/or port not set" in warning["msg"]
    server.close()
    await server.wait_closed()


async def test_tcp_request_sit_keeps_the_connection_and_splits_lines(start_runtime):
    server, port, received = await reply_server(b"a\nb\n")
    rt = await start_runtime([TEST_TAB, tcp_request("req", port, "sit", " ", ret="string", newline="\\n"),
                              feeder("f1", "req"), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "q1"})
    assert [m["payload"] for m in msgs(await comms.debug(2))] == ["a", "b"]
    await rt.inject("f1", {"payload": "q2"})
    assert [m["payload"] for m in msgs(await comms.debug(4))] == ["a", "b", "a", "b"]
    assert received == [b"q1", b"q2"]  # one connection: the server read both
    await rt.inject("f1", {"reset": True})
    await comms.wait_for(status_text("req", "0 connections"))
    server.close()
    await server.wait_closed()


async def test_tcp_request_connect_failure_is_an_error_with_the_msg(start_runtime):
    port = free_port()
    rt = await start_runtime([TEST_TAB, tcp_request("req", port, "time", "0"), feeder("f1", "req"), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "x"})
    [err] = await comms.debug(1)
    assert err["level"] == 20 and f"connect failed {HOST}:{port}" in err["msg"]
    await comms.wait_for(status_text("req", "error"))


async def test_redeploy_closes_listeners_and_connections(start_runtime):
    port, port2 = free_port(), free_port()
    rt = await start_runtime([TEST_TAB, tcp_in("tin", port, []), tcp_out("tout", "server", port=port2)])
    comms = await rt.comms()
    r1, w1 = await connect(port)
    r2, w2 = await connect(port2)
    await comms.wait_for(status_text("tin", "1 connection"))
    await comms.wait_for(status_text("tout", "1 connection"))
    await rt.deploy([TEST_TAB])
    assert await asyncio.wait_for(r1.read(), 2) == b""
    assert await asyncio.wait_for(r2.read(), 2) == b""
    for p in (port, port2):
        with pytest.raises(OSError):
            socket.create_connection((HOST, p), timeout=1).close()
    w1.close()
    w2.close()


async def test_port_in_use_is_reported(start_runtime, caplog):
    blocker = await asyncio.start_server(lambda r, w: w.close(), "0.0.0.0", 0)
    port = blocker.sockets[0].getsockname()[1]
    await start_runtime([TEST_TAB, tcp_in("tin", port, []), debug()])
    # The error comes while the flows start, before a /comms client could subscribe: read the log.
    wanted = f"unable to listen on port {port}, error:"
    for _ in range(100):
        if any(wanted in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.02)
    assert any(wanted in r.getMessage() and "[tcp in:tin]" in r.getMessage() for r in caplog.records)
    blocker.close()
    await blocker.wait_closed()


async def test_server_with_a_tls_config_speaks_tls(start_runtime, tmp_path):
    import ssl

    from test_node_tls_proxy import Pki, tls_node

    pki = Pki(tmp_path)
    port = free_port()
    listener = tcp_in("tin", port, ["d1"], datatype="utf8", newline="\\n")
    listener["tls"] = "tls"
    rt = await start_runtime([TEST_TAB, listener, debug(),
                              tls_node(cert=str(pki.files["server.pem"]), key=str(pki.files["server-key.pem"]))])
    comms = await rt.comms()
    client = ssl.create_default_context(cafile=str(pki.files["ca.pem"]))
    for _ in range(50):
        try:
            reader, writer = await asyncio.open_connection(HOST, port, ssl=client, server_hostname="flowred.test")
            break
        except OSError:
            await asyncio.sleep(0.02)
    else:
        raise AssertionError(f"nothing listens on {port}")
    writer.write(b"over tls\n")
    await writer.drain()
    [got] = msgs(await comms.debug(1))
    assert got["payload"] == "over tls"
    writer.close()


@pytest.mark.parametrize("client_first", [True, False])
async def test_client_and_server_of_one_flow_connect_at_deploy(start_runtime, client_first):
    # Node-RED's examples network/tcp/01 and 02: both ends in one flow connect at once, never
    # waiting for the reconnect interval (socketReconnectTime, 10 s)
    port = free_port()
    client = tcp_in("ti", port, ["d1"], server="client", host="localhost", datatype="utf8")
    server = tcp_out("to", "server", port)
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, feeder("f1", "to"), *((client, server) if client_first else (server, client)), debug()])
    await comms.wait_for(status_text("ti", "connected"), timeout=3)
    await rt.inject("f1", {"payload": "Hello, World!"})
    [got] = msgs(await comms.debug(1, timeout=3))
    assert got["payload"] == "Hello, World!"
    assert not [m for m in comms.messages if m["topic"] == "status/ti" and m["data"].get("text") == "disconnected"]


async def test_tcp_request_status_counts_its_connections(start_runtime):
    # Node-RED 5 showed {"text": "1 connection", "fill": "green", "shape": "dot"} on connecting
    # (example network/tcp/03), then {} when the reply closed it
    server, port, received = await reply_server(b"line one\n")
    rt = await start_runtime([TEST_TAB, tcp_request("req", port, "char", "\\n"), feeder("f1", "req"), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "ask"})
    await comms.debug(1)
    await asyncio.sleep(0.2)
    assert comms.topic("status/req")[0] == {"fill": "green", "shape": "dot", "text": "1 connection"}
    await rt.deploy([TEST_TAB])
    server.close()
    await server.wait_closed()


async def test_clients_and_servers_log_connections_as_node_red(start_runtime, caplog):
    # Node-RED's example network/tcp/01 logged "connecting to localhost:<port>" (tcp in client),
    # "connection from <ip>:<port>" (tcp out server) and "connected to localhost:<port>"
    import logging
    caplog.set_level(logging.INFO, logger="flowred")
    port = free_port()
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, tcp_in("ti", port, ["d1"], server="client", host="localhost", datatype="utf8"),
                     tcp_out("to", "server", port), debug()])
    await comms.wait_for(status_text("ti", "connected"), timeout=3)
    await asyncio.sleep(0.2)
    lines = [r.getMessage() for r in caplog.records]
    assert f"[tcp in:ti] connecting to localhost:{port}" in lines
    assert f"[tcp in:ti] connected to localhost:{port}" in lines
    assert any(line.startswith("[tcp out:to] connection from ::ffff:127.0.0.1:") for line in lines)
