"""Test harness: the real runtime on a real aiohttp server on loopback, driven over HTTP and
the ``/comms`` websocket, and the built-in OpenAI emulator for OpenAI calls."""
from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from pathlib import Path
from typing import Any, Callable

import aiohttp
import pytest
from aiohttp import web

from flowred.api import create_app
from flowred.engine import Engine
from flowred.settings import Settings
from flowred.storage import FlowStorage

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "flows"
REFERENCE = Path(__file__).resolve().parent / "reference"
EMULATOR_KEY = "sk-test-emulator-key-0123456789"


TEST_TAB = {"id": "t1", "type": "tab", "label": "test"}

# Under pytest-xdist (``make test``) the tests that take longest are handed out first, so that no
# worker is left running one of them alone at the end; a plain pytest run keeps the file order.
SLOW_FIRST = ("tests/test_wheel.py", "tests/test_crash_consistency.py", "tests/test_benchmarks_smoke.py",
              "tests/test_api_fuzz.py", "tests/cluster/", "tests/browser/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, sort ``items`` (stable) by their place in SLOW_FIRST; others after."""
    if not hasattr(config, "workerinput"):
        return
    items.sort(key=lambda item: next((i for i, p in enumerate(SLOW_FIRST) if item.nodeid.startswith(p)),
                                     len(SLOW_FIRST)))


def make_node(id_: str, type_: str, wires: Any = (), **fields: Any) -> dict:
    """A node of tab ``t1`` in Node-RED's export format; ``wires`` is one list of ids per output."""
    return {"id": id_, "type": type_, "z": "t1", "name": "", "x": 100, "y": 100,
            "wires": [list(w) for w in wires], **fields}


def feeder(id_: str, *targets: str) -> dict:
    """An inject node without props: ``rt.inject(id_, msg)`` sends ``msg`` itself to ``targets``."""
    return make_node(id_, "inject", [list(targets)], props=[], repeat="", crontab="", once=False)


def full_debug(id_: str = "d1") -> dict:
    """A debug node showing the whole msg in the sidebar, as Node-RED's editor exports it."""
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def catch_all(id_: str = "c1", target: str = "dc") -> dict:
    """A catch node for every node of the tab, wired to ``target``."""
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


async def run_msgs(start_runtime, nodes: list[dict], *msgs: dict, count: int | None = None) -> list[dict]:
    """Deploy ``nodes`` behind a feeder, send ``msgs`` and return the msgs the debug nodes got."""
    rt = await start_runtime([TEST_TAB, feeder("f1", nodes[0]["id"]), *nodes])
    comms = await rt.comms()
    for m in msgs:
        await rt.inject("f1", m)
    return [json.loads(d["msg"]) for d in await comms.debug(count if count is not None else len(msgs))]


async def timed(comms, n: int, node_id: str | None = None, timeout: float = 5) -> list[tuple[float, dict]]:
    """The first ``n`` debug msgs (of ``node_id``), each with the monotonic time it arrived."""
    out = []
    for i in range(1, n + 1):
        got = await comms.debug(i, timeout, node_id)
        out.append((time.monotonic(), json.loads(got[i - 1]["msg"])))
    return out


FLOWRED = str(Path(sys.executable).with_name("flowred"))


async def start_flowred(args: list[str], env: dict, command: str = FLOWRED,
                        cwd: Path = ROOT) -> tuple[asyncio.subprocess.Process, str]:
    """Start ``command args`` (the ``flowred`` script of this venv by default) and return the
    process and its output up to the line "FlowRed is running"; an early exit or 30 s without
    that line fails the test with the output."""
    proc = await asyncio.create_subprocess_exec(command, *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT, env=env, cwd=cwd)
    seen = []
    try:
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            if not line:
                raise AssertionError("flowred exited early:\n" + "".join(seen))
            seen.append(line)
            if "FlowRed is running" in line:
                return proc, "".join(seen)
    except asyncio.TimeoutError:
        proc.kill()
        raise AssertionError("flowred did not start:\n" + "".join(seen)) from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CommsClient:
    """A ``/comms`` websocket client that collects every ``{topic, data}`` it receives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict] = []
        self.frames = 0
        self._new = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            body = json.loads(frame.data)
            self.frames += 1
            self.messages.extend(body if isinstance(body, list) else [body])
            self._new.set()

    def topic(self, topic: str) -> list[Any]:
        return [m["data"] for m in self.messages if m["topic"] == topic]

    async def wait_for(self, predicate: Callable[[dict], bool], count: int = 1, timeout: float = 10) -> list[dict]:
        """Wait until ``count`` messages match ``predicate``; returns them (AssertionError on timeout)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            found = [m for m in self.messages if predicate(m)]
            if len(found) >= count:
                return found
            left = end - loop.time()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {count} message(s); got {self.messages[-20:]}")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def debug(self, count: int = 1, timeout: float = 10, node_id: str | None = None) -> list[dict]:
        msgs = await self.wait_for(
            lambda m: m["topic"] == "debug" and (node_id is None or m["data"].get("id") == node_id), count, timeout)
        return [m["data"] for m in msgs]

    async def close(self) -> None:
        await self.ws.close()
        self._task.cancel()


class Runtime:
    """A running FlowRed (engine + HTTP server) for one test."""

    def __init__(self, engine: Engine, runner: web.AppRunner, url: str, session: aiohttp.ClientSession, tmp: Path):
        self.engine, self.runner, self.url, self.http, self.tmp = engine, runner, url, session, tmp
        self._comms: list[CommsClient] = []

    async def comms(self, *subscribe: str) -> CommsClient:
        ws = await self.http.ws_connect(self.url + "/comms")
        client = CommsClient(ws)
        for topic in subscribe or ("debug", "status/#", "notification/#"):
            await ws.send_json({"subscribe": topic})
        self._comms.append(client)
        return client

    async def deploy(self, flows: list[dict], expect: int = 204) -> aiohttp.ClientResponse:
        resp = await self.http.post(self.url + "/flows", json=flows)
        assert resp.status == expect, await resp.text()
        return resp

    async def inject(self, node_id: str, body: Any = None) -> tuple[int, str]:
        resp = await self.http.post(f"{self.url}/inject/{node_id}", json=body)
        return resp.status, await resp.text()

    async def close(self) -> None:
        for c in self._comms:
            await c.close()
        await self.engine.stop()
        await self.runner.cleanup()


@pytest.fixture
async def start_runtime(tmp_path: Path):
    """Factory: ``rt = await start_runtime(flows=[...])`` starts a runtime whose flow file is in
    ``tmp_path`` (``flows`` is written there first when given)."""
    started: list[Runtime] = []
    session = aiohttp.ClientSession()

    async def start(flows: list[dict] | str | None = None, **settings: Any) -> Runtime:
        flow_file = tmp_path / f"flows{len(started) or ''}.json"
        if flows is not None:
            flow_file.write_text(flows if isinstance(flows, str) else json.dumps(flows))
        s = Settings(flowFile=flow_file, userDir=tmp_path / "user", **settings)
        engine = Engine(s, FlowStorage(flow_file, s.userDir, s.credentialSecret))
        # A request still open at teardown (an upload the server refused unread, which aiohttp
        # lingers on for 10 s) is cut after 1 s instead of aiohttp's 60 s graceful wait.
        runner = web.AppRunner(create_app(engine), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()  # the kernel's free port: no race with other workers
        port = runner.addresses[0][1]
        await engine.load()
        rt = Runtime(engine, runner, f"http://127.0.0.1:{port}", session, tmp_path)
        started.append(rt)
        return rt

    yield start
    for rt in started:
        await rt.close()
    await session.close()


@pytest.fixture
async def emulator(monkeypatch):
    """The built-in OpenAI emulator on a free loopback port, accepting EMULATOR_KEY; the
    environment points OPENAI_BASE_URL / OPENAI_API_KEY at it."""
    from flowred.openai_emulator import start_emulator

    emu = await start_emulator(host="127.0.0.1", port=0, api_keys={EMULATOR_KEY})
    monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", EMULATOR_KEY)
    yield emu
    await emu.stop()


def load_flow(name: str) -> list[dict]:
    return json.loads((FLOWS / name).read_text())
