"""template node: mustache rendering of msg, context and env values, output formats, errors."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node


def template(id_: str, wires=(("d1",),), **fields) -> dict:
    """A template node with the fields Node-RED's editor writes, overridden by ``fields``."""
    base = {"field": "payload", "fieldType": "msg", "format": "handlebars", "syntax": "mustache",
            "template": "This is the payload: {{payload}} !", "output": "str"}
    return make_node(id_, "template", wires, **{**base, **fields})


def debug(id_: str = "d1", complete: str = "true") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete=complete, targetType="full" if complete == "true" else "msg")


async def run(start_runtime, nodes: list[dict], *msgs: dict, count: int | None = None) -> list[dict]:
    rt = await start_runtime([TEST_TAB, feeder("f1", nodes[0]["id"]), *nodes])
    comms = await rt.comms()
    for m in msgs:
        await rt.inject("f1", m)
    return await comms.debug(count if count is not None else len(msgs))


async def test_node_red_export_renders_the_default_template(start_runtime):
    export = {"id": "3f1a2b4c5d6e7f80", "type": "template", "z": "t1", "name": "greet",
              "field": "payload", "fieldType": "msg", "format": "handlebars", "syntax": "mustache",
              "template": "This is the payload: {{payload}} !", "output": "str",
              "x": 300, "y": 120, "wires": [["d1"]]}
    [data] = await run(start_runtime, [export, debug("d1", "false")], {"payload": "hi", "topic": "t"})
    assert data["msg"] == "This is the payload: hi !"
    assert data["format"] == "string[25]"


async def test_values_are_written_as_javascript_writes_them(start_runtime):
    text = ("{{payload.n}}|{{payload.f}}|{{payload.b}}|{{payload.list}}|{{payload.obj}}|{{payload.none}}|{{missing}}"
            "|{{payload.deep.x}}")
    msg = {"payload": {"n": 3, "f": 2.0, "b": False, "list": [1, "a", None, 2.5], "obj": {"a": 1},
                       "none": None, "deep": {"x": "y"}}}
    [data] = await run(start_runtime, [template("tp", template=text), debug()], msg)
    assert json.loads(data["msg"])["payload"] == "3|2|false|1,a,,2.5|[object Object]|||y"


async def test_html_escaping_as_mustache_js_and_triple_braces_raw(start_runtime):
    [data] = await run(start_runtime, [template("tp", template="{{payload}} / {{{payload}}} / {{&payload}}"), debug()],
                       {"payload": "<a href='x'>&\"=/`</a>"})
    out = json.loads(data["msg"])["payload"]
    assert out == ("&lt;a href&#x3D;&#39;x&#39;&gt;&amp;&quot;&#x3D;&#x2F;&#x60;&lt;&#x2F;a&gt;"
                   " / <a href='x'>&\"=/`</a> / <a href='x'>&\"=/`</a>")


async def test_sections_lists_inverted_and_empty_object(start_runtime):
    text = ("{{#payload.items}}[{{name}}:{{topic}}]{{/payload.items}}"
            "{{^payload.none}}none{{/payload.none}}{{#payload.empty}}E{{/payload.empty}}"
            "{{^payload.empty}}not-shown{{/payload.empty}}{{#payload.zero}}Z{{/payload.zero}}")
    msg = {"topic": "T", "payload": {"items": [{"name": "a"}, {"name": "b"}], "none": [], "empty": {}, "zero": 0}}
    [data] = await run(start_runtime, [template("tp", template=text), debug()], msg)
    assert json.loads(data["msg"])["payload"] == "[a:T][b:T]noneE"


async def test_flow_global_and_env_values(start_runtime):
    tab = {**TEST_TAB, "env": [{"name": "GREETING", "value": "hello", "type": "str"}]}
    set_flow = template("s1", wires=(("s2",),), field="count", fieldType="flow", template="{{payload}}", output="json")
    set_global = template("s2", wires=(("tp",),), field="#:(memory)::who", fieldType="global",
                          template="{{topic}}")
    text = "{{env.GREETING}} {{global.who}} {{global[memory].who}} {{flow.count}} {{flow.nothing}}{{payload}}"
    rt = await start_runtime([tab, feeder("f1", "s1"), set_flow, set_global, template("tp", template=text), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 41, "topic": "world"})
    [data] = await comms.debug(1)
    # the nodes that wrote context sent the msg on unchanged
    assert json.loads(data["msg"])["payload"] == "hello world world 41 41"


