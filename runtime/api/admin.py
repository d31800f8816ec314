"""Admin HTTP API routes, as Node-RED's editor-api/lib/admin (flows.js, settings.js) and the
routes node modules register (``POST /inject/:id``, ``POST /debug/:id/enable``).

``GET /flows`` answers the v1 array or, with ``Node-RED-API-Version: v2``, ``{flows, rev}``.
``POST /flows`` validates first and replaces the running flows only when valid: v1 answers 204,
v2 ``{rev}``; a stale v2 ``rev`` gets 409 ``version_mismatch``; invalid flows get 400
``invalid_flow`` with every error located (node id, type, field) and the old flows keep running.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..deploy_gate import DeployRefused
from ..loader import FlowFileError, FlowValidationError, check_node_shapes, parse_flow_data
from ..registry import admin_routes
from .cluster_api import add_cluster_route
from .context_api import add_context_routes
from .editor_api import add_editor_routes
from .errors import BadJson, api_error, read_json
from .flow_api import add_flow_routes
from .models import DeployV2, parse_model
from .nodes_api import add_node_routes
from .openapi import add_openapi_route

__all__ = ["add_admin_routes"]

API_VERSION = "Node-RED-API-Version"


def _version(request: web.Request) -> str | None:
    v = request.headers.get(API_VERSION, "v1").lower()
    return v if v in ("v1", "v2") else None


def add_admin_routes(app: web.Application, engine, root: str, version: str) -> None:
    """Mount the Admin API on ``app`` under ``root`` (``httpAdminRoot``, e.g. ``/``)."""
    root = root.rstrip("/")

    async def get_flows(request: web.Request) -> web.Response:
        v = _version(request)
        if v is None:
            return api_error(400, "invalid_api_version", "Invalid API Version requested")
        flows = engine.get_flows()
        if v == "v2":
            return web.json_response({"flows": flows, "rev": engine.rev})
        return web.json_response(flows)

    async def post_flows(request: web.Request) -> web.Response:
        v = _version(request)
        if v is None:
            return api_error(400, "invalid_api_version", "Invalid API Version requested")
        deploy_type = request.headers.get("Node-RED-Deployment-Type", "full").lower()
        if deploy_type not in ("full", "nodes", "flows", "reload"):
            return api_error(400, "invalid_deployment_type", f"Unknown deployment type: {deploy_type}")
        try:
            body = await read_json(request)
        except BadJson as bad:
            return bad.response
        credentials = None
        expected_rev = None
        if deploy_type == "reload":
            await engine.load()
            return web.json_response({"rev": engine.rev}) if v == "v2" else web.Response(status=204)
        if v == "v2":
            try:
                deploy = parse_model(DeployV2, body)
            except ValueError:
                return api_error(400, "invalid_request", "a v2 deploy body must be {\"flows\": [...], \"rev\": ...}"
                                 " with credentials {\"<node id>\": {...}}")
            if deploy.rev is not None and deploy.rev != engine.rev:
                return api_error(409, "version_mismatch", "Error")
            credentials = deploy.credentials
            expected_rev = deploy.rev
            body = deploy.flows
        try:
            given = body["flows"] if isinstance(body, dict) and "flows" in body else body
            if isinstance(given, list):
                check_node_shapes(given)
            nodes = parse_flow_data(body, "request body")
            rev = await engine.deploy(nodes, credentials, mode=deploy_type, expected_rev=expected_rev)
        except DeployRefused as exc:
            return api_error(exc.status, exc.code, "Error" if exc.code == "version_mismatch" else str(exc))
        except FlowFileError as exc:
            return api_error(400, "invalid_flow", str(exc))
        except FlowValidationError as exc:
            return api_error(400, "invalid_flow", str(exc), errors=[i.to_dict() for i in exc.issues])
        return web.json_response({"rev": rev}) if v == "v2" else web.Response(status=204)

    async def get_settings(request: web.Request) -> web.Response:
        return web.json_response(engine.settings.public(version))

    app.router.add_get(root + "/flows", get_flows)
    app.router.add_post(root + "/flows", post_flows)
    app.router.add_get(root + "/settings", get_settings)
    add_context_routes(app, engine, root)
    add_node_routes(app, engine, root, version)
    add_editor_routes(app, engine, root)
    add_flow_routes(app, engine, root)
    add_cluster_route(app, engine, root)
    add_openapi_route(app, root, version)
    for route in admin_routes():
        app.router.add_route(route.method, root + route.path, _node_route(engine, route.handler))


def _node_route(engine, handler):
    async def view(request: web.Request) -> web.Response:
        try:
            body = await read_json(request)
        except BadJson as bad:
            return bad.response
        await engine.settled()  # a node looked up during a deploy would be missing
        status, out = await handler(engine.admin_runtime, dict(request.match_info), body)
        return _respond(status, out)

    return view


def _respond(status: int, body: Any) -> web.Response:
    if isinstance(body, str):
        return web.Response(status=status, text=body, content_type="text/plain")
    return web.json_response(body, status=status)
