"""mqtt in / mqtt out with mqtt-broker (10-mqtt.js) against an in-process MQTT broker (amqtt):
publish and subscribe with wildcards, datatypes, retain, topic and qos from the msg, statuses,
birth and close messages, dynamic subscriptions, redeploy closing the connection."""
from __future__ import annotations

import asyncio
import json
import logging

import aiomqtt
import pytest

from conftest import TEST_TAB, feeder, free_port, make_node

amqtt_broker = pytest.importorskip("amqtt.broker")


@pytest.fixture
async def mqtt_broker():
    """An amqtt broker on a free loopback port; yields its port."""
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    broker = await start_broker(free_port())
    yield broker
    if broker.transitions.state == "started":
        await broker.shutdown()


async def start_broker(port: int):
    broker = amqtt_broker.Broker({
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    })
    await broker.start()
    broker.port = port
    return broker


def broker_conf(port: int, id_: str = "b1", **fields) -> dict:
    """An mqtt-broker config node with every field the editor exports."""
    node = {"id": id_, "type": "mqtt-broker", "name": "", "broker": "127.0.0.1", "port": str(port),
            "clientid": "", "autoConnect": True, "usetls": False, "protocolVersion": "4", "keepalive": "60",
            "cleansession": True, "autoUnsubscribe": True,
            "birthTopic": "", "birthQos": "0", "birthRetain": "false", "birthPayload": "", "birthMsg": {},
            "closeTopic": "", "closeQos": "0", "closeRetain": "false", "closePayload": "", "closeMsg": {},
            "willTopic": "", "willQos": "0", "willRetain": "false", "willPayload": "", "willMsg": {},
            "userProps": "", "sessionExpiry": ""}
    node.update(fields)
    return node


def mqtt_in(id_: str, topic: str, wires, datatype: str = "auto-detect", qos: str = "2", **fields) -> dict:
    return make_node(id_, "mqtt in", [list(wires)], topic=topic, qos=qos, datatype=datatype, broker="b1",
                     nl=False, rap=True, rh=0, inputs=0, **fields)


def mqtt_out(id_: str, topic: str = "", qos: str = "", retain: str = "", **fields) -> dict:
    return make_node(id_, "mqtt out", [], topic=topic, qos=qos, retain=retain, respTopic="", contentType="",
                     userProps="", correl="", expiry="", broker="b1", **fields)


def debug(id_: str) -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def connected(node_id: str):
    return lambda m: m["topic"] == "status/" + node_id and m["data"].get("text") == "connected"


def buffer_data(value):
    """A Buffer as the debug sidebar encodes it → ``{type, data}``; other values as they are."""
    if isinstance(value, dict) and value.get("type") == "Buffer":
        return {"type": "Buffer", "data": value["data"]}
    return value


def msgs_of(found: list[dict]) -> list[dict]:
    return [json.loads(d["msg"]) for d in found]


async def subscriber(port: int, topic: str):
    client = aiomqtt.Client("127.0.0.1", port, identifier="test-subscriber")
    await client.__aenter__()
    await client.subscribe(topic, qos=1)
    return client


async def next_message(client: aiomqtt.Client, timeout: float = 3) -> aiomqtt.Message:
    async def first():
        async for m in client.messages:
            return m
    return await asyncio.wait_for(first(), timeout)


async def test_publish_and_receive_through_wildcard_subscriptions(mqtt_broker, start_runtime):
    rt = await start_runtime([TEST_TAB, broker_conf(mqtt_broker.port),
                              feeder("f1", "out"), mqtt_out("out"),
                              mqtt_in("plus", "home/+/temp", ["d1"], datatype="utf8"),
                              mqtt_in("hash", "sensors/#", ["d2"], qos="1"),
                              debug("d1"), debug("d2")])
    comms = await rt.comms()
    for node in ("plus", "hash", "out"):
        found = await comms.wait_for(connected(node))
        assert found[0]["data"] == {"fill": "green", "shape": "dot", "text": "connected"}
    await rt.inject("f1", {"topic": "home/kitchen/temp", "payload": 21.5})
    await rt.inject("f1", {"topic": "home/kitchen/humidity", "payload": 40})
    await rt.inject("f1", {"topic": "sensors", "payload": {"rh": 40}, "qos": 1})
    await rt.inject("f1", {"topic": "sensors/a/b", "payload": True, "qos": "2"})
    [plus] = msgs_of(await comms.debug(1, node_id="d1"))
    qos = plus.pop("qos")
    assert qos in (0, 2)  # the published qos (0), or the subscription's as amqtt delivers it
    assert plus == {"topic": "home/kitchen/temp", "payload": "21.5", "retain": False, "_msgid": plus["_msgid"]}
    hashed = msgs_of(await comms.debug(2, node_id="d2"))
    assert [(m["topic"], m["payload"], m["qos"]) for m in hashed] == [("sensors", {"rh": 40}, 1),
                                                                       ("sensors/a/b", True, 1)]
    await asyncio.sleep(0.2)
    assert len(await comms.debug(1, node_id="d1")) == 1  # humidity does not match home/+/temp


