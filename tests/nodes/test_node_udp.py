"""udp in / udp out (32-udp.js) through deployed flows with real loopback sockets: round
trips, payload types, msg.ip/msg.port, base64, warnings, redeploys closing the sockets."""
from __future__ import annotations

import asyncio
import json
import logging
import socket

import pytest

from conftest import TEST_TAB, feeder, make_node

HOST = "127.0.0.1"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def udp_in(id_: str, port: int, wires, datatype: str = "buffer", ipv: str = "udp4") -> dict:
    return make_node(id_, "udp in", [list(wires)], iface="", port=str(port), ipv=ipv, multicast="false", group="",
                     datatype=datatype)


def udp_out(id_: str, addr: str = "", port: int | str = "", outport: int | str = "", base64: bool = False,
            multicast: str = "false") -> dict:
    return make_node(id_, "udp out", [], addr=addr, iface="", port=str(port), ipv="udp4", outport=str(outport),
                     base64=base64, multicast=multicast)


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full", statusVal="", statusType="auto")


def msgs(data: list[dict]) -> list[dict]:
    return [json.loads(d["msg"]) for d in data]


def receiver() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    s.settimeout(2)
    return s


async def recv(s: socket.socket) -> tuple[bytes, tuple]:
    return await asyncio.to_thread(s.recvfrom, 2048)


async def test_round_trip_udp_out_to_udp_in_as_string(start_runtime):
    port, outport = free_udp_port(), free_udp_port()
    rt = await start_runtime([TEST_TAB, udp_in("uin", port, ["d1"], datatype="utf8"),
                              udp_out("uout", addr=HOST, port=port, outport=outport), feeder("f1", "uout"), debug()])
    comms = await rt.comms()
    await asyncio.sleep(0.05)
    await rt.inject("f1", {"payload": "héllo"})
    await rt.inject("f1", {"payload": {"a": 1}})
    first, second = msgs(await comms.debug(2))
    assert first == {"_msgid": first["_msgid"], "payload": "héllo", "fromip": f"{HOST}:{outport}", "ip": HOST,
                     "port": outport}
    assert second["payload"] == "[object Object]"


@pytest.mark.parametrize("datatype, expected", [
    ("buffer", {"type": "Buffer", "data": [0, 255, 7], "__enc__": True, "length": 3}),
    ("base64", "AP8H"),
])
async def test_udp_in_datatypes(start_runtime, datatype, expected):
    port = free_udp_port()
    rt = await start_runtime([TEST_TAB, udp_in("uin", port, ["d1"], datatype=datatype), debug()])
    comms = await rt.comms()
    await asyncio.sleep(0.05)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        s.sendto(b"\x00\xff\x07", (HOST, port))
        sender = s.getsockname()[1]
        [m] = msgs(await comms.debug(1))
    assert m["payload"] == expected and m["port"] == sender and m["fromip"] == f"{HOST}:{sender}"


async def test_udp_out_to_msg_ip_and_port_with_base64_and_bytes(start_runtime):
    rt = await start_runtime([TEST_TAB, udp_out("uout", base64=True), feeder("f1", "uout"),
                              udp_out("raw", addr=HOST), feeder("f2", "raw"), debug()])
    comms = await rt.comms()
    target = receiver()
    port = target.getsockname()[1]
    try:
        await rt.inject("f1", {"payload": "aGVsbG8=", "ip": HOST, "port": port})
        data, _ = await recv(target)
        assert data == b"hello"
        await rt.inject("f2", {"payload": 12.5, "port": str(port)})
        data, _ = await recv(target)
        assert data == b"12.5"
    finally:
        target.close()
    assert comms.topic("debug") == []


@pytest.mark.parametrize("msg, warning", [
    ({"payload": "x", "port": 9}, "udp: ip address not set"),
    ({"payload": "x", "ip": HOST}, "udp: port not set"),
    ({"payload": "x", "ip": HOST, "port": 70000}, "udp: port number not valid"),
])
async def test_udp_out_warnings(start_runtime, msg, warning):
    rt = await start_runtime([TEST_TAB, udp_out("uout"), feeder("f1", "uout"), debug()])
    comms = await rt.comms()
    await rt.inject("f1", msg)
    [w] = await comms.debug(1)
    assert w["level"] == 30 and warning in w["msg"]


async def test_udp_out_uses_the_udp_in_socket_of_its_local_port(start_runtime):
    port = free_udp_port()
    rt = await start_runtime([TEST_TAB, udp_in("uin", port, ["d1"], datatype="utf8"),
                              udp_out("uout", outport=port), feeder("f1", "uout"), debug()])
    comms = await rt.comms()
    peer = receiver()
    try:
        await rt.inject("f1", {"payload": "ping", "ip": HOST, "port": peer.getsockname()[1]})
        data, source = await recv(peer)
        assert data == b"ping" and source[1] == port  # sent from the udp in node's port
        peer.sendto(b"pong", source)
        [m] = msgs(await comms.debug(1))
        assert m["payload"] == "pong"
    finally:
        peer.close()


async def test_redeploy_closes_the_socket_and_port_in_use_is_an_error(start_runtime):
    port = free_udp_port()
    rt = await start_runtime([TEST_TAB, udp_in("uin", port, ["d1"]), debug()])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, debug()])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", port))  # free again
        await rt.deploy([TEST_TAB, udp_in("uin2", port, ["d1"]), debug()])
        [err] = await comms.debug(1)
        assert err["level"] == 20 and "error: EADDRINUSE" in err["msg"]


async def test_udp_out_logs_its_socket_as_node_red(start_runtime, caplog):
    # Node-RED's example network/udp/01 logs "udp re-use socket:  -> localhost:1881" when the
    # udp out node sends from the udp in node's port; otherwise "udp ready: <host>:<port>"
    caplog.set_level(logging.INFO, logger="flowred")
    port = free_udp_port()
    await start_runtime([TEST_TAB, udp_in("uin", port, ["d1"], datatype="utf8"),
                         udp_out("reuse", addr="localhost", port=port), udp_out("own", addr="localhost", port=9),
                         debug()])
    await asyncio.sleep(0.2)
    lines = [r.getMessage() for r in caplog.records]
    assert f"[udp out:reuse] udp re-use socket:  -> localhost:{port}" in lines
    assert "[udp out:own] udp ready: localhost:9" in lines
