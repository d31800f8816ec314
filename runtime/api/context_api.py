"""``GET``/``DELETE /context/...``: reading and deleting context from outside, as Node-RED's
editor-api/lib/admin/context.js and runtime/lib/api/context.js.

* ``GET /context/global``, ``/context/flow/:id``, ``/context/node/:id`` → every key of every
  store: ``{"<store>": {"<key>": {"msg": ..., "format": ...}}}`` (values encoded as the debug
  sidebar encodes them).
* ``GET /context/<scope>/<key>?store=<name>`` → ``{"msg", "format"}`` for that key (plus
  ``"store"`` when it is not the default store).
* ``DELETE /context/<scope>/<key>?store=<name>`` → 204.

An unknown store is 400 ``invalid_store``; a key that is not a property expression
(``a..b``, ``a[``) is 400 ``invalid_key``; a node id that is not deployed is 404.
"""
from __future__ import annotations

from aiohttp import web

from ..encode import encode_object
from ..props import PropertyError, parse_path
from ..values import UNDEFINED
from .errors import api_error

__all__ = ["add_context_routes"]


def add_context_routes(app: web.Application, engine, root: str) -> None:
    """Mount the context routes under ``root``."""

    def scope_of(request: web.Request) -> str | None:
        kind = request.match_info["scope"]
        if kind == "global":
            return "global"
        ident = request.match_info.get("id", "")
        if kind == "flow":
            return ident
        node = engine.get_node(ident)
        if node is not None:
            return f"{node.alias or node.id}:{node.z or 'global'}"
        raw = next((n for n in engine.get_flows() if n.get("id") == ident), None)
        return None if raw is None else f"{ident}:{raw.get('z') or 'global'}"

    def store_of(request: web.Request):
        name = request.query.get("store")
        manager = engine.context
        if name is not None and name not in manager.stores:
            return None, name
        return manager.store(name), name or manager.default

    async def get_context(request: web.Request) -> web.Response:
        scope = scope_of(request)
        if scope is None:
            return api_error(404, "not_found", "Node not found")
        key = request.match_info.get("key", "")
        manager = engine.context
        limit = engine.settings.debugMaxLength
        if not key:
            names = [request.query["store"]] if "store" in request.query else manager.store_names()
            out = {}
            for name in names:
                if name not in manager.stores:
                    return api_error(400, "invalid_store", f"Unknown context store '{name}'")
                store = manager.stores[name]
                out[name] = {k: _encoded(store.get(scope, k), limit) for k in store.keys(scope)}
            return web.json_response(out)
        store, name = store_of(request)
        if store is None:
            return api_error(400, "invalid_store", f"Unknown context store '{name}'")
        try:
            encoded = _encoded(store.get(scope, parse_key(key)), limit)
        except PropertyError as exc:
            return api_error(400, "invalid_key", str(exc))
        if name != manager.default and manager.aliases.get(manager.default) != name:
            encoded["store"] = name
        return web.json_response(encoded)

    async def delete_context(request: web.Request) -> web.Response:
        scope = scope_of(request)
        if scope is None:
            return api_error(404, "not_found", "Node not found")
        store, name = store_of(request)
        if store is None:
            return api_error(400, "invalid_store", f"Unknown context store '{name}'")
        try:
            store.set(scope, parse_key(request.match_info["key"]), UNDEFINED)
        except PropertyError as exc:
            return api_error(400, "invalid_key", str(exc))
        return web.Response(status=204)

    base = root + "/context/{scope:global}"
    scoped = root + "/context/{scope:flow|node}/{id}"
    for prefix in (base, scoped):
        app.router.add_get(prefix, get_context)
        app.router.add_get(prefix + r"/{key:[\s\S]+}", get_context)
        app.router.add_delete(prefix + r"/{key:[\s\S]+}", delete_context)


def parse_key(key: str) -> str:
    """``key`` when it is a property expression (``a.b[0]``); raises PropertyError otherwise."""
    parse_path(key)
    return key


def _encoded(value, limit: int) -> dict:
    return encode_object({"msg": value}, limit)
