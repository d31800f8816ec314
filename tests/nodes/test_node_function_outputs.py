"""The function node's ``outputs`` setting at deploy: a whole number >= 0, read leniently from
text as Node-RED's editor writes it; a negative count is refused naming the field (the node
would otherwise silently lose its port and the wires on it)."""
from __future__ import annotations

from conftest import TEST_TAB, feeder, make_node


def fn(id_: str, outputs, wires) -> dict:
    return make_node(id_, "function", wires, func="return msg;", outputs=outputs, timeout=0, noerr=0,
                     initialize="", finalize="", libs=[])


def debug(id_: str) -> dict:
    return make_node(id_, "debug", [], active=True, tosidebar=True, console=False, tostatus=False,
                     complete="payload", targetType="msg", statusVal="", statusType="auto")


async def test_negative_outputs_are_refused_naming_the_field(start_runtime):
    good = [TEST_TAB, feeder("in", "f1"), fn("f1", 1, [["d1"]]), debug("d1")]
    rt = await start_runtime(good)
    for bad in (-1, "-1"):
        resp = await rt.deploy([TEST_TAB, feeder("in", "f1"), fn("f1", bad, [["d1"]]), debug("d1")], expect=400)
        body = await resp.json()
        assert body["code"] == "invalid_flow"
        assert [(e["id"], e["field"]) for e in body["errors"]] == [("f1", "outputs")]
        assert "outputs" in body["message"]
    # the previous flows are still deployed
    assert await (await rt.http.get(rt.url + "/flows")).json() == good


async def test_outputs_given_as_text_or_empty_are_read_as_numbers(start_runtime):
    rt = await start_runtime([TEST_TAB, feeder("in", "f1"), fn("f1", 1, [["d1"]]), debug("d1")])
    for outputs in ("2", " 0 ", "", 0, 3):
        flows = [TEST_TAB, feeder("in", "f1"), fn("f1", outputs, [["d1"]]), debug("d1")]
        await rt.deploy(flows)
        assert (await (await rt.http.get(rt.url + "/flows")).json())[2]["outputs"] == outputs
