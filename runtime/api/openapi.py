"""``GET /openapi.json``: the Admin API as an OpenAPI 3.1 document, its schemas generated from
the pydantic models the handlers parse with (runtime.api.models, runtime.flow_edit.FlowBody).

``OPERATIONS`` lists every route FlowRed itself mounts; the routes node modules register
(``registry.admin_routes``, e.g. ``POST /inject/{id}``) are added from the registry with their
handler's docstring. ``router_operations(app)`` lists what an aiohttp app really serves in the
same ``(METHOD, path)`` form, so a test can check that the document and the router agree.
Paths are relative to ``httpAdminRoot``, the document's ``servers[0].url``.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..flow_edit import FlowBody
from ..registry import admin_routes
from . import models as m

__all__ = ["Op", "OPERATIONS", "openapi_document", "router_operations", "add_openapi_route"]

_REF = "#/components/schemas/{model}"


@dataclass
class Op:
    """One operation: ``responses`` maps a status to ``(description, body)`` where body is a
    pydantic model, a JSON schema dict, a media type string (``"text/plain"``) or None (no
    body); ``body`` is the request body (model or schema); ``params`` are OpenAPI parameter
    objects beside the path's own ``{name}`` parameters."""

    method: str
    path: str
    summary: str
    responses: dict[int, tuple[str, Any]]
    body: Any = None
    params: list[dict] = field(default_factory=list)
    form: bool = False  # the request body may also be a form (application/x-www-form-urlencoded)


def _header(name: str, values: list[str], doc: str) -> dict:
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string", "enum": values},
            "description": doc}


_STORE = {"name": "store", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "the context store (default: the default store)"}
_API_VERSION = _header("Node-RED-API-Version", ["v1", "v2"], "v1: the flows array; v2: {flows, rev}")
_DEPLOY_TYPE = _header("Node-RED-Deployment-Type", ["full", "nodes", "flows", "reload"],
                       "what restarts: every node, the changed nodes, the changed tabs; reload re-reads storage")
_OBJ: dict = {"type": "object"}
_ERR = m.ApiError
_BAD = (400, ("invalid request (a JSON error)", _ERR))
_NOT_FOUND = (404, ("unknown id (a JSON error)", _ERR))
_TOO_LARGE = (413, ("body over 5 MB (a JSON error)", _ERR))
_STALE = (409, ("the flows changed meanwhile (version_mismatch)", _ERR))
_UNAVAILABLE = (503, ("in a cluster: NATS cannot be reached, nothing changed (cluster_unavailable)", _ERR))


def _ctx(path: str, node: bool) -> list[Op]:
    found = [_NOT_FOUND] if node else []
    return [
        Op("GET", path, "Every key of every context store of this scope",
           dict([(200, ("{store: {key: {msg, format}}}", _OBJ)), _BAD, *found]), params=[_STORE]),
        Op("GET", path + "/{key}", "One context value, encoded as the debug sidebar shows it",
           dict([(200, ("the value", m.ContextValue)), _BAD, *found]), params=[_STORE]),
        Op("DELETE", path + "/{key}", "Delete one context value",
           dict([(204, ("deleted", None)), _BAD, *found]), params=[_STORE]),
    ]


