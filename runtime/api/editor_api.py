"""Routes the editor uses beside Node-RED's Admin API.

* ``GET /credentials/:type/:id`` → ``{"has_<field>": true, ...}``: which credentials a node has,
  never their values (Node-RED's convention for password fields; FlowRed treats every
  credential field as a password).
* ``GET /trace`` → ``{enabled, capacity}``; ``POST /trace`` ``{"enabled": bool}`` switches the
  message trace (runtime.trace); ``GET /trace/:msgid`` → ``{msgid, hops: [{node, time}]}``.
* ``GET /flows/examples`` → ``[{name, file}]`` for the example flows shipped in ``flows/``;
  ``GET /flows/examples/:file`` → that flow's JSON.
"""
from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from ..resources import examples_dir
from .errors import BadJson, api_error, read_json
from .models import Enabled, parse_model

__all__ = ["add_editor_routes"]


def add_editor_routes(app: web.Application, engine, root: str) -> None:
    """Mount the credentials, trace and examples routes under ``root``."""

    async def get_credentials(request: web.Request) -> web.Response:
        node_id = request.match_info["id"]
        node = next((n for n in engine.get_flows() if n.get("id") == node_id), None)
        if node is None or node.get("type") != request.match_info["type"]:
            return api_error(404, "not_found", f"Unknown node {node_id}")
        creds = engine.credentials.get(node_id, {})
        return web.json_response({f"has_{k}": v not in ("", None) for k, v in creds.items()})

    async def get_trace(request: web.Request) -> web.Response:
        return web.json_response({"enabled": engine.trace.enabled, "capacity": engine.trace.capacity})

    async def post_trace(request: web.Request) -> web.Response:
        try:
            enabled = parse_model(Enabled, await read_json(request)).enabled
        except BadJson as bad:
            return bad.response
        except ValueError:
            return api_error(400, "invalid_request", 'expected {"enabled": true|false}')
        engine.trace.set_enabled(enabled)
        return web.json_response({"enabled": engine.trace.enabled})

    async def get_trace_path(request: web.Request) -> web.Response:
        msgid = request.match_info["msgid"]
        return web.json_response({"msgid": msgid, "hops": engine.trace.path(msgid)})

    async def list_examples(request: web.Request) -> web.Response:
        return web.json_response([{"name": _example_name(p), "file": p.name}
                                  for p in sorted(examples_dir().glob("*.json"))])

    async def get_example(request: web.Request) -> web.StreamResponse:
        name = request.match_info["file"]
        path = examples_dir() / name
        if "/" in name or not name.endswith(".json") or not path.is_file():
            return api_error(404, "not_found", f"Unknown example {name}")
        return web.FileResponse(path, headers={"Content-Type": "application/json"})

    app.router.add_get(root + "/credentials/{type}/{id}", get_credentials)
    app.router.add_get(root + "/trace", get_trace)
    app.router.add_post(root + "/trace", post_trace)
    app.router.add_get(root + "/trace/{msgid}", get_trace_path)
    app.router.add_get(root + "/flows/examples", list_examples)
    app.router.add_get(root + "/flows/examples/{file}", get_example)


def _example_name(path: Path) -> str:
    """The label of the example's first tab, else its file name."""
    try:
        nodes = json.loads(path.read_text(encoding="utf-8"))
        nodes = nodes.get("flows", []) if isinstance(nodes, dict) else nodes
        return next((n.get("label") for n in nodes if n.get("type") == "tab" and n.get("label")), path.stem)
    except (OSError, ValueError, AttributeError):
        return path.stem
