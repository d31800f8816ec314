"""Other web sites and DNS rebinding against the Admin API (runtime.api.guard): bodies only as
application/json (or the login forms), Host must be a loopback name on a loopback bind, writes
and the /comms upgrade refuse a foreign Origin; allowedHosts / allowedOrigins widen that."""
from __future__ import annotations

import json

import aiohttp
import pytest
from pydantic import ValidationError

from flowred.settings import Settings

from conftest import TEST_TAB, feeder, make_node

FLOWS = [TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")]
# what a hostile page would deploy: an inject that fires at once into an exec node
EVIL = [TEST_TAB, make_node("evil-inject", "inject", [["evil-exec"]], props=[], repeat="", crontab="", once=True),
        make_node("evil-exec", "exec", [[], [], []], command="echo pwned", addpay="", append="",
                  useSpawn="false", timer="", winHide=False, oldrc=False)]
HTTP_IN = [TEST_TAB, make_node("h1", "http in", [["r1"]], url="/hello", method="get", upload=False),
           make_node("r1", "http response", [], statusCode="", headers={})]


async def flow_ids(rt) -> list[str]:
    return [n["id"] for n in await (await rt.http.get(rt.url + "/flows")).json()]


@pytest.mark.parametrize("ctype", ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", "application/octet-stream"])
async def test_a_body_that_is_not_json_is_415_and_deploys_nothing(start_runtime, ctype):
    rt = await start_runtime(FLOWS)
    # fetch(url, {method: "POST", mode: "no-cors", body}) and <form enctype="text/plain"> send these
    resp = await rt.http.post(rt.url + "/flows", data=json.dumps(EVIL).encode(), headers={"Content-Type": ctype})
    assert resp.status == 415
    body = await resp.json()
    assert body["code"] == "unsupported_media_type" and "application/json" in body["message"]
    assert "evil-exec" not in await flow_ids(rt)
    resp = await rt.http.post(rt.url + "/inject/i1", data=b"{}", headers={"Content-Type": ctype})
    assert resp.status == 415


async def test_json_and_bodiless_writes_still_work(start_runtime):
    rt = await start_runtime(FLOWS)
    resp = await rt.http.post(rt.url + "/flows", json=FLOWS + [make_node("d2", "debug")])
    assert resp.status == 204
    assert "d2" in await flow_ids(rt)
    assert (await rt.http.post(rt.url + "/inject/i1")).status == 200  # no body, no Content-Type
    resp = await rt.http.post(rt.url + "/flows", data=json.dumps(FLOWS),
                              headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status == 204


async def test_the_content_type_is_checked_before_the_body_is_read(start_runtime):
    rt = await start_runtime(FLOWS)
    big = b"x" * (6 * 1024 * 1024)  # above the 5 MB body limit: reading it would answer 413
    resp = await rt.http.post(rt.url + "/flows", data=big, headers={"Content-Type": "text/plain"})
    assert resp.status == 415


async def test_a_foreign_host_is_refused_on_a_loopback_bind(start_runtime):
    rt = await start_runtime(FLOWS)
    port = rt.url.rsplit(":", 1)[1]
    for path in ("/flows", "/settings", "/"):
        resp = await rt.http.get(rt.url + path, headers={"Host": f"rebind.example:{port}"})
        assert resp.status == 403, path
        body = await resp.json()
        assert body["code"] == "host_not_allowed"
        assert "rebind.example" in body["message"] and "allowedHosts" in body["message"]
    resp = await rt.http.post(rt.url + "/flows", json=EVIL, headers={"Host": "rebind.example"})
    assert resp.status == 403 and "evil-exec" not in await flow_ids(rt)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await rt.http.ws_connect(rt.url + "/comms", headers={"Host": f"rebind.example:{port}"})
    assert refused.value.status == 403
    for host in (f"localhost:{port}", "localhost", f"127.0.0.1:{port}", "127.0.0.2", f"[::1]:{port}", "[::1]",
                 f"LOCALHOST:{port}"):
        assert (await rt.http.get(rt.url + "/flows", headers={"Host": host})).status == 200, host


async def test_http_in_endpoints_are_the_users_own_api_and_take_any_host(start_runtime):
    rt = await start_runtime(HTTP_IN)
    resp = await rt.http.get(rt.url + "/hello", headers={"Host": "my-service.example"})
    assert resp.status == 200


async def test_a_foreign_origin_may_not_write_nor_open_comms(start_runtime):
    rt = await start_runtime(FLOWS)
    own = rt.url
    for origin in ("http://attacker.example", "null", "http://localhost:1", own + "1", "http://127.0.0.1"):
        resp = await rt.http.post(rt.url + "/flows", json=EVIL, headers={"Origin": origin})
        assert resp.status == 403, origin
        body = await resp.json()
        assert body["code"] == "origin_not_allowed" and "allowedOrigins" in body["message"]
        assert (await rt.http.delete(rt.url + "/flow/t1", headers={"Origin": origin})).status == 403
    assert "evil-exec" not in await flow_ids(rt)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await rt.http.ws_connect(rt.url + "/comms", origin="http://attacker.example")
    assert refused.value.status == 403
    # reads stay open (the browser keeps a foreign page from reading the answer), and so do
    # the server's own origin and clients that send no Origin (curl, scripts)
    assert (await rt.http.get(rt.url + "/flows", headers={"Origin": "http://attacker.example"})).status == 200
    assert (await rt.http.post(rt.url + "/flows", json=FLOWS, headers={"Origin": own})).status == 204
    assert (await rt.http.post(rt.url + "/flows", json=FLOWS)).status == 204
    ws = await rt.http.ws_connect(rt.url + "/comms", origin=own)
    await ws.send_json({"subscribe": "notification/#"})
    assert any(m["topic"] == "notification/runtime-state" for m in json.loads((await ws.receive(timeout=5)).data))
    await ws.close()


async def test_allowed_hosts_and_origins_widen_the_checks(start_runtime):
    rt = await start_runtime(FLOWS, allowedHosts=["flows.example"], allowedOrigins=["https://flows.example"])
    port = rt.url.rsplit(":", 1)[1]
    headers = {"Host": f"flows.example:{port}", "Origin": "https://flows.example"}
    assert (await rt.http.post(rt.url + "/flows", json=FLOWS, headers=headers)).status == 204
    assert (await rt.http.get(rt.url + "/flows", headers={"Host": "flows.example"})).status == 200
    assert (await rt.http.get(rt.url + "/flows", headers={"Host": "other.example"})).status == 403
    other = {"Origin": "https://other.example"}
    assert (await rt.http.post(rt.url + "/flows", json=FLOWS, headers=other)).status == 403
    ws = await rt.http.ws_connect(rt.url + "/comms", headers=headers)
    await ws.close()


def test_allowed_hosts_and_origins_are_validated():
    assert Settings(allowedHosts=["Flows.Example", "*"], allowedOrigins=["https://a.example:8443"]).allowedHosts == [
        "flows.example", "*"]
    for bad in ({"allowedHosts": ["http://flows.example"]}, {"allowedHosts": [""]},
                {"allowedHosts": ["a.example/path"]}, {"allowedOrigins": ["flows.example"]},
                {"allowedOrigins": ["https://a.example/path"]}, {"allowedOrigins": ["ftp://a.example"]}):
        with pytest.raises(ValidationError):
            Settings(**bad)
