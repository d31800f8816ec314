"""What the editor gets for the OpenAI API node and its Service Host: help text documenting
every option, config schemas with descriptions, and the grouped method picker."""
from __future__ import annotations

from flowred.node import Node
from flowred.nodes.openai_api.catalog import GROUPS, METHODS

BASE_FIELDS = {"id", "type", "z", "name", "wires", "x", "y", "d", "g"}


async def node_types(start_runtime) -> dict:
    rt = await start_runtime([])
    resp = await rt.http.get(rt.url + "/node-types")
    assert resp.status == 200
    return {t["type"]: t for t in await resp.json()}


def own_fields(schema: dict) -> dict:
    return {k: v for k, v in schema["properties"].items() if k not in BASE_FIELDS}


def test_help_documents_every_option_and_the_seed_example():
    from flowred.nodes.openai_api.node import OpenAIApiConfig, OpenAIApiNode

    help_text = OpenAIApiNode.__doc__
    for field in set(OpenAIApiConfig.model_fields) - BASE_FIELDS:
        assert f"``{field}``" in help_text, field
    for text in ("createRealtimeClientSecret", "gpt-realtime-1.5", "msg.error", "TTL must be between 10 and 7200",
                 "{body, status, headers}", 'stream: "event"'):
        assert text in help_text, text
    assert OpenAIApiNode.__doc__ != Node.__doc__


def test_config_schemas_describe_every_field_and_offer_grouped_methods():
    from flowred.nodes.openai_api.node import OpenAIApiConfig
    from flowred.nodes.openai_api.service_host import ServiceHostConfig

    for config in (OpenAIApiConfig, ServiceHostConfig):
        for name, prop in own_fields(config.model_json_schema()).items():
            assert prop.get("description"), f"{config.__name__}.{name}"
    method = OpenAIApiConfig.model_json_schema()["properties"]["method"]
    assert method["enum"] == list(METHODS) and len(method["enum"]) == 157
    assert [g["group"] for g in method["x-groups"]] == list(GROUPS)
    assert method["x-method-groups"]["createRealtimeClientSecret"] == "Realtime"
    assert method["x-method-groups"]["createRealtimeTranscriptionSession"] == "Realtime"


async def test_the_runtime_serves_the_help_and_schema(start_runtime):
    types = await node_types(start_runtime)
    api = types["OpenAI API"]
    assert "Allow API key from msg" in api["help"] and api["schema"]["properties"]["method"]["enum"] == list(METHODS)
    assert types["Service Host"]["schema"]["properties"]["maxRetries"]["default"] == 2
