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

from aiohttp import web

from .. import flow_edit
from ..deploy_gate import DeployRefused
from ..flow_edit import FlowEditError
from .errors import BadJson, api_error, read_json
from .models import RunState, parse_model

__all__ = ["add_flow_routes"]


def _refused(exc: FlowEditError | DeployRefused) -> web.Response:
    if isinstance(exc, DeployRefused):
        return api_error(exc.status, exc.code, str(exc))
    extra = {"errors": exc.errors} if exc.errors is not None else {}
    return api_error(404 if exc.code == "not_found" else 400, exc.code, exc.message, **extra)


def add_flow_routes(app: web.Application, engine, root: str) -> None:
    """Mount ``/flow``, ``/flow/:id`` and ``/flows/state`` under ``root``; the edits themselves
    are runtime.flow_edit's."""

    async def get_flow(request: web.Request) -> web.Response:
        try:
            return web.json_response(flow_edit.flow_of(engine.get_flows(), request.match_info["id"]))
        except FlowEditError as exc:
            return _refused(exc)

    async def post_flow(request: web.Request) -> web.Response:
        try:
            flow_id = await flow_edit.add_flow(engine, await read_json(request))
        except BadJson as bad:
            return bad.response
        except (FlowEditError, DeployRefused) as exc:
            return _refused(exc)
        return web.json_response({"id": flow_id})

    async def put_flow(request: web.Request) -> web.Response:
        flow_id = request.match_info["id"]
        try:
            await flow_edit.update_flow(engine, flow_id, await read_json(request))
        except BadJson as bad:
            return bad.response
        except (FlowEditError, DeployRefused) as exc:
            return _refused(exc)
        return web.json_response({"id": flow_id})

    async def delete_flow(request: web.Request) -> web.Response:
        try:
            await flow_edit.remove_flow(engine, request.match_info["id"])
        except (FlowEditError, DeployRefused) as exc:
            return _refused(exc)
        return web.Response(status=204)

    async def get_state(request: web.Request) -> web.Response:
        return web.json_response({"state": engine.state})

    async def post_state(request: web.Request) -> web.Response:
        try:
            wanted = parse_model(RunState, await read_json(request)).state
        except BadJson as bad:
            return bad.response
        except ValueError:
            return api_error(400, "invalid_run_state", 'state must be "start" or "stop"')
        if wanted == "stop":
            await engine.stop_flows()
        else:
            await engine.start_flows()
        return web.json_response({"state": engine.state})

    app.router.add_post(root + "/flow", post_flow)
    app.router.add_get(root + "/flow/{id}", get_flow)
    app.router.add_put(root + "/flow/{id}", put_flow)
    app.router.add_delete(root + "/flow/{id}", delete_flow)
    app.router.add_get(root + "/flows/state", get_state)
    app.router.add_post(root + "/flows/state", post_state)
