"""The inject node's legacy fields, as Node-RED 5's 20-inject.js reads them.

Older exports (and many of Node-RED's own examples) carry ``payload``/``payloadType``/``topic``
beside or instead of ``props``, entries without ``vt``, and types the editor no longer offers
(``string``, ``none``). The expected msgs are what Node-RED 5.0.7 sent for the same nodes
(observed with ``python -m compat``, compat/README.md)."""
from __future__ import annotations

import json

TAB = {"id": "t1", "type": "tab", "label": "inject"}
DEBUG = {"id": "d1", "type": "debug", "z": "t1", "complete": "true", "x": 300, "y": 100, "wires": []}


def inject(id_: str, **kw) -> dict:
    return {"id": id_, "type": "inject", "z": "t1", "repeat": "", "crontab": "", "once": False,
            "x": 100, "y": 100, "wires": [["d1"]], **kw}


CASES = [
    # (node fields, the msg Node-RED sent without _msgid)
    (dict(payload="", payloadType="none", topic="t-none"), {"payload": "", "topic": "t-none"}),
    (dict(payload="abc", payloadType="string", topic=""), {"payload": "abc", "topic": ""}),
    (dict(payload="xyz", topic="tt"), {"payload": "xyz", "topic": "tt"}),
    (dict(payload="42", payloadType="num", topic="n"), {"payload": 42, "topic": "n"}),
    (dict(payload="missing", payloadType="flow", topic=""), {"topic": ""}),
    (dict(props=[{"p": "payload", "v": "q"}, {"p": "topic", "v": "tp"}], payload="", payloadType="str",
          topic="ignored"), {"payload": "q", "topic": "tp"}),
    (dict(props=[{"p": "payload", "v": "Hello, World!", "vt": "str"}, {"p": "topic", "v": "Sample", "vt": "string"}],
          payload="Hello, World!", payloadType="str", topic="Sample"), {"payload": "Hello, World!", "topic": "Sample"}),
    (dict(props=[{"p": "payload"}, {"p": "topic", "vt": "str"}], payload="[1,2]", payloadType="json",
          topic="from-topic"), {"payload": [1, 2], "topic": "from-topic"}),
    (dict(props=[{"p": "payload", "v": "", "vt": "none"}], payload="", payloadType="none", topic=""), {"payload": ""}),
    (dict(props=[{"p": "payload", "v": 5, "vt": "weird"}], topic=""), {"payload": 5}),
]


async def test_legacy_fields_build_the_msg_node_red_sends(start_runtime):
    nodes = [inject(f"i{n}", **fields) for n, (fields, _) in enumerate(CASES)]
    rt = await start_runtime([TAB, *nodes, DEBUG])
    comms = await rt.comms()
    for n in range(len(CASES)):
        await rt.inject(f"i{n}")
        [data] = (await comms.debug(n + 1))[n:]
        msg = json.loads(data["msg"])
        msg.pop("_msgid")
        assert "level" not in data and msg == CASES[n][1], (CASES[n][0], msg)


async def test_legacy_date_payload_is_the_time_in_ms(start_runtime):
    import time
    rt = await start_runtime([TAB, inject("i1", payload="", payloadType="date", topic=""), DEBUG])
    comms = await rt.comms()
    before = int(time.time() * 1000)
    await rt.inject("i1")
    msg = json.loads((await comms.debug(1))[0]["msg"])
    assert before <= msg["payload"] <= int(time.time() * 1000) and msg["topic"] == ""


async def test_user_inject_props_with_legacy_types(start_runtime):
    rt = await start_runtime([TAB, inject("i1", props=[{"p": "payload", "v": "x", "vt": "str"}]), DEBUG])
    comms = await rt.comms()
    await rt.inject("i1", {"__user_inject_props__": [{"p": "payload", "v": "y", "vt": "string"},
                                                     {"p": "topic", "v": "z"}]})
    msg = json.loads((await comms.debug(1))[0]["msg"])
    assert msg["payload"] == "y" and msg["topic"] == "z"
