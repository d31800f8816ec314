"""FlowRed as a user installs it: a wheel built from this tree (``pip wheel --no-deps``),
installed with its dependencies into a fresh venv (not editable), run from a folder outside the
source tree on the ready-to-run example, and driven over HTTP and /comms."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import venv

import aiohttp

from conftest import ROOT, free_port, start_flowred

INJECT = "b7fce6b60f312e8a"     # the first inject of flows/realtime-client-secret.json


def _install_wheel(tmp_path) -> tuple[str, str]:
    """Build the wheel and install it into a new venv; returns (its python, its flowred)."""
    wheelhouse = tmp_path / "wheelhouse"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheelhouse),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    wheels = list(wheelhouse.glob("flowred-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = str(env_dir / "bin" / "python")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", str(wheels[0])],
                   check=True, capture_output=True, timeout=600)
    return python, str(env_dir / "bin" / "flowred")


async def test_the_wheel_runs_the_example_with_editor_examples_and_emulator(tmp_path):
    python, flowred = _install_wheel(tmp_path)
    work = tmp_path / "elsewhere"       # not the source tree: nothing may come from the checkout
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTHON"))}

    probe = subprocess.run(
        [python, "-c", "import importlib.util as u, flowred, flowred.resources as r; "
                       "print(flowred.__file__); print(r.web_dir()); print(r.examples_dir()); "
                       "print([n for n in ('runtime', 'nodes', 'openai_emulator') if u.find_spec(n)])"],
        cwd=work, env=env, capture_output=True, text=True, check=True)
    module, web, examples, generic = probe.stdout.splitlines()
    site = str(tmp_path / "venv")
    assert module.startswith(site) and web.startswith(site) and examples.startswith(site)
    assert generic == "[]"
    version = subprocess.run([python, "-m", "flowred", "--version"], cwd=work, env=env, capture_output=True,
                             text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.strip().endswith(
        subprocess.run([python, "-c", "import flowred; print(flowred.__version__)"], cwd=work, env=env,
                       capture_output=True, text=True).stdout.strip())

    flow_file = work / "flows.json"
    flow_file.write_text((ROOT / "flows" / "realtime-client-secret.json").read_text())
    port = free_port()
    proc, _ = await start_flowred(["run", str(flow_file), "--userDir", str(work), "--port", str(port),
                                   "--openai-emulator"], env, command=flowred, cwd=work)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            page = await http.get(url + "/")
            assert page.status == 200 and "<title>FlowRed" in await page.text()
            script = await http.get(url + "/js/app.js")
            assert script.status == 200 and "import" in await script.text()
            if (ROOT / "web" / "vendor" / "node_modules" / ".package-lock.json").is_file():   # npm ci ran here
                editor = await http.get(url + "/vendor/node_modules/@codemirror/view/dist/index.js")
                assert editor.status == 200 and "class EditorView" in await editor.text()
                assert (await http.get(url + "/vendor/node_modules/@codemirror/view/dist/index.cjs")).status == 404
            listed = await (await http.get(url + "/flows/examples")).json()
            assert sorted(e["file"] for e in listed) == sorted(p.name for p in (ROOT / "flows").glob("*.json"))
            assert len(listed) == 8  # seed, realtime client secret, token server and the five OpenAI API examples
            ws = await http.ws_connect(url + "/comms")
            await ws.send_json({"subscribe": "debug"})
            assert (await http.post(url + f"/inject/{INJECT}")).status == 200
            debug = None
            end = time.monotonic() + 30
            while debug is None and time.monotonic() < end:
                for item in await ws.receive_json(timeout=30):
                    if item["topic"] == "debug":
                        debug = item["data"]
            payload = json.loads(debug["msg"])["payload"]
            assert payload["value"].startswith("ek_emulator_") and payload["expires_at"] > time.time()
            await ws.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, out.decode()
