"""json node: string <-> object in both directions, forced actions, pretty output, errors, schema."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node


def json_node(id_: str = "j1", wires=(("d1",),), **fields) -> dict:
    """A json node with the fields Node-RED's editor writes, overridden by ``fields``."""
    return make_node(id_, "json", wires, **{"property": "payload", "action": "", "pretty": False, **fields})


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def catch(id_: str = "c1", target: str = "dc") -> dict:
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


async def start(start_runtime, *nodes: dict):
    rt = await start_runtime([TEST_TAB, feeder("f1", nodes[0]["id"]), *nodes])
    return rt, await rt.comms()


async def test_node_red_export_toggles_both_ways(start_runtime):
    export = {"id": "a1b2c3d4e5f60718", "type": "json", "z": "t1", "name": "", "property": "payload",
              "action": "", "pretty": False, "x": 330, "y": 200, "wires": [["d1"]]}
    rt, comms = await start(start_runtime, export, debug())
    await rt.inject("f1", {"payload": '{"a": [1, 2.5, "é"], "b": null}'})
    await rt.inject("f1", {"payload": {"a": [1, 2.5, "é"], "b": None, "c": True}})
    first, second = await comms.debug(2)
    assert json.loads(first["msg"])["payload"] == {"a": [1, 2.5, "é"], "b": None}
    assert json.loads(second["msg"])["payload"] == '{"a":[1,2.5,"é"],"b":null,"c":true}'


async def test_scalars_and_pretty(start_runtime):
    rt, comms = await start(start_runtime, json_node(pretty=True), debug())
    for value in (5, False, None, [1, {"x": []}], {}):
        await rt.inject("f1", {"payload": value})
    got = [json.loads(d["msg"])["payload"] for d in await comms.debug(5)]
    assert got == ["5", "false", "null", '[\n    1,\n    {\n        "x": []\n    }\n]', "{}"]


async def test_forced_actions_pass_values_already_converted(start_runtime):
    rt, comms = await start(start_runtime, json_node("j1", (("j2",),), action="obj"),
                            json_node("j2", (("d1",),), action="str", property="data.text"), debug())
    await rt.inject("f1", {"payload": {"already": "object"}, "data": {"text": "already a string"}})
    await rt.inject("f1", {"payload": "[1]", "data": {"text": {"k": 1}}})
    first, second = await comms.debug(2)
    assert json.loads(first["msg"]) == {"payload": {"already": "object"}, "data": {"text": "already a string"},
                                         "_msgid": json.loads(first["msg"])["_msgid"]}
    assert json.loads(second["msg"])["payload"] == [1]
    assert json.loads(second["msg"])["data"] == {"text": '{"k":1}'}


async def test_missing_property_passes_unchanged(start_runtime):
    rt, comms = await start(start_runtime, json_node(property="nothing.here"), debug())
    await rt.inject("f1", {"payload": "{not json"})
    [data] = await comms.debug(1)
    assert json.loads(data["msg"])["payload"] == "{not json"


async def test_bytes_are_parsed_as_utf8(start_runtime):
    nodes = [make_node("f2", "inject", [["j1"]],
                       props=[{"p": "payload", "v": json.dumps(list('{"ü": 1}'.encode())), "vt": "bin"}],
                       repeat="", crontab="", once=False), json_node(), debug()]
    rt = await start_runtime([TEST_TAB, *nodes])
    comms = await rt.comms()
    await rt.inject("f2")
    [data] = await comms.debug(1)
    assert json.loads(data["msg"])["payload"] == {"ü": 1}


async def test_invalid_json_is_reported_with_position_and_msg(start_runtime):
    rt, comms = await start(start_runtime, json_node(wires=((),)), catch(), debug("dc"))
    await rt.inject("f1", {"payload": '{"a": 1,}', "topic": "bad"})
    [data] = await comms.debug(1)
    msg = json.loads(data["msg"])
    assert msg["error"]["message"] == "Invalid JSON: trailing comma is not allowed at line 1 column 8 (position 7)"
    assert msg["error"]["source"]["id"] == "j1" and msg["topic"] == "bad" and msg["payload"] == '{"a": 1,}'


