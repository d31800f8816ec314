"""A "nodes" or "flows" deploy that has to restart every node (flows with subflows, whose
instances restart as a whole) says so in its ``notification/runtime-state`` start notice:
``fullRestart: "subflows"``. The editor shows it in the deploy notification. A partial deploy,
and a full one, carry no such field."""
from __future__ import annotations

T1 = {"id": "t1", "type": "tab", "label": "one"}
SUBFLOW = [
    {"id": "sf", "type": "subflow", "name": "S", "in": [{"x": 1, "y": 1, "wires": [{"id": "sfn"}]}], "out": []},
    {"id": "sfn", "type": "change", "z": "sf", "rules": [], "x": 2, "y": 2, "wires": [[]]},
    {"id": "inst", "type": "subflow:sf", "z": "t1", "x": 3, "y": 3, "wires": []},
]


def change(name):
    return {"id": "c1", "type": "change", "z": "t1", "name": name, "rules": [], "x": 4, "y": 4, "wires": [[]]}


async def deploy(rt, comms, flows, mode):
    seen = len(comms.messages)
    resp = await rt.http.post(rt.url + "/flows", json=flows, headers={"Node-RED-Deployment-Type": mode})
    assert resp.status == 204, await resp.text()

    def started(m):
        return m["topic"] == "notification/runtime-state" and m["data"].get("state") == "start"
    found = await comms.wait_for(lambda m: m in comms.messages[seen:] and started(m))
    return found[-1]["data"]


async def test_modified_deploys_with_subflows_report_a_full_restart(start_runtime):
    rt = await start_runtime([T1, change("a"), *SUBFLOW])
    comms = await rt.comms("notification/#")
    await comms.wait_for(lambda m: m["topic"] == "notification/runtime-state")   # the retained one
    for mode, name in (("nodes", "b"), ("flows", "c")):
        notice = await deploy(rt, comms, [T1, change(name), *SUBFLOW], mode)
        assert notice.get("fullRestart") == "subflows", (mode, notice)
    notice = await deploy(rt, comms, [T1, change("d"), *SUBFLOW], "full")
    assert "fullRestart" not in notice
    # The subflow gone (a restart still: the running flows had one), then a partial deploy.
    notice = await deploy(rt, comms, [T1, change("e")], "nodes")
    assert notice.get("fullRestart") == "subflows"
    notice = await deploy(rt, comms, [T1, change("f")], "nodes")
    assert "fullRestart" not in notice and notice["deploy"] is True
