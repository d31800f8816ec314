"""adminAuth: bcrypt users, OAuth2 password-grant tokens, read-only users, /comms auth."""
from __future__ import annotations

import json

import aiohttp
import bcrypt

from conftest import TEST_TAB, feeder, make_node

ADMIN_HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(8)).decode()
READER_HASH = bcrypt.hashpw(b"look", bcrypt.gensalt(8)).decode()
AUTH = {"type": "credentials", "users": [
    {"username": "admin", "password": ADMIN_HASH, "permissions": "*"},
    {"username": "viewer", "password": READER_HASH, "permissions": "read"}]}
FLOWS = [TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")]


async def token(rt, username: str, password: str) -> tuple[int, dict]:
    resp = await rt.http.post(rt.url + "/auth/token", data={
        "client_id": "node-red-admin", "grant_type": "password", "scope": "*",
        "username": username, "password": password})
    return resp.status, await resp.json()


async def test_without_admin_auth_everything_is_open(start_runtime):
    rt = await start_runtime(FLOWS)
    assert await (await rt.http.get(rt.url + "/auth/login")).json() == {}
    assert (await rt.http.get(rt.url + "/flows")).status == 200


async def test_tokens_guard_the_admin_api_and_read_only_users_only_read(start_runtime):
    rt = await start_runtime(FLOWS, adminAuth=AUTH)
    prompts = await (await rt.http.get(rt.url + "/auth/login")).json()
    assert prompts["type"] == "credentials" and [p["id"] for p in prompts["prompts"]] == ["username", "password"]
    assert (await rt.http.get(rt.url + "/flows")).status == 401
    assert (await rt.http.get(rt.url + "/")).status == 200  # the editor page itself loads
    assert await token(rt, "admin", "wrong") == (401, {"error": "invalid_grant"})

    status, body = await token(rt, "admin", "s3cret")
    assert status == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 604800
    admin = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await rt.http.get(rt.url + "/flows", headers=admin)).status == 200
    assert (await rt.http.post(rt.url + "/inject/i1", headers=admin)).status == 200

    _, viewer_body = await token(rt, "viewer", "look")
    viewer = {"Authorization": f"Bearer {viewer_body['access_token']}"}
    assert (await rt.http.get(rt.url + "/flows", headers=viewer)).status == 200
    assert (await rt.http.post(rt.url + "/flows", json=FLOWS, headers=viewer)).status == 401

    await rt.http.post(rt.url + "/auth/revoke", data={"token": body["access_token"]}, headers=admin)
    assert (await rt.http.get(rt.url + "/flows", headers=admin)).status == 401


async def test_comms_needs_a_token_first(start_runtime):
    rt = await start_runtime(FLOWS, adminAuth=AUTH)
    _, body = await token(rt, "admin", "s3cret")
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(rt.url + "/comms")
        await ws.send_json({"auth": "not-a-token"})
        reply = await ws.receive(timeout=5)
        assert json.loads(reply.data) == {"auth": "fail"}
        await ws.close()

        ws = await http.ws_connect(rt.url + "/comms")
        await ws.send_json({"auth": body["access_token"]})
        assert json.loads((await ws.receive(timeout=5)).data) == {"auth": "ok"}
        await ws.send_json({"subscribe": "notification/#"})
        frame = json.loads((await ws.receive(timeout=5)).data)
        assert any(m["topic"] == "notification/runtime-state" for m in frame)
        await ws.close()


async def test_repeated_failed_logins_are_throttled(start_runtime):
    rt = await start_runtime(FLOWS, adminAuth=AUTH)
    for _ in range(10):
        assert (await token(rt, "admin", "guess"))[0] == 401
    status, body = await token(rt, "admin", "s3cret")  # even the right password waits now
    assert status == 429 and body == {"error": "too_many_requests"}
