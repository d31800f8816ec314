"""http request (21-httprequest.js) against a real aiohttp server on loopback: methods, url
templates, bodies, query strings, headers, auth, redirects, cookies, return types, errors,
timeouts, keep-alive, and the http in → http request → http response pattern."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re

import pytest
from aiohttp import web

from conftest import TEST_TAB, feeder, free_port, make_node


class Target:
    """The server the http request nodes call; it records each request's client port."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.peers: list[int] = []


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"method": request.method, "path": request.path, "query": request.rel_url.raw_query_string,
                              "headers": dict(request.headers), "body": body.decode("utf-8", "replace")})


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/json", headers={"Set-Cookie": "step=one; Path=/"})


async def _json(request: web.Request) -> web.Response:
    resp = web.json_response({"ok": True, "id": request.query.get("id")})
    resp.headers.add("Set-Cookie", "a=1; Path=/; HttpOnly")
    resp.headers.add("Set-Cookie", "b=x%20y")
    return resp


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.Response(text="late")


async def _basic(request: web.Request) -> web.Response:
    return web.Response(text=request.headers.get("Authorization", "none"))


async def _digest(request: web.Request) -> web.Response:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Digest "):
        return web.Response(status=401, headers={
            "WWW-Authenticate": 'Digest realm="r", qop="auth", nonce="n0", opaque="op"'})
    fields = dict(re.findall(r'(\w+)="?([^",]+)"?', auth[7:]))
    ha1 = hashlib.md5(b"u:r:pw").hexdigest()
    ha2 = hashlib.md5(f"{request.method}:{fields['uri']}".encode()).hexdigest()
    expect = hashlib.md5(f"{ha1}:n0:{fields['nc']}:{fields['cnonce']}:auth:{ha2}".encode()).hexdigest()
    ok = fields["response"] == expect and fields["uri"] == request.path_qs
    return web.Response(status=200 if ok else 403, text="digest ok" if ok else "digest bad")


async def _peer(request: web.Request) -> web.Response:
    request.app[TARGET].peers.append(request.transport.get_extra_info("peername")[1])
    return web.Response(text="ok")


async def _text(request: web.Request) -> web.Response:
    return web.Response(text="not json")


async def _no_content(request: web.Request) -> web.Response:
    return web.Response(status=204)


TARGET = web.AppKey("target", Target)


@pytest.fixture
async def target():
    port = free_port()
    app = web.Application()
    app[TARGET] = Target(f"http://127.0.0.1:{port}")
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/json", _json)
    app.router.add_get("/redirect", _redirect)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/basic", _basic)
    app.router.add_route("*", "/digest", _digest)
    app.router.add_get("/peer", _peer)
    app.router.add_get("/text", _text)
    app.router.add_get("/nocontent", _no_content)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield app[TARGET]
    await runner.cleanup()


def request_node(id_: str = "h1", url: str = "", wires=("d1",), **fields) -> dict:
    """An http request node as the Node-RED editor exports it."""
    base = dict(method="GET", ret="txt", paytoqs="ignore", url=url, tls="", persist=False, proxy="",
                insecureHTTPParser=False, authType="", senderr=False, headers=[])
    return make_node(id_, "http request", [list(wires)], **{**base, **fields})


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", complete="true", active=True, tosidebar=True, console=False, tostatus=False,
                     targetType="full")


async def run(start_runtime, nodes: list[dict], *msgs: dict, count: int | None = None) -> list[dict]:
    """Deploy a feeder wired to h1 plus ``nodes``, send ``msgs``, return the debug entries."""
    rt = await start_runtime([TEST_TAB, feeder("f1", "h1"), *nodes])
    comms = await rt.comms()
    for msg in msgs:
        await rt.inject("f1", msg)
    return await comms.debug(len(msgs) if count is None else count)


def decoded(entries: list[dict]) -> list[dict]:
    return [json.loads(e["msg"]) for e in entries if e.get("level") is None]


