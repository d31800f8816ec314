"""http in and http response (21-httpin.js): routes with params, query and body parsing, file
uploads, status, headers, cookies, body types, fan-out, timeouts, redeploys, duplicate routes."""
from __future__ import annotations

import asyncio
import json

import aiohttp

from conftest import TEST_TAB, feeder, make_node


def http_in(id_: str, url: str, wires, method: str = "get", upload: bool = False) -> dict:
    return make_node(id_, "http in", [list(wires)], url=url, method=method, upload=upload, swaggerDoc="")


def http_response(id_: str = "r1", statusCode: str = "", headers: dict | None = None) -> dict:
    return make_node(id_, "http response", [], statusCode=statusCode, headers=headers or {})


def change(id_: str, rules: list[dict], wires=("r1",)) -> dict:
    return make_node(id_, "change", [list(wires)], rules=rules, action="", property="", **{"from": ""}, to="",
                     reg=False)


def set_rule(prop: str, value: str, kind: str) -> dict:
    return {"t": "set", "p": prop, "pt": "msg", "to": value, "tot": kind}


NODE_RED_EXPORT = [
    {"id": "f1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
    {"id": "in1", "type": "http in", "z": "f1", "name": "", "url": "/hello/:name", "method": "get", "upload": False,
     "swaggerDoc": "", "x": 110, "y": 80, "wires": [["ch1"]]},
    {"id": "ch1", "type": "change", "z": "f1", "name": "", "rules": [
        {"t": "set", "p": "payload", "pt": "msg", "to": "req.params", "tot": "msg"},
        {"t": "set", "p": "payload.q", "pt": "msg", "to": "req.query.q", "tot": "msg"}],
     "action": "", "property": "", "from": "", "to": "", "reg": False, "x": 280, "y": 80, "wires": [["out1"]]},
    {"id": "out1", "type": "http response", "z": "f1", "name": "", "statusCode": "", "headers": {},
     "x": 450, "y": 80, "wires": []},
]


async def test_node_red_export_route_params_and_query(start_runtime):
    rt = await start_runtime(NODE_RED_EXPORT)
    resp = await rt.http.get(rt.url + "/hello/world?q=a%20b")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert await resp.json() == {"name": "world", "q": "a b"}
    # Express routes ignore a trailing slash
    resp = await rt.http.get(rt.url + "/hello/you/")
    assert await resp.json() == {"name": "you"}
    resp = await rt.http.get(rt.url + "/hello")
    assert resp.status == 404


async def test_get_payload_is_the_parsed_query_string(start_runtime):
    rt = await start_runtime([TEST_TAB, http_in("i1", "q", ["r1"]), http_response()])
    resp = await rt.http.get(rt.url + "/q?a=1&a=2&b[c]=3&d[]=x&e")
    assert await resp.json() == {"a": ["1", "2"], "b": {"c": "3"}, "d": ["x"], "e": ""}
    head = await rt.http.head(rt.url + "/q?a=1")
    assert head.status == 200 and await head.read() == b""


async def test_post_body_parsed_by_content_type(start_runtime):
    rt = await start_runtime([TEST_TAB, http_in("i1", "/echo", ["r1"], method="post"), http_response()])
    url = rt.url + "/echo"
    resp = await rt.http.post(url, json={"a": [1, 2], "b": None})
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert await resp.json() == {"a": [1, 2], "b": None}
    resp = await rt.http.post(url, data={"x": "1", "y": "two words"})
    assert await resp.json() == {"x": "1", "y": "two words"}
    resp = await rt.http.post(url, data="plain text", headers={"Content-Type": "text/plain"})
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert await resp.text() == "plain text"
    resp = await rt.http.post(url, data=b"\x00\xff\x01", headers={"Content-Type": "application/octet-stream"})
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert await resp.read() == b"\x00\xff\x01"
    # other application/* types become a string when they are valid UTF-8
    resp = await rt.http.post(url, data=b"<a/>", headers={"Content-Type": "application/vnd.x"})
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    resp = await rt.http.post(url, data=b"{}", headers={"Content-Type": "application/json"})
    assert await resp.json() == {}


async def test_invalid_json_body_is_answered_500_with_a_warning(start_runtime):
    rt = await start_runtime([TEST_TAB, http_in("i1", "/echo", ["r1"], method="post"), http_response()])
    comms = await rt.comms()
    resp = await rt.http.post(rt.url + "/echo", data=b"{nope", headers={"Content-Type": "application/json"})
    assert resp.status == 500 and await resp.text() == "Internal Server Error"
    [warning] = await comms.debug(1)
    assert warning["level"] == 30 and warning["id"] == "i1"


async def test_msg_req_fields(start_runtime):
    flows = [TEST_TAB, http_in("i1", "/api/:kind/:id", ["r1", "d1"], method="put"), http_response(),
             make_node("d1", "debug", complete="req")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    resp = await rt.http.put(rt.url + "/api/user/7?full=1", json={"n": 1},
                             headers={"Cookie": "sid=abc%20d; pref=j:%7B%22a%22%3A1%7D", "X-Custom": "v"})
    assert resp.status == 200
    [data] = await comms.debug(1)
    req = json.loads(data["msg"])
    assert req["method"] == "PUT" and req["params"] == {"kind": "user", "id": "7"}
    assert req["url"] == "/api/user/7?full=1" and req["path"] == "/api/user/7" and req["originalUrl"] == req["url"]
    assert req["query"] == {"full": "1"} and req["body"] == {"n": 1}
    assert req["headers"]["x-custom"] == "v" and req["cookies"] == {"sid": "abc d", "pref": {"a": 1}}


async def test_file_upload(start_runtime):
    flows = [TEST_TAB, http_in("i1", "/upload", ["d1", "r1"], method="post", upload=True), http_response(),
             make_node("d1", "debug", complete="req.files")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    form = aiohttp.FormData()
    form.add_field("title", "report")
    form.add_field("file", b"\x01\x02\x03", filename="a.bin", content_type="application/x-test")
    resp = await rt.http.post(rt.url + "/upload", data=form)
    assert await resp.json() == {"title": "report"}
    [data] = await comms.debug(1)
    [file] = json.loads(data["msg"])
    assert file["fieldname"] == "file" and file["originalname"] == "a.bin"
    assert file["mimetype"] == "application/x-test" and file["size"] == 3
    assert file["buffer"]["data"] == [1, 2, 3]


async def test_status_code_config_wins_over_msg_and_headers_merge(start_runtime):
    flows = [TEST_TAB,
             http_in("i1", "/a", ["c1"]), http_in("i2", "/b", ["c1"]),
             change("c1", [set_rule("statusCode", "418", "num"), set_rule("payload", "hi", "str"),
                           set_rule("headers", '{"X-From-Msg":"m","x-both":"msg",'
                                               '"content-type":"text/plain"}', "json")],
                    wires=("r1", "r2")),
             http_response("r1", statusCode="201", headers={"x-both": "node", "X-Config": 1}),
             http_response("r2")]
    rt = await start_runtime(flows)
    resp = await rt.http.get(rt.url + "/a")
    # r1 answers first (first wire): its status and headers win; r2's answer is ignored
    assert resp.status == 201 and await resp.text() == "hi"
    assert resp.headers["x-both"] == "node" and resp.headers["X-Config"] == "1"
    assert resp.headers["X-From-Msg"] == "m"
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"


async def test_msg_status_code_used_when_node_has_none(start_runtime):
    flows = [TEST_TAB, http_in("i1", "/a", ["c1"]),
             change("c1", [set_rule("statusCode", "404", "str"), set_rule("payload", "42", "num")])]
    rt = await start_runtime(flows + [http_response()])
    resp = await rt.http.get(rt.url + "/a")
    assert resp.status == 404 and await resp.text() == "42"
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_cookies_set_and_cleared(start_runtime):
    cookies = {"sid": {"value": "a b", "maxAge": 60000, "httpOnly": True, "path": "/x"},
               "plain": 5, "old": None, "gone": {"value": None, "domain": "example.com"}}
    flows = [TEST_TAB, http_in("i1", "/c", ["c1"]), change("c1", [set_rule("cookies", json.dumps(cookies), "json")]),
             http_response()]
    rt = await start_runtime(flows)
    resp = await rt.http.get(rt.url + "/c")
    set_cookies = resp.headers.getall("Set-Cookie")
    assert set_cookies[0].startswith("sid=a%20b; Max-Age=60; Path=/x; Expires=")
    assert set_cookies[0].endswith("; HttpOnly")
    assert set_cookies[1] == "plain=5; Path=/"
    assert set_cookies[2] == "old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    assert set_cookies[3] == "gone=; Domain=example.com; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"


async def test_payload_types(start_runtime):
    flows = [TEST_TAB,
             http_in("i1", "/null", ["c1"]), change("c1", [set_rule("payload", "null", "json")]),
             http_in("i2", "/none", ["c2"]), change("c2", [{"t": "delete", "p": "payload", "pt": "msg"}]),
             http_in("i3", "/bin", ["c3"]), change("c3", [set_rule("payload", "[104,105]", "bin")]),
             http_response()]
    rt = await start_runtime(flows)
    resp = await rt.http.get(rt.url + "/null")
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8" and await resp.text() == "null"
    resp = await rt.http.get(rt.url + "/none")
    assert resp.status == 200 and await resp.read() == b"" and "Content-Type" not in resp.headers
    resp = await rt.http.get(rt.url + "/bin")
    assert resp.headers["Content-Type"] == "application/octet-stream" and await resp.read() == b"hi"


async def test_fan_out_keeps_req_and_res_so_a_clone_still_answers(start_runtime):
    # the http response is the second target: it gets the clone
    flows = [TEST_TAB, http_in("i1", "/fan", ["d1", "r1"]), make_node("d1", "debug", complete="true"), http_response()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    resp = await rt.http.get(rt.url + "/fan?x=1")
    assert resp.status == 200 and await resp.json() == {"x": "1"}
    [data] = await comms.debug(1)
    msg = json.loads(data["msg"])
    assert msg["payload"] == {"x": "1"} and msg["req"]["query"] == {"x": "1"}
    assert msg["res"] == {"_res": {"__enc__": True, "type": "internal"}}


async def test_unanswered_request_times_out_with_504(start_runtime):
    rt = await start_runtime([TEST_TAB, http_in("i1", "/never", [])], httpNodeTimeout=200)
    loop = asyncio.get_running_loop()
    started = loop.time()
    resp = await rt.http.get(rt.url + "/never")
    assert resp.status == 504 and 0.15 < loop.time() - started < 5


async def test_redeploy_answers_pending_requests_503_and_serves_the_new_route(start_runtime):
    rt = await start_runtime([TEST_TAB, http_in("i1", "/wait", [])])
    pending = asyncio.ensure_future(rt.http.get(rt.url + "/wait"))
    await asyncio.sleep(0.2)
    assert not pending.done()
    await rt.deploy([TEST_TAB, http_in("i2", "/wait", ["r1"]), http_response()])
    resp = await asyncio.wait_for(pending, 5)
    assert resp.status == 503
    resp = await rt.http.get(rt.url + "/wait?ok=1")
    assert await resp.json() == {"ok": "1"}


async def test_duplicate_route_first_started_answers_until_removed(start_runtime):
    def answering(n: int) -> list[dict]:
        return [http_in(f"i{n}", "/dup", [f"c{n}"]), change(f"c{n}", [set_rule("payload", f"node {n}", "str")])]

    rt = await start_runtime([TEST_TAB, *answering(1), *answering(2), http_response()])
    assert await (await rt.http.get(rt.url + "/dup")).text() == "node 1"
    await rt.deploy([TEST_TAB, *answering(2), http_response()])
    assert await (await rt.http.get(rt.url + "/dup")).text() == "node 2"


async def test_http_response_without_res_warns(start_runtime):
    rt = await start_runtime([TEST_TAB, feeder("f1", "r1"), http_response()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "x"})
    [warning] = await comms.debug(1)
    assert warning["level"] == 30 and warning["msg"] == "No response object"


async def test_missing_path_warns_and_bad_method_is_a_deploy_error(start_runtime):
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, http_in("i1", "", [])])
    [warning] = await comms.debug(1)
    assert warning["msg"] == "missing path"
    resp = await rt.deploy([TEST_TAB, http_in("i1", "/x", [], method="trace")], expect=400)
    assert "method" in await resp.text()


async def test_jsonata_sees_the_msg_with_req_and_res(start_runtime):
    flows = [TEST_TAB, http_in("i1", "/double", ["c1"], method="post"),
             change("c1", [set_rule("payload", '{"n": payload.n * 2, "m": req.method, "res": $exists(res)}',
                                    "jsonata")]),
             http_response()]
    rt = await start_runtime(flows)
    resp = await rt.http.post(rt.url + "/double", json={"n": 21})
    assert resp.status == 200 and await resp.json() == {"n": 42, "m": "POST", "res": True}