async def test_msg_property_wins_over_context_names(start_runtime):
    [data] = await run(start_runtime, [template("tp", template="{{env.X}}|{{flow.y}}"), debug()],
                       {"env": {"X": "from-msg"}, "flow": {"y": "also-msg"}})
    assert json.loads(data["msg"])["payload"] == "from-msg|also-msg"


async def test_json_output_escapes_msg_strings_and_parses(start_runtime):
    text = '{"text": "{{payload}}", "n": {{num}}, "raw": "{{{path}}}", "items": [{{#list}}"{{.}}",{{/list}}"end"]}'
    msg = {"payload": "line1\nline2\t\\end", "num": 1.5, "path": "C:\\dir", "list": ["a\\b"]}
    [data] = await run(start_runtime, [template("tp", template=text, output="json"), debug("d1", "false")], msg)
    assert data["format"] == "Object"
    # top-level msg strings are escaped for JSON; inside sections they are not (as Node-RED)
    assert json.loads(data["msg"]) == {"text": "line1\nline2\t\\end", "n": 1.5, "raw": "C:\\dir",
                                       "items": ["a\b", "end"]}


async def test_json_output_parse_error_goes_to_catch_with_the_msg(start_runtime):
    nodes = [template("tp", wires=((),), template='{"a": {{payload}}}', output="json"),
             make_node("c1", "catch", [["d1"]], scope=["tp"], uncaught=False), debug()]
    [data] = await run(start_runtime, nodes, {"payload": "not json"})
    msg = json.loads(data["msg"])
    assert msg["error"]["message"].startswith("Invalid JSON: ")
    assert "position 6" in msg["error"]["message"]
    assert msg["error"]["source"]["id"] == "tp" and msg["payload"] == "not json"


async def test_plain_syntax_and_other_property(start_runtime):
    [data] = await run(start_runtime, [template("tp", syntax="plain", field="out.text", template="{{payload}} as is"),
                                       debug()], {"payload": "x"})
    assert json.loads(data["msg"])["out"] == {"text": "{{payload}} as is"}


async def test_empty_template_uses_msg_template(start_runtime):
    nodes = [template("tp", template=""), debug()]
    got = await run(start_runtime, nodes, {"template": "A {{payload}}", "payload": 1},
                    {"template": "B {{payload}}", "payload": 2}, {"payload": 3})
    assert [json.loads(d["msg"])["payload"] for d in got] == ["A 1", "B 2", ""]


async def test_bad_msg_template_is_an_error(start_runtime):
    nodes = [template("tp", wires=((),), template=""),
             make_node("c1", "catch", [["d1"]], scope=None, uncaught=False), debug()]
    [data] = await run(start_runtime, nodes, {"template": "{{#a}} never closed", "payload": 1})
    assert "invalid mustache template" in json.loads(data["msg"])["error"]["message"]


async def test_invalid_config_is_a_located_deploy_error(start_runtime):
    rt = await start_runtime([TEST_TAB])
    for field, bad in (("template", "{{#a}}{{/b}}"), ("output", "xml"), ("fieldType", "env")):
        resp = await rt.deploy([TEST_TAB, template("tp", **{field: bad}), debug()], expect=400)
        body = await resp.json()
        assert {(e["id"], e["field"]) for e in body["errors"]} == {("tp", field)}


async def test_yaml_output_needs_pyyaml(start_runtime):
    try:
        import yaml  # noqa: F401
    except ImportError:
        rt = await start_runtime([TEST_TAB])
        resp = await rt.deploy([TEST_TAB, template("tp", output="yaml"), debug()], expect=400)
        assert "PyYAML" in (await resp.json())["message"]
        return
    [data] = await run(start_runtime, [template("tp", template="a: {{payload}}\nb: [1, 2]", output="yaml"), debug()],
                       {"payload": "x"})
    assert json.loads(data["msg"])["payload"] == {"a": "x", "b": [1, 2]}


async def test_dotted_names_index_arrays_as_mustache_js(start_runtime):
    # Node-RED's example network/http/06 renders {{req.files.0.originalname}} of an upload
    tpl = template("t", template="{{req.files.0.originalname}}|{{payload.1}}|{{payload.length}}|{{payload.9}}|")
    [got] = await run(start_runtime, [tpl, debug()], {"req": {"files": [{"originalname": "hello.txt"}]},
                                                      "payload": ["a", "b"]})
    assert json.loads(got["msg"])["payload"] == "hello.txt|b|2||"