async def test_node_red_export_templated_url_and_parsed_json(start_runtime, target):
    flows = [
        {"id": "f1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
        {"id": "in1", "type": "inject", "z": "f1", "name": "", "props": [{"p": "payload"}], "repeat": "",
         "crontab": "", "once": False, "onceDelay": 0.1, "topic": "", "payload": "a/b c", "payloadType": "str",
         "x": 110, "y": 80, "wires": [["req1"]]},
        {"id": "req1", "type": "http request", "z": "f1", "name": "", "method": "GET", "ret": "obj",
         "paytoqs": "ignore", "url": target.url + "/json?id={{{payload}}}", "tls": "", "persist": False,
         "proxy": "", "insecureHTTPParser": False, "authType": "", "senderr": False, "headers": [],
         "x": 300, "y": 80, "wires": [["dbg1"]]},
        {"id": "dbg1", "type": "debug", "z": "f1", "name": "", "active": True, "tosidebar": True, "console": False,
         "tostatus": False, "complete": "true", "targetType": "full", "statusVal": "", "statusType": "auto",
         "x": 480, "y": 80, "wires": []},
    ]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in1")
    [msg] = decoded(await comms.debug(1))
    assert msg["payload"] == {"ok": True, "id": "a/b c"}
    assert msg["statusCode"] == 200 and msg["headers"]["content-type"].startswith("application/json")
    assert msg["headers"]["set-cookie"] == ["a=1; Path=/; HttpOnly", "b=x%20y"]
    assert msg["responseCookies"] == {"a": {"value": "1", "Path": "/"}, "b": {"value": "x y"}}
    assert msg["responseUrl"].startswith(target.url + "/json?id=a/b%20c")
    assert msg["redirectList"] == [] and msg["retry"] == 0
    assert "x-node-red-request-node" in msg["headers"]


async def test_escaped_mustache_tags_and_msg_url(start_runtime, target):
    nodes = [request_node(url=target.url + "/echo?q={{payload}}", ret="obj"), debug(),
             request_node("h2", ret="obj", wires=("d2",)), debug("d2"), feeder("f2", "h2")]
    rt = await start_runtime([TEST_TAB, feeder("f1", "h1"), *nodes])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "<a/b>"})
    [msg] = decoded(await comms.debug(1))
    # mustache.js HTML-escapes {{ }}: "&#x2F;" starts a URL fragment, as in Node-RED
    assert msg["payload"]["query"] == "q=&lt;a&"
    await rt.inject("f2", {"url": target.url.removeprefix("http://") + "/echo?x=1"})
    [_, msg] = decoded(await comms.debug(2))
    assert msg["payload"]["method"] == "GET" and msg["payload"]["query"] == "x=1"


async def test_post_json_body_and_method_from_msg(start_runtime, target):
    got = decoded(await run(start_runtime, [request_node(url=target.url + "/echo", method="use", ret="obj"), debug()],
                            {"method": "put", "payload": {"a": 1}}, {"method": "post", "payload": 42}))
    got.sort(key=lambda m: m["payload"]["method"] != "PUT")  # the two requests run concurrently
    assert [m["payload"]["method"] for m in got] == ["PUT", "POST"]
    assert json.loads(got[0]["payload"]["body"]) == {"a": 1}
    assert got[0]["payload"]["headers"]["Content-Type"] == "application/json"
    assert "Accept-Encoding" not in got[0]["payload"]["headers"]
    assert got[1]["payload"]["body"] == "42" and "Content-Type" not in got[1]["payload"]["headers"]


