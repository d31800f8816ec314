"""The node API as the flows see it: what nodes register is taken back when they stop, link
nodes find their peers after a redeploy, and two runtimes in one process share no state."""
from __future__ import annotations

import json

from conftest import TEST_TAB, catch_all, feeder, full_debug, make_node


async def post(rt, flows: list[dict], mode: str) -> None:
    resp = await rt.http.post(rt.url + "/flows", json=flows, headers={"Node-RED-Deployment-Type": mode})
    assert resp.status == 204, await resp.text()


async def test_link_out_reaches_the_link_in_a_nodes_deploy_replaced(start_runtime):
    def flows(debug: str) -> list[dict]:
        return [TEST_TAB, feeder("f1", "lo"), make_node("lo", "link out", mode="link", links=["li"]),
                make_node("li", "link in", [[debug]], name=debug, links=["lo"]), full_debug("d1"), full_debug("d2")]

    rt = await start_runtime(flows("d1"))
    comms = await rt.comms()
    link_out = rt.engine.get_node("lo")
    await rt.inject("f1", {"payload": 1})
    await comms.debug(1)
    link_in = rt.engine.get_node("li")
    await post(rt, flows("d2"), "nodes")  # restarts the link in only (renamed), now wired to d2
    assert rt.engine.get_node("lo") is link_out and rt.engine.get_node("li") is not link_in
    await rt.inject("f1", {"payload": 2})
    got = await comms.debug(2)
    assert [(d["id"], json.loads(d["msg"])["payload"]) for d in got] == [("d1", 1), ("d2", 2)]


async def test_a_removed_catch_node_catches_no_more(start_runtime):
    bad = make_node("i1", "inject", props=[{"p": "payload", "v": "abc", "vt": "num"}])
    rt = await start_runtime([TEST_TAB, bad, catch_all("c1", "dc"), full_debug("dc")])
    comms = await rt.comms()
    await rt.inject("i1")
    [caught] = await comms.debug(1)
    assert caught["id"] == "dc"
    await post(rt, [TEST_TAB, bad, full_debug("dc")], "nodes")
    await rt.inject("i1")
    got = await comms.debug(2)
    assert got[1]["id"] == "i1" and got[1]["level"] == 20  # uncaught: in the sidebar as an error


async def test_a_removed_http_in_node_serves_no_more(start_runtime):
    http_in = make_node("h1", "http in", [["r1"]], url="/api/node-api", method="get")
    answer = make_node("r1", "http response", statusCode="201")
    rt = await start_runtime([TEST_TAB, http_in, answer])
    async with rt.http.get(rt.url + "/api/node-api") as resp:
        assert resp.status == 201
    await post(rt, [TEST_TAB, answer], "nodes")
    async with rt.http.get(rt.url + "/api/node-api") as resp:
        assert resp.status == 404


async def test_two_runtimes_keep_their_own_node_sets_and_websocket_paths(start_runtime):
    listener = make_node("wl", "websocket-listener", path="/ws/same", wholemsg="false")
    del listener["x"], listener["y"], listener["z"]
    flows = [TEST_TAB, listener, make_node("wi", "websocket in", [["d1"]], server="wl"), full_debug("d1")]
    one = await start_runtime(flows)
    two = await start_runtime(flows)
    resp = await one.http.put(one.url + "/nodes/flowred/rbe", json={"enabled": False})
    assert resp.status == 200, await resp.text()
    sets_one = {s["id"]: s["enabled"] for s in await (await one.http.get(one.url + "/nodes")).json()}
    sets_two = {s["id"]: s["enabled"] for s in await (await two.http.get(two.url + "/nodes")).json()}
    assert sets_one["flowred/rbe"] is False and sets_two["flowred/rbe"] is True
    assert one.engine.node_sets is not two.engine.node_sets
    for rt in (one, two):  # the same path on both: no "two WebSocket listeners" error
        comms = await rt.comms()
        async with rt.http.ws_connect(rt.url.replace("http", "ws") + "/ws/same") as ws:
            await ws.send_str("hello")
            [got] = await comms.debug(1)
            assert json.loads(got["msg"])["payload"] == "hello"
        assert not [d for d in comms.topic("debug") if d.get("level") == 20]
