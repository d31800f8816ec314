"""Node settings written leniently (numbers as text, "true", "" for empty) deploy and run as
Node-RED runs them; a value that can never work is a located deploy error naming the field."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, full_debug, make_node, run_msgs


async def test_text_numbers_flags_and_empty_values_deploy_and_run(start_runtime):
    scale = make_node("r1", "range", [["d1"]], minin="0", maxin="10", minout="", maxout="100", action="scale",
                      round="", property="")
    got = await run_msgs(start_runtime, [scale, full_debug()], {"payload": 5})
    # minout "" is its default 0, property "" is payload, round "" is off
    assert got[0]["payload"] == 50


async def test_invalid_lenient_fields_are_located_deploy_errors(start_runtime):
    rt = await start_runtime([TEST_TAB])
    bad = [TEST_TAB,
           make_node("dl", "delay", [[]], pauseType="delay", timeout="-1"),
           make_node("jn", "join", [[]], mode="sometimes"),
           make_node("tr", "tcp request", [[]], server="127.0.0.1", port="http"),
           make_node("mb", "mqtt-broker", (), broker="127.0.0.1", port=70000, keepalive="soon"),
           make_node("sw", "switch", [[]], property="payload", outputs="two")]
    resp = await rt.deploy(bad, expect=400)
    body = await resp.json()
    assert body["code"] == "invalid_flow"
    errors = {(e["id"], e["field"]): e["message"] for e in body["errors"]}
    assert errors[("dl", "timeout")].startswith("Value error, must be a number >= 0, not '-1'")
    assert errors[("jn", "mode")].startswith("Input should be 'auto', 'custom' or 'reduce'")
    assert errors[("tr", "port")].startswith("Value error, port must be a number, got 'http'")
    assert errors[("mb", "port")].startswith("Value error, port must be 1-65535, got 70000")
    assert errors[("mb", "keepalive")].startswith("Value error, must be a whole number, not 'soon'")
    assert errors[("sw", "outputs")].startswith("Input should be a valid integer")
    assert len(errors) == 6, json.dumps(body["errors"])


async def test_a_config_node_left_empty_takes_node_reds_defaults(start_runtime):
    rt = await start_runtime([TEST_TAB, feeder("f1", "d1"), full_debug(),
                              make_node("mb", "mqtt-broker", (), broker=" 127.0.0.1 ", port="", keepalive="",
                                        usetls="false", autoConnect="false")])
    broker = rt.engine.get_node("mb")
    assert (broker.config.broker, broker.config.port, broker.config.keepalive, broker.config.usetls) == \
        ("127.0.0.1", 1883, 60, False)