async def test_datatypes(mqtt_broker, start_runtime):
    flows = [TEST_TAB, broker_conf(mqtt_broker.port)]
    for dt in ("utf8", "json", "buffer", "auto-detect", "auto", "base64"):
        flows += [mqtt_in("in-" + dt, "dt/#", ["d-" + dt], datatype=dt), debug("d-" + dt)]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await comms.wait_for(connected("in-json"))
    async with aiomqtt.Client("127.0.0.1", mqtt_broker.port) as client:
        await client.publish("dt/a", b'{"a":[1,2]}', qos=1)
        await client.publish("dt/b", b"\xff\x00", qos=1)
        await client.publish("dt/c", b"plain text", qos=1)

    def payloads(dt: str, n: int) -> list:
        return [buffer_data(m.get("payload")) for m in msgs_of(comms_debug[dt][:n])]

    comms_debug = {}
    for dt, n in (("utf8", 3), ("buffer", 3), ("auto-detect", 3), ("auto", 3), ("base64", 3), ("json", 1)):
        comms_debug[dt] = await comms.debug(n, node_id="d-" + dt)
    assert payloads("utf8", 3)[0] == '{"a":[1,2]}' and payloads("utf8", 3)[2] == "plain text"
    buf = payloads("buffer", 3)
    assert buf[1] == {"type": "Buffer", "data": [255, 0]}
    assert buf[2] == {"type": "Buffer", "data": list(b"plain text")}
    assert payloads("auto-detect", 3) == [{"a": [1, 2]}, {"type": "Buffer", "data": [255, 0]}, "plain text"]
    assert payloads("auto", 3) == ['{"a":[1,2]}', {"type": "Buffer", "data": [255, 0]}, "plain text"]
    assert payloads("base64", 3) == ["eyJhIjpbMSwyXX0=", "/wA=", "cGxhaW4gdGV4dA=="]
    assert payloads("json", 1) == [{"a": [1, 2]}]
    errors = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("id") == "in-json", count=2)
    assert sorted(e["data"]["msg"] for e in errors) == ["Failed to parse JSON payload", "Invalid JSON string"]


async def test_retain_qos_and_topic_from_node_or_msg(mqtt_broker, start_runtime):
    rt = await start_runtime([TEST_TAB, broker_conf(mqtt_broker.port), feeder("f1", "out"), mqtt_out("out"),
                              feeder("f2", "fixed"), mqtt_out("fixed", topic="fixed/topic", qos="1", retain="true"),
                              feeder("f3", "noret"), mqtt_out("noret", topic="x/y", retain="false")])
    comms = await rt.comms()
    await comms.wait_for(connected("fixed"))
    await rt.inject("f1", {"topic": "ret/a", "payload": "kept", "retain": True, "qos": 1})
    await rt.inject("f1", {"topic": "ret/b", "payload": "not kept"})
    await rt.inject("f2", {"topic": "ignored", "payload": [1, 2]})
    await rt.inject("f3", {"topic": "ignored", "payload": "no", "retain": True})
    await rt.inject("f1", {"payload": "no topic"})
    [warning] = await comms.debug(1)
    assert warning["msg"] == "Invalid topic specified" and warning["level"] == 30 and warning["id"] == "out"
    # a later subscriber gets the retained messages only, flagged retain
    await rt.deploy([TEST_TAB, broker_conf(mqtt_broker.port), mqtt_in("in", "#", ["d1"]), debug("d1")])
    found = msgs_of(await comms.debug(2, node_id="d1"))
    got = sorted((m["topic"], json.dumps(m["payload"]), m["retain"], m["qos"]) for m in found)
    assert got == [("fixed/topic", "[1, 2]", True, 1), ("ret/a", '"kept"', True, 1)]
    await asyncio.sleep(0.2)
    assert len(await comms.debug(node_id="d1")) == 2


