"""Methods of the APIs OpenAI retired on 2026-08-26 (Assistants, Threads, Runs, Messages): the
node warns once when deployed, naming the replacement, and still makes the call."""
from __future__ import annotations

import asyncio

import pytest
from openai_flows import openai_flow, outputs
from openai_recorder import Recorder

from flowred.nodes.openai_api.catalog import GROUPS, METHODS
from flowred.nodes.openai_api.retired import retirement_warning

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK warns on Assistants calls
RETIRED_GROUPS = {"Assistants": "Responses API", "Threads": "Conversations", "Runs": "Responses API",
                  "Messages": "Conversation"}


@pytest.fixture
async def recorder():
    rec = await Recorder().start()
    yield rec
    await rec.stop()


def test_every_method_of_the_retired_apis_and_only_those_has_a_warning():
    for name, method in METHODS.items():
        warning = retirement_warning(method)
        if method.group in RETIRED_GROUPS:
            assert warning.startswith(f"{name}: OpenAI retired the Assistants API"), name
            assert "2026-08-26" in warning and RETIRED_GROUPS[method.group] in warning, name
        else:
            assert warning is None, name
    assert sum(len(GROUPS[g]) for g in RETIRED_GROUPS) == 23


def warnings_of(comms, node_id: str) -> list[dict]:
    return [d for d in comms.topic("debug") if d.get("id") == node_id and d.get("level") == 30]


async def test_a_retired_method_warns_once_at_deploy_and_still_calls(start_runtime, recorder):
    rt = await start_runtime()
    comms = await rt.comms()
    await rt.deploy(openai_flow(recorder.base_url, "createThread"))
    [warning] = await comms.debug(1, node_id="ai")
    assert warning["level"] == 30
    assert warning["msg"] == ("createThread: OpenAI retired the Assistants API (Assistants, Threads, Runs, "
                              "Messages) on 2026-08-26; use Conversations (createConversation) instead. "
                              "The call is still made.")
    assert recorder.requests == []  # a warning at deploy, before any msg
    for n in range(2):
        await rt.inject("in", {"payload": {"metadata": {"n": str(n)}}})
    results = await outputs(comms, "out", 2)
    assert [r["payload"]["id"] for r in results] == ["obj_1", "obj_1"]
    assert [(r["method"], r["path"], r["body"]) for r in recorder.requests] == [
        ("POST", "/threads", {"metadata": {"n": "0"}}), ("POST", "/threads", {"metadata": {"n": "1"}})]
    assert len(warnings_of(comms, "ai")) == 1  # once, not per msg


async def test_a_current_method_does_not_warn(start_runtime, recorder):
    rt = await start_runtime()
    comms = await rt.comms()
    await rt.deploy(openai_flow(recorder.base_url, "createConversation"))
    await rt.inject("in", {"payload": {}})
    await outputs(comms, "out", 1)
    await asyncio.sleep(0.2)
    assert warnings_of(comms, "ai") == [] and [r["path"] for r in recorder.requests] == ["/conversations"]
