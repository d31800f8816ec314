"""``GET /openapi.json``: an OpenAPI 3.1 document of exactly the routes the app serves, with
schemas from the pydantic models the handlers parse with."""
from __future__ import annotations

import json

from flowred.api.openapi import router_operations


def operations(doc: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, entry in doc["paths"].items() for method in entry}


def refs(value) -> list[str]:
    if isinstance(value, dict):
        return [value["$ref"]] if "$ref" in value else [r for v in value.values() for r in refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in refs(v)]
    return []


async def test_the_document_describes_every_route_the_app_serves(start_runtime):
    rt = await start_runtime([])
    resp = await rt.http.get(rt.url + "/openapi.json")
    assert resp.status == 200 and resp.content_type == "application/json"
    doc = await resp.json()
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "/"}]
    served = router_operations(rt.runner.app)
    assert ("GET", "/context/node/{id}/{key}") in served and ("POST", "/inject/{id}") in served
    assert operations(doc) == served
    for ref in refs(doc):
        assert ref.removeprefix("#/components/schemas/") in doc["components"]["schemas"], ref


async def test_under_another_admin_root_paths_stay_relative_to_it(start_runtime):
    rt = await start_runtime([], httpAdminRoot="/admin")
    assert (await rt.http.get(rt.url + "/openapi.json")).status == 404
    doc = await (await rt.http.get(rt.url + "/admin/openapi.json")).json()
    assert doc["servers"] == [{"url": "/admin"}]
    assert operations(doc) == router_operations(rt.runner.app, "/admin")


async def test_bodies_and_errors_are_the_handlers_models(start_runtime):
    rt = await start_runtime([])
    doc = await (await rt.http.get(rt.url + "/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    post_flow = doc["paths"]["/flow"]["post"]
    assert post_flow["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FlowBody"}
    assert set(schemas["FlowBody"]["properties"]) == {"id", "label", "disabled", "info", "env", "nodes", "configs"}
    assert post_flow["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
    assert schemas["ApiError"]["required"] == ["code", "message"]
    assert schemas["RunState"]["properties"]["state"]["enum"] == ["start", "stop"]
    node = schemas["NodeShape"]
    assert node["required"] == ["id", "type"] and node["additionalProperties"] is True
    deploy = doc["paths"]["/flows"]["post"]
    headers = {p["name"]: p["schema"]["enum"] for p in deploy["parameters"]}
    assert headers == {"Node-RED-API-Version": ["v1", "v2"],
                       "Node-RED-Deployment-Type": ["full", "nodes", "flows", "reload"]}
    assert set(deploy["responses"]) == {"200", "204", "400", "409", "413"}
    token = doc["paths"]["/auth/token"]["post"]["requestBody"]["content"]
    assert set(token) == {"application/json", "application/x-www-form-urlencoded"}
    json.dumps(doc)  # plain JSON
