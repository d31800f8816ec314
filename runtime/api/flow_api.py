"""One flow at a time, and the runtime's run state, as Node-RED's editor-api/lib/admin/flow.js
and flows.js (``/flows/state``).

* ``GET /flow/:id`` → ``{id, label, disabled, info, env, nodes, configs}`` (the tab's flow nodes
  and its config nodes); ``GET /flow/global`` → ``{id: "global", configs, subflows}``.
* ``POST /flow`` with such an object adds a tab → ``{id}`` (a new id when it has none or its
  id is taken); ``PUT /flow/:id`` replaces the tab; ``DELETE /flow/:id`` removes it → 204.
  Each is deployed as a ``flows`` deployment (only that tab restarts); unknown ids are 404,
  node ids that clash with other tabs' nodes are 400 ``duplicate_id``.
* ``GET /flows/state`` → ``{state}``; ``POST /flows/state`` ``{"state": "start"|"stop"}``.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..ids import generate_id
from ..loader import FlowValidationError
from .errors import BadJson, api_error, read_json

__all__ = ["add_flow_routes"]

_TAB_KEYS = ("label", "disabled", "info", "env")


def add_flow_routes(app: web.Application, engine, root: str) -> None:
    """Mount ``/flow``, ``/flow/:id`` and ``/flows/state`` under ``root``."""

    def find_tab(flow_id: str) -> dict | None:
        return next((n for n in engine.get_flows() if n["type"] == "tab" and n["id"] == flow_id), None)

    async def get_flow(request: web.Request) -> web.Response:
        flow_id = request.match_info["id"]
        nodes = engine.get_flows()
        if flow_id == "global":
            return web.json_response({
                "id": "global",
                "configs": [n for n in nodes if not n.get("z") and "x" not in n and n["type"] not in ("tab", "subflow")],
                "subflows": [n for n in nodes if n["type"] == "subflow"]})
        tab = find_tab(flow_id)
        if tab is None:
            return api_error(404, "not_found", f"Unknown flow {flow_id}")
        inside = [n for n in nodes if n.get("z") == flow_id]
        return web.json_response({
            "id": flow_id, **{k: tab[k] for k in _TAB_KEYS if k in tab},
            "nodes": [n for n in inside if "x" in n and "y" in n],
            "configs": [n for n in inside if not ("x" in n and "y" in n)]})

    async def deploy_tab(flow_id: str, body: Any, replacing: bool) -> web.Response:
        if not isinstance(body, dict) or not isinstance(body.get("nodes", []), list):
            return api_error(400, "invalid_request", 'expected {"label", "nodes": [...], "configs": [...]}')
        current = engine.get_flows()
        rest = [n for n in current if n["id"] != flow_id and n.get("z") != flow_id] if replacing else list(current)
        taken = {n["id"] for n in rest}
        incoming = [n for n in body.get("nodes", []) + body.get("configs", []) if isinstance(n, dict)]
        clash = sorted({n.get("id") for n in incoming} & taken)
        if clash:
            return api_error(400, "duplicate_id", f"Node ids already in use: {', '.join(clash)}")
        tab = {"id": flow_id, "type": "tab", "label": body.get("label", ""), "disabled": bool(body.get("disabled", False)),
               "info": body.get("info", ""), "env": body.get("env", [])}
        nodes = [{**n, "id": n.get("id") or generate_id(), "z": flow_id} for n in incoming]
        try:
            await engine.deploy(rest + [tab] + nodes, mode="flows")
        except FlowValidationError as exc:
            return api_error(400, "invalid_flow", str(exc), errors=[i.to_dict() for i in exc.issues])
        return web.json_response({"id": flow_id})

    async def post_flow(request: web.Request) -> web.Response:
        try:
            body = await read_json(request)
        except BadJson as bad:
            return bad.response
        flow_id = body.get("id") if isinstance(body, dict) else None
        if not flow_id or any(n["id"] == flow_id for n in engine.get_flows()):
            flow_id = generate_id()
        return await deploy_tab(flow_id, body, replacing=False)

    async def put_flow(request: web.Request) -> web.Response:
        flow_id = request.match_info["id"]
        if find_tab(flow_id) is None:
            return api_error(404, "not_found", f"Unknown flow {flow_id}")
        try:
            body = await read_json(request)
        except BadJson as bad:
            return bad.response
        return await deploy_tab(flow_id, body, replacing=True)

    async def delete_flow(request: web.Request) -> web.Response:
        flow_id = request.match_info["id"]
        if find_tab(flow_id) is None:
            return api_error(404, "not_found", f"Unknown flow {flow_id}")
        rest = [n for n in engine.get_flows() if n["id"] != flow_id and n.get("z") != flow_id]
        await engine.deploy(rest, mode="flows")
        return web.Response(status=204)

    async def get_state(request: web.Request) -> web.Response:
        return web.json_response({"state": engine.state})

    async def post_state(request: web.Request) -> web.Response:
        try:
            body = await read_json(request)
        except BadJson as bad:
            return bad.response
        wanted = body.get("state") if isinstance(body, dict) else None
        if wanted == "stop":
            await engine.stop_flows()
        elif wanted == "start":
            await engine.start_flows()
        else:
            return api_error(400, "invalid_run_state", 'state must be "start" or "stop"')
        return web.json_response({"state": engine.state})

    app.router.add_post(root + "/flow", post_flow)
    app.router.add_get(root + "/flow/{id}", get_flow)
    app.router.add_put(root + "/flow/{id}", put_flow)
    app.router.add_delete(root + "/flow/{id}", delete_flow)
    app.router.add_get(root + "/flows/state", get_state)
    app.router.add_post(root + "/flows/state", post_state)
