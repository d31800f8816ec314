"""The ``openai`` SDK (about a second to import) never stalls the server: it is imported on a
thread when a flow with an OpenAI API node starts, or off the loop at the first call. Both
tests run a fresh interpreter, where the SDK is not imported yet."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from conftest import EMULATOR_KEY, TEST_TAB, feeder, free_port, make_node

ROOT = Path(__file__).resolve().parents[2]
FLOWRED = str(Path(sys.executable).with_name("flowred"))

READY_ORDER = """
import asyncio, sys
from flowred.nodes.openai_api import sdk
assert "openai" not in sys.modules
order = []

async def main():
    load = asyncio.ensure_future(sdk.ready())
    load.add_done_callback(lambda _: order.append("sdk"))
    await asyncio.sleep(0)  # the load starts
    while not load.done():  # the loop keeps running while the SDK loads
        order.append("loop")
        await asyncio.sleep(0.01)
    import openai  # noqa: F401

asyncio.run(main())
print(order[0], order[-1], "openai" in sys.modules)
"""


def test_ready_imports_the_sdk_off_the_loop():
    out = subprocess.run([sys.executable, "-c", READY_ORDER], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["loop", "sdk", "True"]


async def test_a_cheap_request_is_answered_during_the_first_call(tmp_path):
    order: list[str] = []
    answered = asyncio.Event()

    async def embeddings(request: web.Request) -> web.Response:
        order.append("openai request")
        try:  # hold the first call open until the cheap request has been answered
            await asyncio.wait_for(answered.wait(), 60)
        except TimeoutError:
            pass
        order.append("openai answer")
        return web.json_response({"object": "list", "model": "m", "usage": {"prompt_tokens": 1, "total_tokens": 1},
                                  "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}]})

    app = web.Application()
    app.router.add_post("/v1/embeddings", embeddings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    remote_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", remote_port).start()
    host = {"id": "sh", "type": "Service Host", "name": "remote", "apiBase": f"http://127.0.0.1:{remote_port}/v1",
            "apiBaseType": "str", "secureApiKeyValueType": "cred", "maxRetries": 0,
            "credentials": {"secureApiKeyValue": EMULATOR_KEY}}
    flows = [TEST_TAB, host, feeder("in", "ai"),
             make_node("ai", "OpenAI API", [["out"]], service="sh", method="createEmbedding"),
             make_node("out", "debug", complete="true")]
    flow_file = tmp_path / "flows.json"
    flow_file.write_text(json.dumps(flows))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    proc = subprocess.Popen(  # noqa: ASYNC220 - starting the server does not wait for it
        [FLOWRED, "run", str(flow_file), "--userDir", str(tmp_path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(url + "/settings") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            ws = await http.ws_connect(url + "/comms")
            await ws.send_json({"subscribe": "debug"})
            async with http.post(url + "/inject/in", json={"payload": {"model": "m", "input": "a"}}) as resp:
                assert resp.status == 200
            async with http.get(url + "/settings") as resp:
                assert resp.status == 200
                order.append("cheap answer")
            answered.set()
            debug: list[dict] = []
            while not debug:  # heartbeats ("hb") may come first while the SDK still loads
                frame = await asyncio.wait_for(ws.receive_json(), 60)
                frames = frame if isinstance(frame, list) else [frame]
                debug = [json.loads(f["data"]["msg"]) for f in frames if f["topic"] == "debug"]
            order.append("call done")
            [msg] = debug
            assert msg["payload"] == [{"object": "embedding", "index": 0, "embedding": [0.5]}]
            await ws.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        await runner.cleanup()
    assert order.index("cheap answer") < order.index("openai answer") < order.index("call done")
