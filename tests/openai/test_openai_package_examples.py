"""The example flows shipped in ``@inductiv/node-red-openai-api`` 6.34.0 (its ``examples/``
folder, read from the package tarball at test time): each one deploys on FlowRed as it is, with
no unknown node type and no validation error; all but the Responses websocket one, prepared as a
user does (placeholders replaced by files and objects made on the emulator, see
``package_examples.prepare``) and wired to a Service Host on the emulator, send the debug msgs
Node-RED 5.0.7 with the package sent against the same emulator, entry for entry, with the same
structure (``package_example_results.json``: format, property and the value's shape — keys and
JSON types — of each debug msg, and the text of each error, recorded from that Node-RED by
``tests/tools/record_openai_package_examples.py``; ids and times differ on every run).

Where the package fails on Node-RED and FlowRed works (PACKAGE_BROKEN), FlowRed's msg is checked
in place of the package's error.

The tarball is ``$FLOWRED_OPENAI_PACKAGE`` or ``shared/anchors/`` beside the checkout; the tests
skip without it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from package_examples import NOT_COMPARED, PACKAGE, examples, injects, prepare, sidebar_entry, wired

from conftest import EMULATOR_KEY

RESULTS = json.loads((Path(__file__).with_name("package_example_results.json")).read_text())

pytestmark = pytest.mark.skipif(not PACKAGE.is_file(), reason=f"the package tarball {PACKAGE} is not here")

EXAMPLES = examples()
VIDEO_BYTES = {"type": "string", "data": {"list of": "number", "length": 179}, "__enc__": "boolean", "length": "number"}
PACKAGE_BROKEN = {
    "videos": [
        # createVideoCharacter: the package hands the path string itself to openai-node, which
        # sends it as a text field, so OpenAI (and the emulator) answer 400; FlowRed uploads the file.
        {"error_from": "4f690ee43af6b79f", "debug": "d0dd9462465a1fb9", "index": 1, "insert": {
            "format": "Object", "property": None,
            "shape": {"_msgid": "string", "ai": {"name": "string", "video": "string"},
                      "payload": {"id": "string", "created_at": "number", "name": "string"}}}},
        # downloadVideoContent: the package sends on openai-node's unread fetch Response (the
        # sidebar shows {}); FlowRed sends the thumbnail's bytes as a Buffer (a 64x64 PNG here).
        {"debug": "d0dd9462465a1fb9", "index": 6, "replace": {
            "format": "Object", "property": None,
            "shape": {"_msgid": "string", "ai": {"video_id": "string", "variant": "string"}, "payload": VIDEO_BYTES}}},
    ],
}
"""Example → where FlowRed's sidebar differs from the package's on Node-RED because the package
fails: the error of node ``error_from`` is gone and ``insert`` is at ``index`` of debug node
``debug``'s msgs, or the entry at ``index`` is ``replace``."""


def test_every_shipped_example_is_here():
    assert len(EXAMPLES) == 22 and "realtime/client-secrets" in EXAMPLES
    assert set(RESULTS) <= set(EXAMPLES)
    assert set(RESULTS) == set(EXAMPLES) - set(NOT_COMPARED) and len(RESULTS) == 21


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


def expected_on_flowred(name: str) -> dict[str, list[dict]]:
    """The recorded sidebar entries of example ``name`` by node id, with PACKAGE_BROKEN applied."""
    expected = json.loads(json.dumps(RESULTS[name]))
    for fix in PACKAGE_BROKEN.get(name, []):
        if "error_from" in fix:
            errors = expected.pop(fix["error_from"])
            assert [e.get("error") is not None for e in errors] == [True], errors  # the package's failure
            expected[fix["debug"]].insert(fix["index"], fix["insert"])
        else:
            assert expected[fix["debug"]][fix["index"]]["shape"]["payload"] == {}  # the package's Response
            expected[fix["debug"]][fix["index"]] = fix["replace"]
    return expected


@pytest.mark.parametrize("name", sorted(RESULTS))
async def test_example_gives_the_packages_debug_msgs(start_runtime, emulator, tmp_path, name):
    flow = wired(await prepare(name, EXAMPLES[name], emulator.base_url, EMULATOR_KEY, tmp_path / "files"),
                 emulator.base_url, EMULATOR_KEY)
    expected = expected_on_flowred(name)
    rt = await start_runtime(flow)
    comms = await rt.comms()
    for count, inject_id in enumerate(injects(flow), 1):
        status, _ = await rt.inject(inject_id)
        assert status == 200
        # one request at a time, as a user presses the buttons: the debug order is then fixed
        # (warnings, such as the retired-API ones given at deploy, are no answer)
        await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("level") != 30, count=count,
                             timeout=30)
    for node_id, entries in expected.items():
        frames = await comms.debug(len(entries), node_id=node_id, timeout=30)
        assert [sidebar_entry(f) for f in frames] == entries, node_id
    errors = [m["data"] for m in comms.messages if m["topic"] == "debug" and m["data"].get("level") == 20
              and m["data"]["id"] not in expected]
    assert errors == []
    answers = [m for m in comms.messages if m["topic"] == "debug" and m["data"].get("level") != 30]
    assert len(answers) == sum(map(len, expected.values()))
