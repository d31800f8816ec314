"""The example flows shipped in ``@inductiv/node-red-openai-api`` 6.34.0 (its ``examples/``
folder, read from the package tarball at test time): each one deploys on FlowRed as it is, with
no unknown node type and no validation error; those the emulator serves, wired to a Service
Host on it (as a user does after importing one), send the debug msgs Node-RED 5.0.7 with the
package sent against the same emulator, entry for entry, with the same structure
(``package_example_results.json``: format, property and the value's shape — keys and JSON
types — of each debug msg, recorded from that Node-RED; ids and times differ on every run).

The tarball is ``$FLOWRED_OPENAI_PACKAGE`` or /work/shared/anchors/...; the tests skip without it.
"""
from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

from conftest import EMULATOR_KEY

PACKAGE = Path(os.environ.get("FLOWRED_OPENAI_PACKAGE",
                              "/work/shared/anchors/inductiv-node-red-openai-api-6.34.0.tgz"))
RESULTS = json.loads((Path(__file__).with_name("package_example_results.json")).read_text())
EXAMPLES_DIR = "package/examples/"

pytestmark = pytest.mark.skipif(not PACKAGE.is_file(), reason=f"the package tarball {PACKAGE} is not here")


def _examples() -> dict[str, list[dict]]:
    """Example name (``chat``, ``responses/mcp``) → its flow, from the tarball."""
    if not PACKAGE.is_file():
        return {}
    with tarfile.open(PACKAGE) as tar:
        return {m.name[len(EXAMPLES_DIR):-len(".json")]: json.load(tar.extractfile(m))
                for m in tar.getmembers() if m.name.startswith(EXAMPLES_DIR) and m.name.endswith(".json")}


EXAMPLES = _examples()


def shape(value: Any) -> Any:
    """A value's structure: JSON types by name, objects key by key, and a list whose items all
    have one shape as ``{"list of": shape, "length": n}``."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    shapes = [shape(v) for v in value]
    if shapes and all(s == shapes[0] for s in shapes):
        return {"list of": shapes[0], "length": len(value)}
    return shapes


def sidebar_entry(frame: dict) -> dict:
    """A debug frame as the sidebar shows it: format, property, and the value's shape."""
    value, fmt = frame.get("msg"), str(frame.get("format", ""))
    if isinstance(value, str) and fmt.startswith(("Object", "array")):
        value = json.loads(value)
    return {"format": fmt, "property": frame.get("property"), "shape": shape(value)}


def test_every_shipped_example_is_here():
    assert len(EXAMPLES) == 22 and "realtime/client-secrets" in EXAMPLES
    assert set(RESULTS) <= set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
async def test_example_deploys_as_it_is(start_runtime, name):
    flow = EXAMPLES[name]
    rt = await start_runtime([])
    comms = await rt.comms("notification/#")
    await rt.deploy(flow)
    [state] = [m for m in await comms.wait_for(lambda m: m["topic"] == "notification/runtime-state"
                                               and m["data"].get("deploy"), count=2)][-1:]
    assert state["data"] == {"state": "start", "deploy": True}, state
    assert rt.engine.parsed.missing_types == {}
    resp = await rt.http.get(rt.url + "/flows")
    deployed = {n["id"]: n for n in await resp.json()}
    assert {n["id"] for n in flow} <= set(deployed)
    assert all(deployed[n["id"]]["type"] == n["type"] for n in flow)


def wired(flow: list[dict], base_url: str) -> list[dict]:
    """The example with a Service Host on the emulator chosen in each OpenAI API node."""
    host = {"id": "emulator-host", "type": "Service Host", "name": "emulator", "apiBase": base_url,
            "apiBaseType": "str", "secureApiKeyHeaderOrQueryName": "Authorization",
            "secureApiKeyHeaderOrQueryNameType": "str", "organizationId": "", "organizationIdType": "str",
            "secureApiKeyValueType": "cred", "secureApiKeyIsQuery": False,
            "credentials": {"secureApiKeyValue": EMULATOR_KEY}}
    return [{**n, "service": host["id"]} if n["type"] == "OpenAI API" else n for n in flow] + [host]


@pytest.mark.parametrize("name", sorted(RESULTS))
async def test_served_example_gives_the_packages_debug_msgs(start_runtime, emulator, name):
    flow = wired(EXAMPLES[name], emulator.base_url)
    expected = RESULTS[name]
    rt = await start_runtime(flow)
    comms = await rt.comms()
    for node in flow:
        if node["type"] == "inject":
            status, _ = await rt.inject(node["id"])
            assert status == 200
            # one request at a time, as a user presses the buttons: the debug order is then fixed
            await comms.wait_for(lambda m: m["topic"] == "debug", count=_done(flow, expected, node),
                                 timeout=30)
    for debug_id, entries in expected.items():
        frames = await comms.debug(len(entries), node_id=debug_id, timeout=30)
        assert [sidebar_entry(f) for f in frames] == entries
    errors = [m["data"] for m in comms.messages if m["topic"] == "debug" and m["data"].get("level") == 20]
    assert errors == []


def _done(flow: list[dict], expected: dict, inject: dict) -> int:
    """How many debug msgs the test has seen once ``inject``'s request is answered: one per
    expected entry for the injects up to it (each inject here gives one debug msg)."""
    injects = [n["id"] for n in flow if n["type"] == "inject"]
    return min(injects.index(inject["id"]) + 1, sum(len(v) for v in expected.values()))