async def test_birth_close_and_redeploy_closes_the_connection(mqtt_broker, start_runtime):
    conf = broker_conf(mqtt_broker.port, clientid="flowred-test", birthTopic="state/flowred", birthPayload="online",
                       closeTopic="state/flowred", closePayload="offline", willTopic="state/flowred",
                       willPayload="lost")
    watcher = await subscriber(mqtt_broker.port, "state/#")
    try:
        rt = await start_runtime([TEST_TAB, conf, feeder("f1", "out"), mqtt_out("out", topic="t/1"),
                                  mqtt_in("in", "t/1", ["d1"]), debug("d1")])
        comms = await rt.comms()
        await comms.wait_for(connected("in"))
        assert (await next_message(watcher)).payload == b"online"
        await rt.inject("f1", {"payload": "x"})
        assert msgs_of(await comms.debug(1))[0]["payload"] == "x"
        session = mqtt_broker._sessions["flowred-test"][0]
        assert session.transitions.state == "connected"
        await rt.deploy([TEST_TAB, debug("d1")])
        assert (await next_message(watcher)).payload == b"offline"  # the close message, not the will
        loop = asyncio.get_running_loop()
        end = loop.time() + 3
        while session.transitions.state == "connected" and loop.time() < end:
            await asyncio.sleep(0.05)
        assert session.transitions.state == "disconnected"
        with pytest.raises(asyncio.TimeoutError):
            await next_message(watcher, timeout=0.3)
    finally:
        await watcher.__aexit__(None, None, None)


async def test_dynamic_subscription_and_missing_config(mqtt_broker, start_runtime):
    rt = await start_runtime([])
    comms = await rt.comms()
    dyn = mqtt_in("dyn", "", ["d1"])
    dyn["inputs"] = 1
    await rt.deploy([TEST_TAB, broker_conf(mqtt_broker.port), feeder("f1", "dyn"), dyn, debug("d1"),
                     feeder("f2", "out"), mqtt_out("out"), make_node("bad", "mqtt out", [], topic="", broker="nope")])
    [err] = await comms.debug(1)
    assert err["msg"] == "missing broker configuration" and err["id"] == "bad"
    await comms.wait_for(connected("dyn"))
    await rt.inject("f1", {"action": "subscribe", "topic": [{"topic": "dyn/+", "qos": 1}]})
    await rt.inject("f1", {"action": "getSubscriptions"})
    [subs] = msgs_of(await comms.debug(1, node_id="d1"))
    assert subs["payload"] == [{"topic": "dyn/+", "qos": 1}]
    await rt.inject("f2", {"topic": "dyn/a", "payload": "hello"})
    found = msgs_of(await comms.debug(2, node_id="d1"))
    assert found[1]["topic"] == "dyn/a" and found[1]["payload"] == "hello"
    await rt.inject("f1", {"action": "unsubscribe", "topic": True})
    await asyncio.sleep(0.2)
    await rt.inject("f2", {"topic": "dyn/a", "payload": "again"})
    await asyncio.sleep(0.3)
    assert len(await comms.debug(node_id="d1")) == 2


async def test_reconnects_and_resubscribes_after_the_broker_restarts(mqtt_broker, start_runtime, monkeypatch):
    import flowred.nodes.mqtt
    monkeypatch.setattr(flowred.nodes.mqtt, "RECONNECT_DELAY", 0.2)
    rt = await start_runtime([TEST_TAB, broker_conf(mqtt_broker.port), feeder("f1", "out"), mqtt_out("out"),
                              mqtt_in("in", "r/#", ["d1"]), debug("d1")])
    comms = await rt.comms()
    await comms.wait_for(connected("in"))
    await mqtt_broker.shutdown()
    found = await comms.wait_for(lambda m: m["topic"] == "status/in" and m["data"].get("text") == "disconnected")
    assert found[-1]["data"] == {"fill": "red", "shape": "ring", "text": "disconnected"}
    await comms.wait_for(lambda m: m["topic"] == "status/in" and m["data"].get("text") == "connecting", count=2)
    await rt.inject("f1", {"topic": "r/queued", "payload": "while down"})
    restarted = await start_broker(mqtt_broker.port)
    try:
        await comms.wait_for(connected("in"), count=2, timeout=5)
        [queued] = msgs_of(await comms.debug(1, node_id="d1"))
        assert queued["topic"] == "r/queued" and queued["payload"] == "while down"
        await rt.inject("f1", {"topic": "r/again", "payload": 1})
        found = msgs_of(await comms.debug(2, node_id="d1"))
        assert found[1]["topic"] == "r/again" and found[1]["payload"] == 1
    finally:
        await restarted.shutdown()
