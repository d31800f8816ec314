"""Without ``--cluster`` nothing of the cluster runs or is imported: a runtime with inputs
that have a ``runOn`` option, inject timers and mqtt runs as before, with no NATS client."""
from __future__ import annotations

import asyncio
import json
import sys

SCRIPT = r"""
import asyncio, json, sys
from pathlib import Path
from aiohttp import web
from flowred.api import create_app
from flowred.engine import Engine
from flowred.settings import Settings
from flowred.storage import FlowStorage

async def main(folder):
    flow_file = Path(folder) / "flows.json"
    s = Settings(flowFile=flow_file, userDir=Path(folder), watchFlowFile=False)
    engine = Engine(s, FlowStorage(flow_file, s.userDir, s.credentialSecret))
    runner = web.AppRunner(create_app(engine))
    await runner.setup()
    await engine.load()
    await asyncio.sleep(0.5)
    state = engine.state
    await engine.stop()
    await runner.cleanup()
    loaded = sorted(m for m in sys.modules if m == "nats" or m.startswith(("nats.", "flowred.cluster")))
    print(json.dumps({"state": state, "loaded": loaded, "cluster": engine.cluster}))

asyncio.run(main(sys.argv[1]))
"""


async def test_a_runtime_alone_imports_no_cluster_code(tmp_path):
    from conftest import free_port

    port = free_port()
    flows = [{"id": "t1", "type": "tab", "label": "alone"},
             {"id": "i1", "type": "inject", "z": "t1", "props": [{"p": "payload", "v": "", "vt": "date"}],
              "repeat": "0.1", "wires": [["d1"]]},
             {"id": "d1", "type": "debug", "z": "t1", "active": True, "tosidebar": True, "wires": []},
             {"id": "tcp1", "type": "tcp in", "z": "t1", "server": "server", "port": str(port), "wires": [[]]},
             {"id": "w1", "type": "watch", "z": "t1", "files": str(tmp_path), "wires": [[]]}]
    (tmp_path / "flows.json").write_text(json.dumps(flows))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SCRIPT, str(tmp_path),
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result == {"state": "start", "loaded": [], "cluster": None}
