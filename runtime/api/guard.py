"""Requests from other web sites and DNS rebinding: the checks every Admin API, editor and
``/comms`` request passes before authentication and before its body is read.

Threat: anyone who can deploy a flow can run commands (exec, function nodes). A web page the
user visits can send requests to ``http://127.0.0.1:1880`` from the user's browser: a
``fetch(url, {method: "POST", mode: "no-cors", body})`` or a ``<form enctype="text/plain">``
posts without a CORS preflight, and a host name the attacker re-points at 127.0.0.1 (DNS
rebinding) even makes the page same-origin with FlowRed, so it can read the answers too.

Rule (Node-RED's Admin API parses only JSON and form bodies; the Host and Origin checks are
FlowRed's own):

- **Content-Type**: a request with a body is refused with 415 ``unsupported_media_type``
  unless its body is ``application/json`` (``application/x-www-form-urlencoded`` too on
  ``/auth/token`` and ``/auth/revoke``, as Node-RED's login and logout send them). Browsers
  cannot send ``application/json`` to another origin without a CORS preflight, which FlowRed
  never grants.
- **Host**: when the server listens on a loopback address, the ``Host`` header must name a
  loopback host (``localhost``, ``127.x.x.x``, ``[::1]``, any port) or one of the
  ``allowedHosts`` settings, else 403 ``host_not_allowed``. A rebinding page's requests carry
  the attacker's host name. On other addresses only ``allowedHosts`` (when set) is checked:
  there adminAuth guards the API. Loopback names are always allowed.
- **Origin**: a write (POST, PUT, PATCH, DELETE) or a websocket upgrade whose ``Origin``
  header is present and is neither the server's own origin (the ``Host`` the browser used)
  nor one of ``allowedOrigins`` is refused with 403 ``origin_not_allowed``. Requests without
  ``Origin`` (curl, scripts, node-red-admin) pass; reads pass, the browser keeps a foreign
  page from reading their answers.

Routes of ``http in`` nodes under httpNodeRoot and the editor's static files are not checked:
the first are the user's own API (Node-RED checks none), the second are public.
"""
from __future__ import annotations

import ipaddress
from typing import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from aiohttp import web

from .errors import api_error

__all__ = ["guard_middleware", "is_loopback_host"]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or address, no port; ``[::1]`` with or without brackets) is
    ``localhost`` or a loopback address."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None]:
    """``("name", port or None)`` from a Host header (``name``, ``name:80``, ``[::1]:1880``);
    the name lowercased, IPv6 in brackets. Raises ValueError for a malformed port."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        name, rest = value[:end + 1], value[end + 1:]
        return name, int(rest[1:]) if rest.startswith(":") else None
    if value.count(":") == 1:
        name, port = value.split(":")
        return name, int(port)
    return value, None


def _host_matches(name: str, port: int | None, allowed: Iterable[str]) -> bool:
    """Whether Host ``name[:port]`` is one of ``allowed`` (``name`` any port, ``name:port`` that
    port, ``*`` everything)."""
    for entry in allowed:
        if entry == "*":
            return True
        a_name, a_port = split_host(entry)
        if a_name == name and (a_port is None or a_port == port):
            return True
    return False


def _same_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` (``scheme://name[:port]``) names the ``Host`` header ``host``: same
    name and port, a missing port being the default of the origin's scheme. The scheme itself
    is not compared (only FlowRed listens on that name and port), so a TLS-terminating proxy
    that passes Host on works."""
    try:
        parts = urlsplit(origin)
        o_port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        h_name, h_port = split_host(host)
    except ValueError:
        return False
    o_name = parts.netloc.rsplit("@", 1)[-1].lower()
    o_name = o_name[:o_name.rfind("]") + 1] if o_name.startswith("[") else o_name.split(":")[0]
    return bool(o_name) and o_name == h_name and o_port == (h_port or DEFAULT_PORTS.get(parts.scheme))


def guard_middleware(settings) -> Callable:
    """The aiohttp middleware enforcing this module's rule for ``settings`` (uiHost,
    allowedHosts, allowedOrigins, httpAdminRoot). Refusals are JSON ``{code, message}``."""
    root = settings.httpAdminRoot.rstrip("/")
    form_paths = {root + "/auth/token", root + "/auth/revoke"}
    loopback = is_loopback_host(settings.uiHost)
    allowed_hosts = list(settings.allowedHosts or [])
    allowed_origins = {o.rstrip("/") for o in settings.allowedOrigins or []}
    check_hosts = loopback or bool(allowed_hosts)

    def host_refused(host: str) -> web.Response | None:
        try:
            name, port = split_host(host)
        except ValueError:
            name, port = host, None
        if is_loopback_host(name) or _host_matches(name, port, allowed_hosts):
            return None
        where = "listens on a loopback address and answers only to localhost, 127.0.0.1 and [::1]" if loopback \
            else "answers only to the hosts in allowedHosts"
        return api_error(403, "host_not_allowed",
                         f"Host {host!r} is not allowed: FlowRed {where} (protection against DNS rebinding). "
                         f"To allow it, add it to allowedHosts in the settings file, e.g. "
                         f"allowedHosts = [\"{name}\"]", host=host)

    def origin_refused(origin: str, host: str | None) -> web.Response | None:
        if "*" in allowed_origins or origin.rstrip("/").lower() in allowed_origins:
            return None
        if host is not None and _same_origin(origin, host):
            return None
        return api_error(403, "origin_not_allowed",
                         f"Origin {origin!r} may not change anything here: only pages served by FlowRed "
                         f"itself may. To allow it, add it to allowedOrigins in the settings file, e.g. "
                         f"allowedOrigins = [\"{origin}\"]", origin=origin)

    @web.middleware
    async def guard(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        route = request.match_info.route
        if route.resource is None or route.resource.canonical == "/{tail}":
            return await handler(request)  # http in nodes and editor files
        headers = request.headers
        host = headers.get("Host")
        if check_hosts and host is not None:
            refused = host_refused(host)
            if refused is not None:
                return refused
        origin = headers.get("Origin")
        if origin is not None and (request.method in WRITES or headers.get("Upgrade", "").lower() == "websocket"):
            refused = origin_refused(origin, host)
            if refused is not None:
                return refused
        if request.body_exists:
            ctype = request.content_type if "Content-Type" in headers else ""
            if ctype != JSON and not (ctype == FORM and request.path in form_paths):
                refused = api_error(415, "unsupported_media_type",
                                    f"Content-Type {ctype or '(none)'!r} is not accepted: send the body as {JSON}")
                refused.force_close()  # the body stays unread: do not keep the connection for it
                return refused
        return await handler(request)

    return guard
