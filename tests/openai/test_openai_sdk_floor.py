"""The installed ``openai`` SDK must be at least the floor the node's method table needs
(flowred.nodes.openai_api.sdk.FLOOR); an older one is a clear error on the msg, naming both
versions and the pip command, not an AttributeError deep in a call."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from flowred.nodes.openai_api.sdk import FLOOR, SdkTooOld, check_version

from conftest import EMULATOR_KEY, TEST_TAB, feeder, free_port, make_node

ROOT = Path(__file__).resolve().parents[2]
FLOWRED = str(Path(sys.executable).with_name("flowred"))
FLOOR_TEXT = ".".join(map(str, FLOOR))


@pytest.mark.parametrize("version", [FLOOR_TEXT, "2.27.1", "3.60.0", "10.0.0", "2.27.0.post1"])
def test_the_floor_and_newer_pass(version):
    check_version(version)


@pytest.mark.parametrize("version", ["2.26.9", "1.109.1", "0.28.0", "", "unknown"])
def test_older_or_unreadable_versions_are_refused(version):
    with pytest.raises(SdkTooOld) as err:
        check_version(version)
    assert f"needs the openai package >= {FLOOR_TEXT}" in str(err.value)
    assert f"pip install -U 'openai[aiohttp]>={FLOOR_TEXT}'" in str(err.value)
    assert err.value.details["code"] == "sdk_too_old"


def test_the_installed_sdk_meets_the_floor():
    import openai
    check_version(openai.__version__)


async def test_a_flow_on_an_old_sdk_reports_it_to_catch_nodes(tmp_path):
    # a fresh FlowRed process that finds an openai 2.20.0 first on its path
    fake = tmp_path / "site" / "openai"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('__version__ = "2.20.0"\n')
    host = {"id": "sh", "type": "Service Host", "name": "h", "apiBase": "http://127.0.0.1:9/v1", "apiBaseType": "str",
            "secureApiKeyValueType": "cred", "credentials": {"secureApiKeyValue": EMULATOR_KEY}}
    flows = [TEST_TAB, host, feeder("in", "ai"),
             make_node("ai", "OpenAI API", [["out"]], service="sh", method="listModels"),
             make_node("out", "debug", complete="true"),
             make_node("c", "catch", [["caught"]], scope=None),
             make_node("caught", "debug", complete="true")]
    flow_file = tmp_path / "flows.json"
    flow_file.write_text(json.dumps(flows))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = str(tmp_path / "site")
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
            async with http.post(url + "/inject/in", json={"payload": {}}) as resp:
                assert resp.status == 200
            caught = None
            while caught is None:
                frame = await asyncio.wait_for(ws.receive_json(), 60)
                for f in frame if isinstance(frame, list) else [frame]:
                    if f["topic"] == "debug" and f["data"].get("id") == "caught":
                        caught = json.loads(f["data"]["msg"])
            await ws.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    error = caught["error"]
    assert error["message"] == (f"The OpenAI API node needs the openai package >= {FLOOR_TEXT}, but 2.20.0 is "
                                f"installed: pip install -U 'openai[aiohttp]>={FLOOR_TEXT}'")
    assert error["code"] == "sdk_too_old" and error["method"] == "listModels"
