"""What a start costs: libraries only some node types need are not loaded for flows without them,
and a process running function nodes does not keep the linker tables of V8's library resident
(nodes/js_engine.py) while its function nodes keep working."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import py_mini_racer

from flowred.nodes.js_engine import linker_table_ranges

from conftest import TEST_TAB, free_port, make_node, start_flowred

LIBRARY = Path(py_mini_racer.__file__).parent / "libmini_racer.so"
OPTIONAL = ("bs4", "soupsieve", "jsonschema", "yaml", "aiomqtt", "defusedxml")
"""Libraries of the html, json (msg.schema), yaml/template, mqtt and xml nodes."""

LOAD = """
import asyncio, json, sys
from flowred.engine import Engine
from flowred.settings import Settings

async def main():
    engine = Engine(Settings())
    await engine.deploy(json.loads(sys.argv[1]), save=False)
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2].split(","))))
    await engine.stop()

asyncio.run(main())
"""


def loaded_after_deploy(flow: list[dict]) -> set[str]:
    """The OPTIONAL libraries (top-level names) a fresh interpreter has loaded once ``flow`` is deployed."""
    done = subprocess.run([sys.executable, "-c", LOAD, json.dumps(flow), ",".join(OPTIONAL)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {m.split(".")[0] for m in json.loads(done.stdout.strip().splitlines()[-1])}


def test_a_flow_of_core_nodes_loads_none_of_the_optional_libraries() -> None:
    flow = [TEST_TAB,
            make_node("j", "json", [["t"]], property="payload", action=""),
            make_node("t", "template", [["c"]], field="payload", template="{{payload}}", output="str"),
            make_node("c", "change", [], rules=[{"t": "set", "p": "x", "pt": "msg", "to": "1", "tot": "num"}])]
    assert loaded_after_deploy(flow) == set()


def test_each_node_type_loads_its_library_when_deployed() -> None:
    flow = [TEST_TAB,
            make_node("h", "html", [], tag="p"),
            make_node("y", "yaml", [], property="payload"),
            make_node("x", "xml", [], property="payload"),
            {"id": "b", "type": "mqtt-broker", "z": "t1", "name": "", "broker": "127.0.0.1", "port": "1883"}]
    assert loaded_after_deploy(flow) == {"bs4", "soupsieve", "yaml", "defusedxml", "aiomqtt"}


def test_the_linker_tables_are_most_of_the_first_segment() -> None:
    ranges = linker_table_ranges(str(LIBRARY))
    assert ranges and all(start % 4096 == 0 and stop % 4096 == 0 and stop > start for start, stop in ranges)
    assert sum(stop - start for start, stop in ranges) > 10 * 2**20


def _first_mapping_kib(pid: int) -> tuple[int, int]:
    """Size and Rss (KiB) of ``pid``'s mapping of libmini_racer.so at file offset 0 (its first,
    read-only segment)."""
    inside = False
    size = 0
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and ":" in head[3]:
                inside = len(head) >= 6 and head[5].endswith("libmini_racer.so") and int(head[2], 16) == 0
            elif inside and head[0] == "Size:":
                size = int(head[1])
            elif inside and head[0] == "Rss:":
                return size, int(head[1])
    raise AssertionError("libmini_racer.so is not mapped")


async def test_function_nodes_run_with_the_linker_tables_released(tmp_path) -> None:
    code = ("const day = new Date(Date.UTC(2024, 0, 31));\n"
            "const when = new Intl.DateTimeFormat('de-DE', {timeZone: 'UTC'}).format(day);\n"
            "let err; try { null.x; } catch (e) { err = e.name + ' ' + (e.stack.split('\\n').length > 1); }\n"
            "msg.payload = {when, err, sum: [1, 2, 3].reduce((a, b) => a + b), n: msg.payload};\nreturn msg;")
    nodes = [TEST_TAB,
             make_node("in", "http in", [["f0"]], url="/fx", method="get"),
             make_node("f0", "function", [["out"]], func=code, outputs=1),
             make_node("out", "http response", [])]
    nodes += [make_node(f"f{i}", "function", [], func=f"msg.payload = {i};\nreturn msg;", outputs=1)
              for i in range(1, 40)]
    flow_file = tmp_path / "flows.json"
    flow_file.write_text(json.dumps(nodes))
    port = free_port()
    proc, log = await start_flowred(["run", str(flow_file), "--userDir", str(tmp_path), "--port", str(port),
                                     "--no-watch"], dict(os.environ))
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(3):
                async with http.get(f"http://127.0.0.1:{port}/fx", params={"payload": "7"}) as resp:
                    assert resp.status == 200
                    body = await resp.json()
        assert body["when"] == "31.1.2024" and body["err"] == "TypeError true" and body["sum"] == 6
        size, resident = _first_mapping_kib(proc.pid)
        tables = sum(stop - start for start, stop in linker_table_ranges(str(LIBRARY))) // 1024
        # without the release nearly all of the segment is resident, its linker tables included
        assert resident < size - tables + 1024, (size, resident, tables)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, log + out.decode()