async def test_urlencoded_body_and_payload_to_query_string(start_runtime, target):
    form_headers = [{"keyType": "Content-Type", "keyValue": "", "valueType": "application/x-www-form-urlencoded",
                     "valueValue": ""}]
    nodes = [request_node(url=target.url + "/echo", method="POST", ret="obj", headers=form_headers), debug(),
             feeder("f2", "h2"), request_node("h2", url=target.url + "/echo?z=0", ret="obj", paytoqs="query"),
             feeder("f3", "h3"), request_node("h3", url=target.url + "/echo", ret="obj", paytoqs="body")]
    rt = await start_runtime([TEST_TAB, feeder("f1", "h1"), *nodes])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": {"a": "x y", "b": [1, 2]}})
    await comms.debug(1)
    await rt.inject("f2", {"payload": {"a": "x y", "b": [1, 2], "c": True}})
    await comms.debug(2)
    await rt.inject("f3", {"payload": {"g": 1}})
    got = decoded(await comms.debug(3))
    assert got[0]["payload"]["body"] == "a=x%20y&b=1&b=2"
    assert got[1]["payload"]["query"] == "z=0&a=x%20y&b=1&b=2&c=true"
    assert got[2]["payload"]["method"] == "GET" and got[2]["payload"]["body"] == '{"g":1}'


async def test_headers_from_msg_and_node_list(start_runtime, target):
    rules = [{"keyType": "other", "keyValue": "X-Node", "valueType": "other", "valueValue": "node"},
             {"keyType": "other", "keyValue": "x-both", "valueType": "msg", "valueValue": "topic"},
             {"keyType": "other", "keyValue": "X-Drop", "valueType": "other", "valueValue": ""}]
    got = decoded(await run(start_runtime, [request_node(url=target.url + "/echo", ret="obj", headers=rules), debug()],
                            {"topic": "from-topic", "headers": {"X-Both": "msg", "x-drop": "1", "X-Msg": 7},
                             "cookies": {"s": "a b", "raw": {"value": "a%b", "encode": False}, "clear": None}}))
    sent = got[0]["payload"]["headers"]
    assert sent["X-Node"] == "node" and sent["x-both"] == "from-topic" and sent["X-Msg"] == "7"
    assert "X-Drop" not in sent and "x-drop" not in sent
    assert sent["Cookie"] == "s=a%20b; raw=a%b"


async def test_header_and_cookie_values_are_javascripts_string(start_runtime, target):
    # String(null) is "null", String(1.0) is "1", a cookie object without a value "undefined"
    got = decoded(await run(start_runtime, [request_node(url=target.url + "/echo", ret="obj"), debug()],
                            {"headers": {"X-List": [None], "X-Float": 1.0, "X-Bool": True},
                             "cookies": {"n": {"encode": False}}}))
    sent = got[0]["payload"]["headers"]
    assert (sent["X-List"], sent["X-Float"], sent["X-Bool"]) == ("null", "1", "true")
    assert sent["Cookie"] == "n=undefined"


async def test_return_types_and_json_parse_failure(start_runtime, target):
    nodes = [request_node(url=target.url + "/text", ret="obj"), debug(),
             feeder("f2", "h2"), request_node("h2", url=target.url + "/json", ret="bin"),
             feeder("f3", "h3"), request_node("h3", url=target.url + "/nocontent", ret="obj")]
    rt = await start_runtime([TEST_TAB, feeder("f1", "h1"), *nodes])
    comms = await rt.comms()
    await rt.inject("f1")
    [warning, first] = await comms.debug(2)
    assert warning["level"] == 30 and warning["msg"] == "JSON parse error"
    assert json.loads(first["msg"])["payload"] == "not json"
    await rt.inject("f2")
    entries = await comms.debug(3)
    assert json.loads(entries[2]["msg"])["payload"]["type"] == "Buffer"
    await rt.inject("f3")
    entries = await comms.debug(4)
    last = json.loads(entries[3]["msg"])
    assert last["statusCode"] == 204 and last["payload"] == {}


