"""``GET /nodes`` and ``GET /nodes/:module`` in Node-RED's shape, and ``GET /node-types``: what the
editor needs to draw and edit every registered node type.

As Node-RED's editor-api/lib/admin/nodes.js with ``Accept: application/json``: a list of node
sets ``{id, module, version, types, enabled}``; FlowRed's node modules are the node sets
``flowred/<module>`` (e.g. ``flowred/inject``), a node package outside FlowRed is
``<package>/<module>``. ``GET /node-types`` (FlowRed's own) lists each type with its palette
category, colour, ports, help text and the JSON schema of its pydantic config model, the single
source the editor builds its forms from.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..registry import NodeSets, NodeType, all_types
from .errors import BadJson, api_error, read_json
from .models import Enabled, parse_model

__all__ = ["add_node_routes", "node_sets", "type_info"]


def node_sets(version: str, state: NodeSets) -> list[dict]:
    """Node-RED's node-set list for the registered types, grouped by defining module;
    ``enabled`` as ``state`` (the engine's NodeSets) has it."""
    sets: dict[str, dict] = {}
    for t in all_types():
        set_id = t.set_id
        entry = sets.setdefault(set_id, {"id": set_id, "name": set_id.split("/", 1)[1],
                                         "module": set_id.split("/", 1)[0], "version": version,
                                         "types": [], "enabled": state.is_enabled(set_id), "local": False,
                                         "user": False})
        entry["types"].append(t.type)
    return list(sets.values())


def type_info(t: NodeType) -> dict[str, Any]:
    """One type for the editor: palette data, help and the config's JSON schema."""
    try:
        schema = t.cls.Config.model_json_schema()
    except Exception as exc:  # a schema pydantic cannot express must not hide the type
        schema = {"type": "object", "description": f"schema unavailable: {exc}"}
    return {"type": t.type, "set": t.set_id, "category": t.category, "color": t.color,
            "inputs": t.inputs, "outputs": t.outputs, "icon": t.icon, "label": t.label,
            "configNode": t.config_node, "credentials": list(t.credentials), "help": t.help, "schema": schema}


def add_node_routes(app: web.Application, engine, root: str, version: str) -> None:
    """Mount ``GET /nodes``, ``GET|PUT /nodes/{module}[/{set}]`` and ``GET /node-types``."""

    async def get_nodes(request: web.Request) -> web.Response:
        return web.json_response(node_sets(version, engine.node_sets))

    async def get_set(request: web.Request) -> web.Response:
        ident = request.match_info["ident"]
        sets = node_sets(version, engine.node_sets)
        one = next((s for s in sets if s["id"] == ident), None)
        if one is not None:
            return web.json_response(one)
        module = [s for s in sets if s["module"] == ident]
        if module:
            return web.json_response({"name": ident, "version": version, "local": False, "user": False,
                                      "nodes": module})
        return api_error(404, "not_found", f"Unknown node module or set: {ident}")

    async def put_set(request: web.Request) -> web.Response:
        """``PUT /nodes/:set`` ``{"enabled": bool}``: a set whose types the flows use cannot be
        disabled (400 ``type_in_use``), as Node-RED."""
        try:
            body = await read_json(request)
        except BadJson as bad:
            return bad.response
        ident = request.match_info["ident"]
        one = next((s for s in node_sets(version, engine.node_sets) if s["id"] == ident), None)
        if one is None:
            return api_error(404, "not_found", f"Unknown node set: {ident}")
        try:
            enabled = parse_model(Enabled, body).enabled
        except ValueError:
            return api_error(400, "invalid_request", 'expected {"enabled": true|false}')
        if not enabled:
            used = sorted({n["type"] for n in engine.get_flows()} & set(one["types"]))
            if used:
                return api_error(400, "type_in_use", f"Type in use: {', '.join(used)}")
        engine.node_sets.set_enabled(ident, enabled)
        return web.json_response({**one, "enabled": enabled})

    async def get_types(request: web.Request) -> web.Response:
        return web.json_response([type_info(t) for t in all_types()])

    app.router.add_get(root + "/nodes", get_nodes)
    app.router.add_get(root + r"/nodes/{ident:[\s\S]+}", get_set)
    app.router.add_put(root + r"/nodes/{ident:[\s\S]+}", put_set)
    app.router.add_get(root + "/node-types", get_types)

