"""``flowred run FLOWFILE --openai-emulator``, started as the README's ``make run`` starts it: a
real process, driven over HTTP and /comms, then stopped with SIGTERM."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time

import aiohttp
import pytest

from conftest import FLOWRED, FLOWS, ROOT, free_port, start_flowred as start_process


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_run_with_emulator_serves_editor_api_and_the_seed_flow(tmp_path, loop):
    flow_file = tmp_path / "flows.json"
    shutil.copy(FLOWS / "realtime-client-secret.json", flow_file)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    proc, log = await start_process(["run", str(flow_file), "--userDir", str(tmp_path), "--port", str(port),
                                     "--openai-emulator", "--loop", loop], env)
    url = f"http://127.0.0.1:{port}"
    try:
        assert f"Server now running at {url}/" in log and f"Event loop     : {loop}" in log
        assert "OpenAI emulator" in log and "Started flows" in log
        async with aiohttp.ClientSession() as http:
            page = await http.get(url + "/")
            assert page.status == 200 and "FlowRed" in await page.text()
            settings = await (await http.get(url + "/settings")).json()
            emulator_url = settings["openaiEmulator"]["url"]
            assert emulator_url.startswith("http://127.0.0.1:")
            ws = await http.ws_connect(url + "/comms")
            await ws.send_json({"subscribe": "debug"})
            assert (await http.post(url + "/inject/b7fce6b60f312e8a")).status == 200
            debug = None
            end = time.monotonic() + 20
            while debug is None and time.monotonic() < end:
                for item in await ws.receive_json(timeout=20):
                    if item["topic"] == "debug":
                        debug = item["data"]
            payload = json.loads(debug["msg"])["payload"]
            assert payload["value"].startswith("ek_") and payload["session"]["model"] == "gpt-audio-1.5"
            requests = await (await http.get(emulator_url.removesuffix("/v1") + "/__emulator/requests")).json()
            assert requests[-1]["headers"]["authorization"].startswith("Bearer sk-emulator-")
            await ws.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, out.decode()


async def test_port_in_use_is_a_clear_error(tmp_path):
    port = free_port()
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", port)
    try:
        proc = await asyncio.create_subprocess_exec(
            FLOWRED, "run", str(tmp_path / "flows.json"), "--userDir", str(tmp_path), "--port", str(port),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        blocker.close()
    assert proc.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in out.decode()


async def test_settings_file_and_safe_mode(tmp_path):
    port = free_port()
    flows = tmp_path / "my-flows.json"
    flows.write_text(json.dumps([{"id": "t1", "type": "tab", "label": "x"},
                                 {"id": "i1", "type": "inject", "z": "t1", "props": [], "x": 1, "y": 1, "wires": []}]))
    (tmp_path / "settings.toml").write_text(
        f'uiPort = {port}\nflowFile = "{flows}"\ndebugMaxLength = 50\n\n'
        '[contextStorage.default]\nmodule = "memory"\n')
    env = {**os.environ}
    proc, log = await start_process(["run", "--userDir", str(tmp_path), "--safe"], env)
    try:
        assert "settings.toml" in log and f":{port}/" in log
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}"
            assert await (await http.get(url + "/flows/state")).json() == {"state": "stop"}
            assert [n["id"] for n in await (await http.get(url + "/flows")).json()] == ["t1", "i1"]
            assert (await (await http.get(url + "/settings")).json())["debugMaxLength"] == 50
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 20)


async def test_a_bad_settings_file_is_a_clear_error(tmp_path):
    (tmp_path / "settings.toml").write_text("uiPort = 1880\nnoSuchSetting = 1\n")
    proc = await asyncio.create_subprocess_exec(
        FLOWRED, "run", "--userDir", str(tmp_path), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "unknown setting(s): noSuchSetting" in out.decode() and "settings.toml" in out.decode()


async def test_a_non_loopback_address_needs_admin_auth_or_insecure(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        FLOWRED, "run", "--userDir", str(tmp_path), "--host", "0.0.0.0", "--port", str(free_port()),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "Refusing to listen on 0.0.0.0 without adminAuth" in out.decode() and "--insecure" in out.decode()