async def test_connection_refused_goes_to_catch_and_is_sent_on(start_runtime):
    port = free_port()
    url = f"http://127.0.0.1:{port}/x"
    flows = [TEST_TAB, feeder("f1", "h1"), request_node(url=url), debug(),
             make_node("c1", "catch", [["d2"]], scope=None, uncaught=False), debug("d2"),
             feeder("f2", "h2"), request_node("h2", url=url, senderr=True, wires=("d3",)), debug("d3")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "orig"})
    entries = await comms.debug(2)
    by_id = {e["id"]: json.loads(e["msg"]) for e in entries}
    text = f"RequestError: connect ECONNREFUSED 127.0.0.1:{port}"
    assert by_id["d2"]["error"]["message"] == text and by_id["d2"]["payload"] == "orig"
    assert by_id["d1"]["payload"] == f"{text} : {url}" and by_id["d1"]["statusCode"] == "ECONNREFUSED"
    status = await comms.wait_for(lambda m: m["topic"] == "status/h1" and m["data"].get("fill") == "red")
    assert status[0]["data"] == {"fill": "red", "shape": "ring", "text": "ECONNREFUSED"}
    await rt.inject("f2")
    await comms.debug(3)  # only the catch node's msg: senderr sends nothing on
    await asyncio.sleep(0.2)
    assert not [m for m in comms.topic("debug") if m["id"] == "d3"]


async def test_request_timeout_from_msg(start_runtime, target):
    flows = [request_node(url=target.url + "/slow"), debug(),
             make_node("c1", "catch", [["d2"]], scope=None, uncaught=False), debug("d2")]
    entries = await run(start_runtime, flows, {"requestTimeout": 150}, count=2)
    by_id = {e["id"]: json.loads(e["msg"]) for e in entries}
    assert by_id["d2"]["error"]["message"] == "No response from server"
    assert by_id["d1"]["statusCode"] == "ETIMEDOUT"
    assert by_id["d1"]["payload"].startswith("TimeoutError: Timeout awaiting 'request' for 150ms : ")


async def test_basic_bearer_and_digest_auth(start_runtime, target):
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    await rt.deploy([
        TEST_TAB, feeder("f1", "h1", "h2", "h3", "h4"),
        {**request_node("h1", url=target.url + "/basic"), "credentials": {"user": "u", "password": "p w"}},
        {**request_node("h2", url=target.url + "/basic", authType="bearer"), "credentials": {"password": "tok"}},
        {**request_node("h3", url=target.url + "/digest?x=1", method="POST", authType="digest"),
         "credentials": {"user": "u", "password": "pw"}},
        request_node("h4", url=target.url.replace("://", "://ann:secret@") + "/basic"),
        debug()])
    await rt.inject("f1", {"payload": "body"})
    got = sorted((m["payload"] for m in decoded(await comms.debug(4))), key=str)
    assert got == sorted(["Basic " + base64.b64encode(b"u:p w").decode(), "Bearer tok", "digest ok",
                          "Basic " + base64.b64encode(b"ann:secret").decode()])


async def test_redirects_listed_and_not_followed_on_request(start_runtime, target):
    got = decoded(await run(start_runtime, [request_node(url=target.url + "/redirect", ret="obj"), debug()],
                            {"topic": "follow"}, {"topic": "stop", "followRedirects": False}))
    got.sort(key=lambda m: m["topic"])
    assert got[0]["statusCode"] == 200 and got[0]["payload"]["ok"] is True
    assert got[0]["redirectList"] == [{"location": "/json", "cookies": {"step": {"value": "one", "Path": "/"}}}]
    assert got[1]["statusCode"] == 302 and got[1]["redirectList"] == []


async def test_keep_alive_reuses_one_connection_only_with_persist(start_runtime, target):
    nodes = [request_node(url=target.url + "/peer", persist=True), debug(),
             feeder("f2", "h2"), request_node("h2", url=target.url + "/peer")]
    rt = await start_runtime([TEST_TAB, feeder("f1", "h1"), *nodes])
    comms = await rt.comms()
    for n in range(3):
        await rt.inject("f1")
        await comms.debug(n + 1)
    assert len(set(target.peers)) == 1
    target.peers.clear()
    for n in range(3):
        await rt.inject("f2")
        await comms.debug(n + 4)
    assert len(set(target.peers)) == 3


