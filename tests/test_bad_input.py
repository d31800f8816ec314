"""Bad Admin API input: always a JSON ``{code, message}`` 4xx, never a 500, never a change to the
running or stored flows (so the next start still loads them)."""
from __future__ import annotations

import json

import pytest

from conftest import TEST_TAB, feeder, make_node

FLOWS = [TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")]
JSON = {"Content-Type": "application/json"}


async def rev_of(rt) -> str:
    return (await (await rt.http.get(rt.url + "/flows", headers={"Node-RED-API-Version": "v2"})).json())["rev"]


async def refused(rt, method: str, path: str, data: bytes | str, status: int = 400, headers=None) -> dict:
    """Send ``data`` raw; assert a JSON error with ``status`` and that the flows did not change."""
    before = await rev_of(rt)
    resp = await rt.http.request(method, rt.url + path, data=data, headers={**JSON, **(headers or {})})
    text = await resp.text()
    assert resp.status == status, f"{method} {path}: {resp.status} {text[:300]}"
    body = json.loads(text)
    assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
    assert await rev_of(rt) == before
    return body


BODY_ROUTES = [("POST", "/flows"), ("POST", "/flow"), ("PUT", "/flow/t1"), ("POST", "/flows/state"),
               ("POST", "/trace"), ("PUT", "/nodes/flowred/sort"), ("POST", "/inject/i1")]


@pytest.mark.parametrize("method,path", BODY_ROUTES)
async def test_malformed_bodies_are_400_json(start_runtime, method, path):
    rt = await start_runtime(FLOWS)
    deep = "[" * 100_000 + "]" * 100_000
    assert (await refused(rt, method, path, deep))["code"] == "invalid_json"
    assert (await refused(rt, method, path, '{"a": "\\ud800"}'))["code"] == "invalid_json"
    assert (await refused(rt, method, path, b'{"a": "\xff\xfe"}'))["code"] == "invalid_json"
    assert (await refused(rt, method, path, '{"a": NaN}'))["code"] == "invalid_json"
    assert (await refused(rt, method, path, '[{"a": -Infinity}]'))["code"] == "invalid_json"
    assert (await refused(rt, method, path, '{"a": 1'))["code"] == "invalid_json"
    assert (await refused(rt, method, path, '{"a": [1e999]}'))["code"] == "invalid_json"
    assert (await refused(rt, method, path, '{"a": 1' + "0" * 5000 + "}"))["code"] == "invalid_json"


async def test_a_body_over_the_size_limit_is_413_json(start_runtime):
    rt = await start_runtime(FLOWS)
    big = json.dumps([{"id": "x", "type": "comment", "info": "a" * (6 * 1024 * 1024)}])
    assert (await refused(rt, "POST", "/flows", big, 413))["code"] == "too_large"


async def test_moderately_deep_nesting_inside_a_node_is_refused_before_saving(start_runtime):
    rt = await start_runtime(FLOWS)
    deep = json.dumps(FLOWS + [{"id": "c1", "type": "comment", "z": "t1", "x": 1, "y": 1,
                                "info": json.loads("[" * 900 + "]" * 900)}])
    assert (await refused(rt, "POST", "/flows", deep))["code"] == "invalid_json"


BAD_NODES = [
    ({"id": 5, "type": "debug", "z": "t1", "x": 1, "y": 1, "wires": []}, "5"),
    ({"id": "n1", "type": "debug", "z": 7, "x": 1, "y": 1, "wires": []}, "n1"),
    ({"id": "n1", "type": "debug", "z": "t1", "x": 1, "y": 1, "wires": [[3]]}, "n1"),
    ({"id": "n1", "type": "debug", "z": "t1", "x": 1, "y": 1, "wires": ["d1"]}, "n1"),
    ({"id": "n1", "type": "debug", "z": "t1", "x": 1, "y": 1, "wires": {"a": 1}}, "n1"),
    ({"id": "", "type": "debug", "z": "t1", "x": 1, "y": 1, "wires": []}, "at index"),
    ({"id": "n1", "type": ["debug"], "z": "t1", "x": 1, "y": 1, "wires": []}, "n1"),
]


@pytest.mark.parametrize("node,named", BAD_NODES)
async def test_bad_node_ids_z_and_wires_are_400_naming_the_node_and_never_saved(start_runtime, node, named):
    rt = await start_runtime(FLOWS)
    saved = (rt.tmp / "flows.json").read_text()
    for method, path, body in [("POST", "/flows", FLOWS + [node]),
                               ("POST", "/flows", {"flows": FLOWS + [node]}),
                               ("POST", "/flow", {"label": "x", "nodes": [node]}),
                               ("PUT", "/flow/t1", {"label": "x", "nodes": [node]})]:
        headers = {"Node-RED-API-Version": "v2"} if isinstance(body, dict) and "flows" in body else None
        err = await refused(rt, method, path, json.dumps(body), headers=headers)
        assert err["code"] == "invalid_flow" and named in err["message"], (method, path, err)
    assert (rt.tmp / "flows.json").read_text() == saved
    again = await start_runtime(saved)  # the next start loads the same flows
    assert [n["id"] for n in again.engine.get_flows()] == [n["id"] for n in FLOWS]


@pytest.mark.parametrize("body", [[], "x", 3, None, {"nodes": "x"}, {"nodes": [1]}, {"nodes": [{"type": "debug"}]},
                                  {"configs": {"a": 1}}, {"label": 5, "nodes": []}, {"env": "x"}])
async def test_wrong_flow_body_shapes_are_400(start_runtime, body):
    rt = await start_runtime(FLOWS)
    for method, path in [("POST", "/flow"), ("PUT", "/flow/t1")]:
        err = await refused(rt, method, path, json.dumps(body))
        assert err["code"] in ("invalid_request", "invalid_flow"), err


async def test_wrong_deploy_credentials_are_400(start_runtime):
    rt = await start_runtime(FLOWS)
    body = {"flows": FLOWS, "credentials": {"d1": 5}}
    await refused(rt, "POST", "/flows", json.dumps(body), headers={"Node-RED-API-Version": "v2"})
    await refused(rt, "POST", "/flows", json.dumps(FLOWS[:2] + [{**FLOWS[2], "credentials": "x"}]))


@pytest.mark.parametrize("key", ["a..b", "a[", "a]", "a.", "[0]", 'a["x'])
async def test_bad_context_keys_are_400(start_runtime, key):
    rt = await start_runtime(FLOWS)
    for scope in ("global", "flow/t1", "node/d1"):
        for method in ("GET", "DELETE"):
            resp = await rt.http.request(method, f"{rt.url}/context/{scope}/{key}")
            body = await resp.json()
            assert resp.status == 400 and body["code"] == "invalid_key", (scope, key, body)


@pytest.mark.parametrize("data,ctype", [("{", "application/json"), ("[1]", "application/json"),
                                        ('"x"', "application/json"), (b"\xff", "application/json"),
                                        ("username=a&password=b&grant_type=x", "application/x-www-form-urlencoded"),
                                        (b"\xff=\xfe", "application/x-www-form-urlencoded"),
                                        ("--x\r\n", "multipart/form-data; boundary=x")])
async def test_malformed_auth_token_bodies_are_400(start_runtime, data, ctype):
    rt = await start_runtime(FLOWS)
    for path in ("/auth/token",) if "grant_type" in str(data) else ("/auth/token", "/auth/revoke"):
        resp = await rt.http.post(rt.url + path, data=data, headers={"Content-Type": ctype})
        body = await resp.json()
        assert resp.status in (400, 415), (path, data, body)  # 415: a body type /auth does not take
        assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body


async def test_a_numeric_node_id_posted_to_one_flow_does_not_break_the_next_start(start_runtime):
    rt = await start_runtime(FLOWS)
    node = {"id": 5, "type": "debug", "x": 1, "y": 1, "wires": []}
    resp = await rt.http.post(rt.url + "/flow", json={"label": "x", "nodes": [node]})
    body = await resp.json()
    again = await start_runtime((rt.tmp / "flows.json").read_text())
    assert again.engine.load_error is None and len(again.engine.get_flows()) == len(FLOWS)
    assert resp.status == 400 and body["code"] == "invalid_flow"
    assert "node 5 at index 0 (debug) field 'id'" in body["message"]


async def test_a_node_config_validator_that_raises_is_an_invalid_node_not_a_500(start_runtime):
    rt = await start_runtime(FLOWS)
    node = make_node("f1", "file", filename={"not": "a string"})
    err = await refused(rt, "POST", "/flows", json.dumps(FLOWS + [node]))
    assert err["code"] == "invalid_flow" and err["errors"][0]["id"] == "f1"
