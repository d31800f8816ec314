"""Message delivery: asynchronous (no recursion), ordered, Node-RED's cloning on fan-out and
multi-output sends, and a failing node that never stops the runtime."""
from __future__ import annotations

import json

from flowred import Node, register

TAB = {"id": "t1", "type": "tab", "label": "bus"}


@register("test-recorder", category="test")
class Recorder(Node):
    """Test node: keeps every msg object it receives, then mutates it."""

    seen: dict[str, list] = {}

    def on_input(self, msg: dict) -> None:
        Recorder.seen.setdefault(self.id, []).append(msg)
        msg.setdefault("touched_by", []).append(self.id)


@register("test-multi", category="test", outputs=3)
class MultiOut(Node):
    """Test node: sends msg.payload (a list per output) as given."""

    def on_input(self, msg: dict) -> None:
        self.send(msg["payload"])


@register("test-fail", category="test")
class Fail(Node):
    def on_input(self, msg: dict) -> None:
        raise RuntimeError("boom on " + str(msg.get("payload")))


def node(id_, type_, wires=(), **kw):
    return {"id": id_, "type": type_, "z": "t1", "x": 10, "y": 10, "wires": [list(w) for w in wires], **kw}


def inject(id_, wires, v="1", vt="num"):
    return node(id_, "inject", [wires], props=[{"p": "payload", "v": v, "vt": vt}])


async def test_10000_node_chain_delivers_without_recursion(start_runtime):
    n = 10_000
    flows = [TAB, inject("i1", ["j0"])]
    flows += [node(f"j{k}", "junction", [[f"j{k + 1}"]]) for k in range(n - 1)]
    flows += [node(f"j{n - 1}", "junction", [["d1"]]), node("d1", "debug")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1")
    [data] = await comms.debug(1, timeout=30)
    assert data["msg"] == "1" and data["id"] == "d1"


async def test_fan_out_gives_the_original_then_independent_clones(start_runtime):
    Recorder.seen.clear()
    flows = [TAB, inject("i1", ["r1", "r2", "r3"], v='{"a": {"b": [1, 2]}}', vt="json"),
             node("r1", "test-recorder"), node("r2", "test-recorder"), node("r3", "test-recorder"),
             node("d1", "debug")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1")
    await rt.inject("i1")  # a second msg, to know the first one is fully delivered
    for _ in range(100):
        if sum(len(v) for v in Recorder.seen.values()) == 6:
            break
        await __import__("asyncio").sleep(0.01)
    first = [Recorder.seen[r][0] for r in ("r1", "r2", "r3")]
    assert len({id(m) for m in first}) == 3  # three distinct objects
    assert len({m["_msgid"] for m in first}) == 1  # one msg, cloned
    for m in first:
        assert m["payload"] == {"a": {"b": [1, 2]}}
        assert m["touched_by"] == [next(k for k, v in Recorder.seen.items() if v[0] is m)]  # independent
    assert first[0]["payload"]["a"] is not first[1]["payload"]["a"]
    del comms


async def test_multi_output_send_clones_every_delivery_but_the_first(start_runtime):
    Recorder.seen.clear()
    flows = [TAB, node("m1", "test-multi", [["r1"], ["r2", "r3"], ["r4"]]),
             node("r1", "test-recorder"), node("r2", "test-recorder"), node("r3", "test-recorder"),
             node("r4", "test-recorder")]
    rt = await start_runtime(flows)
    shared = {"payload": "second"}
    out = [{"payload": "first", "_msgid": "aaaaaaaaaaaaaaaa"}, [shared, None], None]
    m1 = rt.engine.get_node("m1")
    m1.receive({"payload": out})
    import asyncio
    for _ in range(100):
        if sum(len(v) for v in Recorder.seen.values()) == 3:
            break
        await asyncio.sleep(0.01)
    assert set(Recorder.seen) == {"r1", "r2", "r3"}  # None output skipped; r4 got nothing
    assert Recorder.seen["r1"][0] is out[0]  # first delivery: the object itself
    assert Recorder.seen["r2"][0] is not shared and Recorder.seen["r3"][0] is not shared
    # a missing _msgid takes the first msg's id (as Node-RED's send)
    assert Recorder.seen["r2"][0]["_msgid"] == "aaaaaaaaaaaaaaaa"


async def test_failing_node_is_reported_with_msgid_and_runtime_keeps_going(start_runtime):
    flows = [TAB, inject("i1", ["f1", "d1"]), node("f1", "test-fail"), node("d1", "debug")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1")
    await rt.inject("i1")
    errors = await comms.debug(2, node_id="f1")
    assert errors[0]["level"] == 20 and errors[0]["type"] == "test-fail"
    assert errors[0]["msg"] == "RuntimeError: boom on 1"
    assert len(errors[0]["_msgid"]) == 16
    assert len(await comms.debug(2, node_id="d1")) == 2


async def test_order_is_kept_per_wire(start_runtime):
    flows = [TAB, inject("i1", ["j1"], v="", vt="date"), node("j1", "junction", [["d1"]]), node("d1", "debug")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    j1 = rt.engine.get_node("j1")
    for k in range(200):
        j1.receive({"payload": k})
    got = await comms.debug(200)
    assert [int(d["msg"]) for d in got] == list(range(200))


async def test_clone_message_keeps_req_res_and_handles_non_json():
    from flowred.values import clone_message

    req, res = object(), object()
    msg = {"payload": {"a": [1, b"x", float("nan")]}, "req": req, "res": res, "n": float("inf")}
    out = clone_message(msg)
    assert out["req"] is req and out["res"] is res
    assert out["payload"] is not msg["payload"] and out["payload"]["a"][1] == b"x"
    assert out["n"] == float("inf") and out["payload"]["a"][2] != out["payload"]["a"][2]
    plain = {"payload": {"x": [1, 2.5, None, "s"]}}
    copy = clone_message(plain)
    assert copy == plain and copy["payload"] is not plain["payload"]
    assert json.dumps(copy) == json.dumps(plain)