OPERATIONS: list[Op] = [
    Op("GET", "/", "The editor (HTML page)", {200: ("the editor", "text/html")}),
    Op("GET", "/comms", "The /comms websocket (Node-RED's comms protocol); upgrade required",
       {101: ("switching to the websocket", None)}),
    Op("GET", "/openapi.json", "This document", {200: ("OpenAPI 3.1", _OBJ)}),
    Op("GET", "/auth/login", "The login prompts ({} when adminAuth is off)", {200: ("prompts", _OBJ)}),
    Op("POST", "/auth/token", "Log in (OAuth2 password grant)",
       {200: ("a bearer token", m.TokenResponse), 400: ("malformed body", _ERR), 401: ("bad credentials", m.OAuthError),
        413: _TOO_LARGE[1], 429: ("too many failed logins", m.OAuthError)}, body=m.TokenRequest, form=True),
    Op("POST", "/auth/revoke", "Revoke a token", {200: ("revoked", _OBJ), 400: ("malformed body", _ERR),
                                                  413: _TOO_LARGE[1]}, body=m.RevokeRequest, form=True),
    Op("GET", "/flows", "The deployed flows",
       {200: ("v1: the flows; v2: {flows, rev}", {"oneOf": [m.FlowList, m.FlowsV2]}),
        400: ("unknown API version", _ERR)}, params=[_API_VERSION]),
    Op("POST", "/flows", "Deploy flows (validated first; the old flows keep running when invalid)",
       dict([(200, ("v2: the new rev", m.Rev)), (204, ("v1: deployed", None)), _BAD,
             (409, ("v2: stale rev (version_mismatch)", _ERR)), _TOO_LARGE]),
       body={"oneOf": [m.FlowList, m.DeployV2]}, params=[_API_VERSION, _DEPLOY_TYPE]),
    Op("GET", "/flows/state", "Whether the flows run", {200: ("the state", m.RunState)}),
    Op("POST", "/flows/state", "Start or stop the flows", dict([(200, ("the state", m.RunState)), _BAD, _TOO_LARGE]),
       body=m.RunState),
    Op("GET", "/flows/examples", "The example flows shipped with FlowRed",
       {200: ("examples", {"type": "array", "items": m.Example})}),
    Op("GET", "/flows/examples/{file}", "One example flow", dict([(200, ("the flow", m.FlowList)), _NOT_FOUND])),
    Op("POST", "/flow", "Add one flow (tab) → its id",
       dict([(200, ("the new flow's id", m.FlowId)), _BAD, _STALE, _TOO_LARGE, _UNAVAILABLE]), body=FlowBody),
    Op("GET", "/flow/{id}",
       "One flow: {id, label, disabled, info, env, nodes, configs}; global: {id, configs, subflows}",
       dict([(200, ("the flow", _OBJ)), _NOT_FOUND])),
    Op("PUT", "/flow/{id}", "Replace one flow",
       dict([(200, ("its id", m.FlowId)), _BAD, _NOT_FOUND, _STALE, _TOO_LARGE, _UNAVAILABLE]), body=FlowBody),
    Op("DELETE", "/flow/{id}", "Remove one flow and its nodes",
       dict([(204, ("removed", None)), _NOT_FOUND, _STALE, _UNAVAILABLE])),
    Op("GET", "/settings", "The runtime settings the editor reads", {200: ("settings", _OBJ)}),
    *_ctx("/context/global", False),
    *_ctx("/context/flow/{id}", False),
    *_ctx("/context/node/{id}", True),
    Op("GET", "/nodes", "The node sets", {200: ("node sets", {"type": "array", "items": m.NodeSet})}),
    Op("GET", "/nodes/{ident}", "One node set, or a module's node sets",
       dict([(200, ("the set or module", _OBJ)), _NOT_FOUND])),
    Op("PUT", "/nodes/{ident}", "Enable or disable a node set (400 type_in_use when its types are deployed)",
       dict([(200, ("the set", m.NodeSet)), _BAD, _NOT_FOUND, _TOO_LARGE]), body=m.Enabled),
    Op("GET", "/node-types", "Every node type with its palette data and config JSON schema",
       {200: ("types", {"type": "array", "items": _OBJ})}),
    Op("GET", "/credentials/{type}/{id}", "Which credentials a node has: {has_<field>: bool}",
       dict([(200, ("flags", _OBJ)), _NOT_FOUND])),
    Op("GET", "/trace", "Whether the message trace records", {200: ("trace state", m.TraceState)}),
    Op("POST", "/trace", "Switch the message trace", dict([(200, ("trace state", _OBJ)), _BAD, _TOO_LARGE]),
       body=m.Enabled),
    Op("GET", "/trace/{msgid}", "The nodes a msg passed through", {200: ("the path", m.TracePath)}),
    Op("GET", "/cluster", "The cluster's workers, leader and name ({enabled: false} for a runtime alone)",
       {200: ("the cluster", _OBJ)}),
]


def _node_route_ops() -> list[Op]:
    ops = []
    for route in admin_routes():
        doc = inspect.getdoc(route.handler) or route.path
        ops.append(Op(route.method, route.path, doc.split("\n")[0], {
            200: ("done (text OK, as Node-RED)", "text/plain"), 201: ("done (text Created, as Node-RED)", "text/plain"),
            400: ("invalid request (a JSON error)", _ERR),
            404: ("unknown node (text Not Found, as Node-RED)", "text/plain"),
            413: _TOO_LARGE[1]}, body=_OBJ))
    return ops


