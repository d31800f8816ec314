"""Flows for the OpenAI API node tests: feeder → OpenAI API → debug ``out``, and a catch node
→ debug ``caught``, with a Service Host pointed at the emulator."""
from __future__ import annotations

import json
from typing import Any

from conftest import EMULATOR_KEY, TEST_TAB, feeder, make_node


def service_host(base_url: str, key: str | None = EMULATOR_KEY, **fields: Any) -> dict:
    """A Service Host on ``base_url`` with ``key`` as its credential (None: no key), no retries."""
    node = {"id": "sh", "type": "Service Host", "name": "emulator", "apiBase": base_url, "apiBaseType": "str",
            "secureApiKeyValueType": "cred", "maxRetries": 0, **fields}
    if key is not None:
        node["credentials"] = {"secureApiKeyValue": key}
    return node


def openai_flow(base_url: str, method: str, host: dict | None = None, **options: Any) -> list[dict]:
    """The test tab: ``in`` feeds ``ai`` (the OpenAI API node with ``options``), whose output
    goes to debug ``out``; catch ``c`` sends every error to debug ``caught``."""
    return [
        TEST_TAB,
        host or service_host(base_url),
        feeder("in", "ai"),
        make_node("ai", "OpenAI API", [["out"]], service="sh", method=method, **options),
        make_node("out", "debug", complete="true"),
        make_node("c", "catch", [["caught"]], scope=None),
        make_node("caught", "debug", complete="true"),
    ]


async def outputs(comms, node_id: str, count: int = 1, timeout: float = 10) -> list[dict]:
    """The msgs (decoded) that debug node ``node_id`` showed, once there are ``count``."""
    frames = await comms.debug(count, node_id=node_id, timeout=timeout)
    return [json.loads(f["msg"]) for f in frames]