async def test_nan_and_infinity_are_not_json(start_runtime):
    rt, comms = await start(start_runtime, json_node(wires=((),)), catch(), debug("dc"))
    await rt.inject("f1", {"payload": '{"n": NaN}'})
    await rt.inject("f1", {"payload": "Infinity"})
    got = await comms.debug(2)
    assert all("Invalid JSON: unexpected character" in json.loads(d["msg"])["error"]["message"] for d in got)


async def test_schema_validation(start_runtime):
    # Node-RED 5.0.7 (ajv 8), example parser/json/03: "JSON Schema error: data/price must be number"
    rt, comms = await start(start_runtime, json_node(), catch(), debug(), debug("dc"))
    schema = {"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]}
    await rt.inject("f1", {"payload": '{"a": 1}', "schema": schema})
    await rt.inject("f1", {"payload": '{"a": "x"}', "schema": schema})
    [ok] = await comms.debug(1, node_id="d1")
    assert "schema" not in json.loads(ok["msg"])
    [bad] = await comms.debug(1, node_id="dc")
    msg = json.loads(bad["msg"])
    assert msg["error"]["message"] == "JSON Schema error: data/a must be number"
    assert msg["schemaError"] == [{"instancePath": "/a", "schemaPath": "#/properties/a/type", "keyword": "type",
                                   "params": {"type": "number"}, "message": "must be number"}]
    assert msg["schema"] == schema and msg["payload"] == {"a": "x"}


async def test_schema_ajv_cannot_compile_is_an_error(start_runtime):
    # ajv 8's strict mode rejects an unknown keyword, and it has no formats
    rt, comms = await start(start_runtime, json_node(wires=((),)), catch(), debug("dc"))
    await rt.inject("f1", {"payload": "{}", "schema": {"type": "object", "x-unknown": 1}})
    await rt.inject("f1", {"payload": '"a"', "schema": {"type": "string", "format": "email"}})
    got = [json.loads(d["msg"])["error"]["message"] for d in await comms.debug(2)]
    assert got == ["JSON Schema error: failed to compile schema"] * 2


async def test_unsupported_values_are_dropped_with_a_warning(start_runtime):
    nodes = [make_node("f2", "inject", [["j1"]], props=[{"p": "payload", "v": "[104,105]", "vt": "bin"}],
                       repeat="", crontab="", once=False), json_node(action="str"), debug()]
    rt = await start_runtime([TEST_TAB, *nodes])
    comms = await rt.comms()
    await rt.inject("f2")
    [warn] = await comms.debug(1)
    assert warn["level"] == 30 and warn["msg"] == "Ignored non-object payload" and warn["id"] == "j1"


async def test_invalid_action_is_a_deploy_error(start_runtime):
    rt = await start_runtime([TEST_TAB])
    resp = await rt.deploy([TEST_TAB, json_node(action="yaml"), debug()], expect=400)
    assert {(e["id"], e["field"]) for e in (await resp.json())["errors"]} == {("j1", "action")}


async def test_values_json_lacks_are_written_as_javascript_does(start_runtime):
    make = make_node("pf", "python-function", [["j1"]], outputs=1, func=(
        "import datetime\n"
        "msg['payload'] = {'nan': float('nan'), 'buf': b'hi', 'when': datetime.datetime(2024, 5, 1, 12, 0, 0,"
        " tzinfo=datetime.timezone.utc), 1: 'int key'}\n"
        "return msg"))
    rt, comms = await start(start_runtime, make, json_node(), debug())
    await rt.inject("f1", {"payload": None})
    [data] = await comms.debug(1)
    assert json.loads(data["msg"])["payload"] == (
        '{"nan":null,"buf":{"type":"Buffer","data":[104,105]},"when":"2024-05-01T12:00:00.000Z","1":"int key"}')