def _schema(body: Any) -> dict:
    """A JSON schema for ``body`` (model, schema dict holding models, or {}), models as $refs."""
    if isinstance(body, type) and issubclass(body, BaseModel):
        return {"$ref": _REF.format(model=body.__name__)}
    if isinstance(body, dict):
        return {k: (_schema(v) if isinstance(v, (dict, type)) else
                    [_schema(x) for x in v] if isinstance(v, list) and k in ("oneOf", "anyOf") else v)
                for k, v in body.items()}
    return body


def _models(ops: list[Op]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}

    def walk(x: Any) -> None:
        if isinstance(x, type) and issubclass(x, BaseModel):
            found.setdefault(x.__name__, x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)

    for op in ops:
        walk(op.body)
        walk(list(op.responses.values()))
    return list(found.values())


def _content(body: Any, form: bool = False) -> dict:
    if isinstance(body, str):
        return {body: {"schema": {"type": "string"}}}
    schema = _schema(body)
    out = {"application/json": {"schema": schema}}
    if form:
        out["application/x-www-form-urlencoded"] = {"schema": schema}
    return out


def openapi_document(version: str, root: str = "/") -> dict:
    """The OpenAPI 3.1 document (a JSON-able dict) of the Admin API served under ``root``."""
    ops = OPERATIONS + _node_route_ops()
    _, defs = models_json_schema([(model, "validation") for model in _models(ops)], ref_template=_REF)
    refs = defs.get("$defs", {})
    paths: dict[str, dict] = {}
    for op in ops:
        names = re.findall(r"\{(\w+)\}", op.path)
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in names] + op.params
        entry: dict[str, Any] = {"summary": op.summary, "operationId": f"{op.method.lower()} {op.path}",
                                 "responses": {}}
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {"required": False, "content": _content(op.body, op.form)}
        for status, (text, body) in sorted(op.responses.items()):
            resp: dict[str, Any] = {"description": text}
            if body is not None:
                resp["content"] = _content(body)
            entry["responses"][str(status)] = resp
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {"openapi": "3.1.0",
            "info": {"title": "FlowRed Admin API", "version": version,
                     "description": "Node-RED's Admin API as FlowRed serves it. Errors are JSON {code, message}."},
            "servers": [{"url": root.rstrip("/") or "/"}],
            "paths": paths,
            "components": {"schemas": refs}}


_LITERALS = re.compile(r"^[\w.-]+(\|[\w.-]+)*$")


def router_operations(app: web.Application, root: str = "") -> set[tuple[str, str]]:
    """``{(METHOD, path)}`` of every route ``app`` serves under ``root``, in the document's
    form: regex parameters made of literal alternatives (``{scope:flow|node}``) expand into
    each literal, other parameters become ``{name}``. HEAD (added for GET) and the catch-all
    route (editor files, ``http in`` nodes) are left out."""
    out: set[tuple[str, str]] = set()
    root = root.rstrip("/")
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if route.method in ("HEAD", "*"):
            continue
        if "path" in info:
            paths = [info["path"]]
        else:
            paths = [info["formatter"]]
            pattern = info["pattern"].pattern
            for name in re.findall(r"\{(\w+)\}", info["formatter"]):
                found = re.search(r"\(\?P<%s>([^()]*)\)" % name, pattern)
                regex = found.group(1) if found else ""
                alts = regex.split("|") if _LITERALS.match(regex) else None
                paths = [p.replace("{%s}" % name, alt) for p in paths for alt in alts] if alts else paths
        for path in paths:
            out.add((route.method, path[len(root):] if root and path.startswith(root) else path))
    return out


def add_openapi_route(app: web.Application, root: str, version: str) -> None:
    """Mount ``GET /openapi.json`` under ``root`` (built once, on first request)."""
    doc: dict = {}

    async def get_openapi(request: web.Request) -> web.Response:
        if not doc:
            doc.update(openapi_document(version, root or "/"))
        return web.json_response(doc)

    app.router.add_get(root.rstrip("/") + "/openapi.json", get_openapi)
