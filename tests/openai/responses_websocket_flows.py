"""The package's Responses websocket example (``examples/responses/websocket.json`` of
``@inductiv/node-red-openai-api`` 6.34.0, read from its tarball), wired to the emulator, and the
button presses and normalisation with which both runtimes are driven: FlowRed in
test_openai_responses_websocket.py, Node-RED 5.0.7 with the package in
record_responses_websocket.py, which wrote ``responses_websocket_results.json``.

Two flows: ``example`` is the example as shipped, with a Service Host on the emulator (as a user
sets it after importing); its three buttons are pressed in order (connect, send, close).
``errors`` is the same flow plus a catch node, buttons with requests the package refuses, and
two more OpenAI API nodes whose Service Hosts have a wrong key and a port nobody listens on.
"""
from __future__ import annotations

import json
import os
import re
import tarfile
from pathlib import Path
from typing import Any

from conftest import EMULATOR_KEY

ARCHIVE = "inductiv-node-red-openai-api-6.34.0.tgz"
ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [Path(p) for p in (os.environ.get("FLOWRED_OPENAI_PACKAGE"),
                                ROOT.parent / "shared" / "anchors" / ARCHIVE,
                                Path("/work/shared/anchors") / ARCHIVE) if p]
PACKAGE = next((p for p in CANDIDATES if p.is_file()), CANDIDATES[-1])
"""The package tarball: ``$FLOWRED_OPENAI_PACKAGE``, else ``../shared/anchors/`` beside the
checkout, else /work/shared/anchors."""
EXAMPLE = "package/examples/responses/websocket.json"
RESULTS = Path(__file__).with_name("responses_websocket_results.json")

API = "2f33fb2b774e1f8f"        # the example's OpenAI API node (method manageModelResponseWebSocket)
DEBUG = "5260c60b85f63c44"      # its debug node (complete msg)
CONNECT, SEND, CLOSE = "b4a7fef11decb00a", "db2a19cffba6f2d1", "22f0c821e335fcbc"
CAUGHT = "ws-caught"            # errors flow: debug node of the catch node (msg.error)
BAD_KEY = "sk-wrong-key-0000000000"


def example_flow() -> list[dict]:
    """The example flow as the tarball has it."""
    with tarfile.open(PACKAGE) as tar:
        return json.load(tar.extractfile(EXAMPLE))


def host(host_id: str, base_url: str, key: str) -> dict:
    """A Service Host as the package's editor saves one, key as a credential."""
    return {"id": host_id, "type": "Service Host", "name": host_id.removesuffix("-host"), "apiBase": base_url,
            "apiBaseType": "str",
            "secureApiKeyHeaderOrQueryName": "Authorization", "secureApiKeyHeaderOrQueryNameType": "str",
            "organizationId": "", "organizationIdType": "str", "secureApiKeyValueType": "cred",
            "secureApiKeyIsQuery": False, "credentials": {"secureApiKeyValue": key}}


def wired(base_url: str) -> list[dict]:
    """The example with its OpenAI API node on a Service Host on the emulator."""
    flow = example_flow()
    return [{**n, "service": "emulator-host"} if n["type"] == "OpenAI API" else n for n in flow] + [
        host("emulator-host", base_url, EMULATOR_KEY)]


def _inject(node_id: str, target: str, y: int, **props: Any) -> dict:
    vt = {str: "str", int: "num", dict: "json"}
    return {"id": node_id, "type": "inject", "z": "94f237d7e5864fc4", "name": node_id,
            "props": [{"p": f"ai.{k}", "v": json.dumps(v) if isinstance(v, dict) else str(v), "vt": vt[type(v)]}
                      for k, v in props.items()],
            "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "topic": "", "x": 250, "y": y,
            "wires": [[target]]}


def errors_flow(base_url: str, refused_url: str) -> list[dict]:
    """The example plus a catch → debug ``ws-caught`` (msg.error), buttons with bad requests,
    and OpenAI API nodes ``ws-badkey`` (a wrong key) and ``ws-refused`` (``refused_url``)."""
    tab = "94f237d7e5864fc4"
    api = next(n for n in example_flow() if n["id"] == API)
    extra = [
        {"id": "ws-catch", "type": "catch", "z": tab, "name": "", "scope": None, "uncaught": False,
         "x": 600, "y": 600, "wires": [[CAUGHT]]},
        {"id": CAUGHT, "type": "debug", "z": tab, "name": "caught", "active": True, "tosidebar": True,
         "console": False, "tostatus": False, "complete": "error", "targetType": "msg", "statusVal": "",
         "statusType": "auto", "x": 860, "y": 600, "wires": []},
        _inject("bad-action", API, 560, action="dance", connection_id="demo-connection-1"),
        _inject("no-id", API, 600, action="connect"),
        _inject("bad-event", API, 640, action="send", connection_id="demo-connection-1",
                event={"type": "response.cancel"}),
        _inject("event-text", API, 680, action="send", connection_id="demo-connection-1", event="hello"),
        {**api, "id": "ws-badkey", "service": "badkey-host", "y": 800, "wires": [[DEBUG]]},
        _inject("connect-badkey", "ws-badkey", 800, action="connect", connection_id="c-badkey"),
        host("badkey-host", base_url, BAD_KEY),
        {**api, "id": "ws-refused", "service": "refused-host", "y": 840, "wires": [[DEBUG]]},
        _inject("connect-refused", "ws-refused", 840, action="connect", connection_id="c-refused"),
        host("refused-host", refused_url, EMULATOR_KEY),
    ]
    return wired(base_url) + extra


ERROR_STEPS = [SEND, "bad-action", "no-id", CONNECT, CONNECT, "bad-event", "event-text", CLOSE, CLOSE,
               "connect-badkey", "connect-refused"]
"""The errors flow's buttons, in order; each gives one msg (an acknowledgement or a caught error)."""

_IDS = re.compile(r"\b(resp|msg)_[0-9a-f]{16,}\b")
_PORT = re.compile(r"127\.0\.0\.1:\d+")


def normalise(value: Any) -> Any:
    """``value`` with what differs between runs replaced: ``_msgid`` values, response and item
    ids (``resp_<id>``, ``msg_<id>``), ``created_at`` times and loopback ports."""
    if isinstance(value, dict):
        return {k: "<msgid>" if k == "_msgid" else "<time>" if k == "created_at" and isinstance(v, int)
                else normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        return _PORT.sub("127.0.0.1:<port>", _IDS.sub(lambda m: f"{m.group(1)}_<id>", value))
    return value


def sidebar(frame: dict) -> dict:
    """A debug frame as the sidebar shows it: which debug node, the format, and the msg (JSON
    objects decoded), normalised."""
    value, fmt = frame.get("msg"), str(frame.get("format", ""))
    if isinstance(value, str) and fmt.startswith(("Object", "array")):
        value = json.loads(value)
    return {"debug": frame.get("id"), "format": fmt, "msg": normalise(value)}


def completes_send(entry: dict) -> bool:
    """True for the sidebar entry of the last server event of a response."""
    msg = entry["msg"]
    return isinstance(msg, dict) and isinstance(msg.get("payload"), dict) \
        and msg["payload"].get("type") in ("response.completed", "response.failed", "error")