async def test_bad_urls(start_runtime):
    entries = await run(start_runtime, [request_node(), debug(), request_node("h2", url="ftp://x/y")],
                        {}, count=1)
    assert entries[0]["level"] == 20 and entries[0]["msg"] == "No url specified"
    rt = await start_runtime([TEST_TAB, feeder("f1", "h1"), request_node(url="ftp://x/y")])
    comms = await rt.comms()
    await rt.inject("f1")
    [warning] = await comms.debug(1)
    assert warning["level"] == 30 and warning["msg"] == "non-http transport requested"


async def test_http_in_to_http_request_to_http_response(start_runtime):
    """The token-vending pattern: a request answered from a call to another endpoint; the
    http in fans out, so the http request gets a clone whose req/res are the originals."""
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    await rt.deploy([
        TEST_TAB,
        make_node("vend", "http in", [["d1", "call"]], url="/vend", method="post", upload=False, swaggerDoc=""),
        make_node("d1", "debug", complete="req.body"),
        request_node("call", url=rt.url + "/issue", method="POST", ret="obj", wires=("r1",)),
        make_node("r1", "http response", [], statusCode="", headers={}),
        make_node("issue", "http in", [["r2"]], url="/issue", method="post", upload=True, swaggerDoc=""),
        make_node("r2", "http response", [], statusCode="201", headers={"X-Issuer": "flowred"}),
    ])
    resp = await rt.http.post(rt.url + "/vend", json={"user": "ann", "scope": ["a", "b"]})
    # msg.statusCode is the inner response's; its headers are not copied (msg.headers is unchanged)
    assert resp.status == 201 and "X-Issuer" not in resp.headers
    assert await resp.json() == {"user": "ann", "scope": ["a", "b"]}
    [data] = await comms.debug(1)
    assert json.loads(data["msg"]) == {"user": "ann", "scope": ["a", "b"]}


async def test_multipart_form_data_to_an_upload_endpoint(start_runtime):
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    form_header = [{"keyType": "Content-Type", "keyValue": "", "valueType": "multipart/form-data", "valueValue": ""}]
    await rt.deploy([
        TEST_TAB, feeder("f1", "h1"),
        request_node(url=rt.url + "/up", method="POST", ret="obj", headers=form_header),
        debug(),
        make_node("up", "http in", [["r1", "d2"]], url="/up", method="post", upload=True, swaggerDoc=""),
        make_node("d2", "debug", complete="req.files"),
        make_node("r1", "http response", [], statusCode="", headers={}),
    ])
    await rt.inject("f1", {"payload": {"name": "ann", "meta": {"n": 1},
                                       "file": {"value": "hello", "options": {"filename": "h.txt",
                                                                              "contentType": "text/plain"}}}})
    entries = await comms.debug(2)
    by_id = {e["id"]: json.loads(e["msg"]) for e in entries}
    assert by_id["d1"]["payload"] == {"name": "ann", "meta": '{"n":1}'}
    [file] = by_id["d2"]
    assert file["originalname"] == "h.txt" and file["mimetype"] == "text/plain" and file["size"] == 5


async def test_proxy_from_the_environment_and_no_proxy(start_runtime, target, monkeypatch):
    # http_proxy is read when the node starts; the target server answers as the proxy.
    monkeypatch.setenv("http_proxy", target.url)
    monkeypatch.setenv("no_proxy", "localhost")
    got = decoded(await run(start_runtime, [request_node(url="http://flowred-proxied.invalid/echo", ret="obj"),
                                            debug()], {}))
    assert got[0]["payload"]["path"] == "/echo"
    assert got[0]["payload"]["headers"]["Host"] == "flowred-proxied.invalid"


async def test_no_proxy_hosts_are_reached_directly(start_runtime, target, monkeypatch):
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    got = decoded(await run(start_runtime, [request_node(url=target.url + "/echo", ret="obj"), debug()], {}))
    assert got[0]["payload"]["method"] == "GET"
