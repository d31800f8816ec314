"""yaml node: YAML text <-> object both ways with js-yaml's types and layout, the property
option, errors with js-yaml's message shape, and dropped values."""
from __future__ import annotations

import json

from conftest import TEST_TAB, catch_all as catch, feeder, full_debug as debug, make_node, run_msgs as run


def yaml_node(id_: str = "y1", wires=(("d1",),), **fields) -> dict:
    """A yaml node with the fields Node-RED's editor writes, overridden by ``fields``."""
    return make_node(id_, "yaml", wires, **{"property": "payload", **fields})


async def test_node_red_export_converts_both_ways(start_runtime):
    """A flow as Node-RED's editor exports it: inject (YAML text, then a JSON object) → yaml → debug."""
    yaml_text = "name: flowred\nports:\n  - 1880\n  - 1881\nadmin:\n  enabled: true\n  user: null\n"
    flow = [
        {"id": "5e6f708192a3b4c5", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
        {"id": "6f708192a3b4c5d6", "type": "inject", "z": "5e6f708192a3b4c5", "name": "yaml text",
         "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}], "repeat": "", "crontab": "", "once": False,
         "onceDelay": 0.1, "topic": "", "payload": yaml_text, "payloadType": "str", "x": 130, "y": 80,
         "wires": [["708192a3b4c5d6e7"]]},
        {"id": "8192a3b4c5d6e7f8", "type": "inject", "z": "5e6f708192a3b4c5", "name": "object",
         "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}], "repeat": "", "crontab": "", "once": False,
         "onceDelay": 0.1, "topic": "", "payload": '{"b":[1,{"c":"x"}],"a":{"empty":{},"list":[]},"s":"two\\nlines"}',
         "payloadType": "json", "x": 130, "y": 140, "wires": [["708192a3b4c5d6e7"]]},
        {"id": "708192a3b4c5d6e7", "type": "yaml", "z": "5e6f708192a3b4c5", "property": "payload", "name": "",
         "x": 310, "y": 110, "wires": [["92a3b4c5d6e7f809"]]},
        {"id": "92a3b4c5d6e7f809", "type": "debug", "z": "5e6f708192a3b4c5", "name": "", "active": True,
         "tosidebar": True, "console": False, "tostatus": False, "complete": "payload", "targetType": "msg",
         "statusVal": "", "statusType": "auto", "x": 480, "y": 110, "wires": []},
    ]
    rt = await start_runtime(flow)
    comms = await rt.comms()
    await rt.inject("6f708192a3b4c5d6")
    [first] = await comms.debug(1)
    await rt.inject("8192a3b4c5d6e7f8")
    _, second = await comms.debug(2)
    assert first["format"] == "Object"
    assert json.loads(first["msg"]) == {"name": "flowred", "ports": [1880, 1881],
                                        "admin": {"enabled": True, "user": None}}
    assert second["msg"] == "b:\n  - 1\n  - c: x\na:\n  empty: {}\n  list: []\ns: |-\n  two\n  lines\n"


async def test_scalars_follow_js_yaml_not_yaml_1_1(start_runtime):
    text = ("yes: yes\non: off\nno: NO\noctal: 010\nhex: 0x1F\nsci: 1e3\nunder: 1_000\nfloat: .5\n"
            "inf: -.inf\nbool: True\nnull1: ~\nsexa: 1:20\nquoted: '123'\nbinary: 0b101\n")
    [msg] = await run(start_runtime, [yaml_node(), debug()], {"payload": text})
    assert msg["payload"] == {"yes": "yes", "on": "off", "no": "NO", "octal": 10, "hex": 31, "sci": 1000,
                              "under": 1000, "float": 0.5,
                              "inf": {"__enc__": True, "type": "number", "data": "-Infinity"},
                              "bool": True, "null1": None, "sexa": "1:20", "quoted": "123", "binary": 5}


async def test_timestamps_merges_and_keys_round_trip(start_runtime):
    text = ("base: &b {x: 1, y: 2}\nitem:\n  a: 0\n  <<: *b\n  y: 3\nday: 2024-05-01\n"
            "at: 2024-05-01 12:30:00.25 +02:00\n1: one\nnull: none\n")
    nodes = [yaml_node("y1", (("y2",),)), yaml_node("y2", (("d1",),)), debug()]
    [msg] = await run(start_runtime, nodes, {"payload": text})
    assert msg["payload"] == ("base:\n  x: 1\n  'y': 2\nitem:\n  a: 0\n  x: 1\n  'y': 3\n"
                              "day: 2024-05-01T00:00:00.000Z\nat: 2024-05-01T10:30:00.250Z\n'1': one\n"
                              "'null': none\n")


async def test_writing_quotes_what_would_read_back_as_another_type(start_runtime):
    value = {"a": "yes", "b": "123", "c": "1e3", "d": "", "e": "null", "f": 1.5, "g": 2.0, "h": None,
             "i": "plain text", "j": "ü", "k": [[1, 2], []]}
    [msg] = await run(start_runtime, [yaml_node(), debug()], {"payload": value})
    assert msg["payload"] == ("a: 'yes'\nb: '123'\nc: '1e3'\nd: ''\ne: 'null'\nf: 1.5\ng: 2\nh: null\n"
                              "i: plain text\nj: ü\nk:\n  - - 1\n    - 2\n  - []\n")


async def test_null_and_arrays_are_written_documents_without_content_remove_the_property(start_runtime):
    got = await run(start_runtime, [yaml_node(), debug()], {"payload": None}, {"payload": ["a", 1]},
                    {"payload": "# only a comment\n"}, {"payload": "---\n"})
    assert got[0]["payload"] == "null\n"
    assert got[1]["payload"] == "- a\n- 1\n"
    assert "payload" not in got[2]
    assert got[3]["payload"] is None


async def test_property_option_and_missing_property(start_runtime):
    [converted, untouched] = await run(start_runtime, [yaml_node(property="data.cfg"), debug()],
                                       {"payload": "a: 1", "data": {"cfg": "k: [v]"}}, {"payload": "a: [1"})
    assert converted["data"] == {"cfg": {"k": ["v"]}} and converted["payload"] == "a: 1"
    assert untouched["payload"] == "a: [1"


async def test_malformed_yaml_is_an_error_with_place_and_excerpt(start_runtime):
    nodes = [yaml_node(wires=((),)), catch(), debug("dc")]
    got = await run(start_runtime, nodes, {"payload": "a: 1\n b: 2\n", "topic": "bad"},
                    {"payload": "a: 1\nb: 2\na: 3\n"}, {"payload": "- 1\n---\n- 2\n"})
    first = got[0]
    assert first["error"]["message"] == "mapping values are not allowed here (2:3)\n\n 1 | a: 1\n 2 |  b: 2\n-------^"
    assert first["error"]["source"]["id"] == "y1" and first["topic"] == "bad" and first["payload"] == "a: 1\n b: 2\n"
    assert got[1]["error"]["message"] == "duplicated mapping key (3:1)\n\n 1 | a: 1\n 2 | b: 2\n 3 | a: 3\n-----^"
    assert got[2]["error"]["message"] == "expected a single document in the stream, but found more"


async def test_alias_bombs_are_refused_before_they_are_built(start_runtime):
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        text += f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
    nodes = [yaml_node(wires=((),)), catch(), debug("dc")]
    [msg] = await run(start_runtime, nodes, {"payload": text})
    assert msg["error"]["message"] == "aliases expand the document beyond 1000000 values"


async def test_unsafe_tags_are_refused(start_runtime):
    nodes = [yaml_node(wires=((),)), catch(), debug("dc")]
    [msg] = await run(start_runtime, nodes, {"payload": "!!python/object/apply:os.system ['echo hi']"})
    assert msg["error"]["message"].startswith(
        "could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system' (1:1)")


async def test_values_yaml_cannot_hold_fail_to_convert(start_runtime):
    make = make_node("pf", "python-function", [["y1"]], outputs=1, func="msg['payload'] = {'s': {1, 2}}\nreturn msg")
    [msg] = await run(start_runtime, [make, yaml_node(wires=((),)), catch(), debug("dc")], {"payload": None})
    assert msg["error"]["message"] == "Failed to convert payload" and msg["error"]["source"]["id"] == "y1"


async def test_buffers_numbers_and_booleans_are_dropped_with_a_warning(start_runtime):
    nodes = [make_node("f2", "inject", [["y1"]], props=[{"p": "payload", "v": "[104,105]", "vt": "bin"}],
                       repeat="", crontab="", once=False), feeder("f1", "y1"), yaml_node(), debug()]
    rt = await start_runtime([TEST_TAB, *nodes])
    comms = await rt.comms()
    await rt.inject("f2")
    [buffer_warning] = await comms.debug(1)
    await rt.inject("f1", {"payload": 3})
    await rt.inject("f1", {"payload": False})
    _, number_warning, bool_warning = await comms.debug(3)
    assert buffer_warning["level"] == 30 and buffer_warning["msg"] == "Ignored non-object payload"
    assert number_warning["msg"] == bool_warning["msg"] == "Ignored unsupported payload type"
    assert number_warning["id"] == "y1"
