"""The package's options argument: ``pollIntervalMs`` and ``maxConcurrency`` of the vector-store
polling helpers and ``tolerance`` of the webhook methods are taken out of the request (as
src/vector-store-file*/methods.js and src/webhooks/methods.js do), never sent to OpenAI, and
passed to the SDK as ``poll_interval_ms``, ``max_concurrency`` and ``tolerance``."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import openai
import pytest
from aiohttp import web
from openai_recorder import GENERIC, Recorder

from flowred.nodes.openai_api.calls import run
from flowred.nodes.openai_api.catalog import METHODS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

POLLING = {
    "createAndPollVectorStoreFile": {"vector_store_id": "vs_1", "file_id": "file_1"},
    "uploadAndPollVectorStoreFile": {"vector_store_id": "vs_1", "file": b"file-bytes"},
    "pollVectorStoreFile": {"vector_store_id": "vs_1", "file_id": "file_1"},
    "createAndPollVectorStoreFileBatch": {"vector_store_id": "vs_1", "file_ids": ["file_1"]},
    "pollVectorStoreFileBatch": {"vector_store_id": "vs_1", "batch_id": "batch_1"},
    "uploadAndPollVectorStoreFileBatch": {"vector_store_id": "vs_1", "files": [b"one", b"two"]},
}


async def collect(client, method: str, request: dict) -> Any:
    [(kind, value)] = [pair async for pair in run(client, METHODS[method], request)]
    return value


def header(request: dict, name: str) -> str | None:
    return {k.lower(): v for k, v in request["headers"].items()}.get(name)


@pytest.fixture
async def recorder():
    rec = await Recorder().start()
    yield rec
    await rec.stop()


@pytest.mark.parametrize("method", list(POLLING))
async def test_poll_interval_is_the_sdk_option_not_a_body_field(recorder, method):
    request = {**POLLING[method], "pollIntervalMs": 1234}
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        result = await collect(client, method, request)
    assert result["id"] == GENERIC["id"]
    assert request["pollIntervalMs"] == 1234  # the msg's request is left as it was
    for sent in recorder.requests:
        assert b"pollIntervalMs" not in sent["raw"] and b"poll_interval" not in sent["raw"]
        assert "pollIntervalMs" not in sent["query"]
    polls = [r for r in recorder.requests if r["method"] == "GET"]
    assert polls and all(header(r, "x-stainless-custom-poll-interval") == "1234" for r in polls)


async def test_without_a_poll_interval_the_sdk_default_applies(recorder):
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        await collect(client, "pollVectorStoreFile", {"vector_store_id": "vs_1", "file_id": "file_1",
                                                      "pollIntervalMs": None})
    [poll] = recorder.requests
    assert header(poll, "x-stainless-custom-poll-interval") is None


class UploadCounter:
    """A loopback API whose ``POST /files`` holds each upload until ``release`` are in flight
    (or ``hold`` seconds pass), recording the most uploads in flight at once."""

    def __init__(self, release: int, hold: float = 2.0) -> None:
        self.release, self.hold = release, hold
        self.in_flight = self.peak = self.count = 0
        self.bodies: list[bytes] = []
        self._changed = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        if request.path.endswith("/files") and request.method == "POST" and "vector_stores" not in request.path:
            async with self._changed:
                self.in_flight += 1
                self.count += 1
                number = self.count
                self.peak = max(self.peak, self.in_flight)
                self._changed.notify_all()
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: self.in_flight >= self.release),
                                           self.hold)
                except asyncio.TimeoutError:
                    pass
                self.in_flight -= 1
            return web.json_response({"id": f"file_{number}", "object": "file", "bytes": 1, "created_at": 0,
                                      "filename": "upload", "purpose": "assistants", "status": "processed"})
        return web.json_response(GENERIC)


@pytest.mark.parametrize(("options", "peak"), [({"maxConcurrency": 2}, 2), ({}, 4)])
async def test_max_concurrency_bounds_the_uploads_in_flight(options, peak):
    counter = UploadCounter(release=4)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", counter.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
        async with openai.AsyncOpenAI(api_key="sk", base_url=base_url, max_retries=0, timeout=60) as client:
            result = await collect(client, "uploadAndPollVectorStoreFileBatch",
                                   {"vector_store_id": "vs_1", "files": [b"a", b"b", b"c", b"d"], **options})
    finally:
        await runner.cleanup()
    assert result["id"] == GENERIC["id"] and counter.count == 4
    assert counter.peak == peak  # the SDK's default is 5 uploads at once
    assert not any(b"maxConcurrency" in body or b"max_concurrency" in body for body in counter.bodies)


# --- tolerance: the webhook methods make no request ------------------------------------------

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
EVENT = {"id": "evt_1", "object": "event", "type": "response.completed", "created_at": 1, "data": {"id": "resp_1"}}


def signed(payload: str, age: int) -> dict[str, str]:
    """Standard Webhooks headers signing ``payload`` with SECRET, ``age`` seconds ago."""
    stamp = str(int(time.time()) - age)
    mac = hmac.new(base64.b64decode(SECRET.removeprefix("whsec_")), f"msg_1.{stamp}.{payload}".encode(),
                   hashlib.sha256).digest()
    return {"webhook-id": "msg_1", "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode()}


@pytest.mark.parametrize("method", ["unwrapWebhookEvent", "verifyWebhookSignature"])
async def test_tolerance_is_the_largest_age_accepted(recorder, method):
    payload = json.dumps(EVENT)
    old = {"payload": payload, "headers": signed(payload, age=1000), "secret": SECRET}
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        with pytest.raises(openai.InvalidWebhookSignatureError):  # the default: 300 s
            await collect(client, method, old)
        with pytest.raises(openai.InvalidWebhookSignatureError):
            await collect(client, method, {**old, "tolerance": 900})
        result = await collect(client, method, {**old, "tolerance": 3600})
        fresh = {"payload": payload, "headers": signed(payload, age=100), "secret": SECRET}
        with pytest.raises(openai.InvalidWebhookSignatureError):
            await collect(client, method, {**fresh, "tolerance": 10})
    assert result == (EVENT if method == "unwrapWebhookEvent" else {"verified": True})
    assert recorder.requests == []


async def test_unwrap_with_a_tolerance_still_checks_the_signature(recorder):
    payload = json.dumps(EVENT)
    request = {"payload": payload + " ", "headers": signed(payload, age=0), "secret": SECRET, "tolerance": 3600}
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        with pytest.raises(openai.InvalidWebhookSignatureError):
            await collect(client, "unwrapWebhookEvent", request)
