"""Routes that nodes serve under ``httpNodeRoot`` (the ``http in`` node), as Node-RED's
``RED.httpNode`` (an Express router).

The engine owns the table; the HTTP layer dispatches every request that no Admin API route or
editor file answered. Paths use Express' syntax: ``/user/:id`` binds ``params["id"]``; a
trailing ``/`` is optional.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

__all__ = ["HttpRoutes", "HttpRoute"]

Handler = Callable[[Any, dict], Awaitable[Any]]


@dataclass
class HttpRoute:
    """One served route: ``method`` (upper case, ``*`` for any), Express ``path``, ``handler``
    ``(request, params) -> response``; ``exclusive``: no other exclusive route may share its
    method and path."""

    method: str
    path: str
    handler: Handler
    regex: re.Pattern
    exclusive: bool = False


def _compile(path: str) -> re.Pattern:
    if not path.startswith("/"):
        path = "/" + path
    out = ""
    for part in re.split(r"(:[A-Za-z_][A-Za-z0-9_]*\??|\*)", path.rstrip("/")):
        if part == "*":
            out += "(.*)"
        elif part.startswith(":"):
            name = part[1:].rstrip("?")
            out += f"(?P<{name}>[^/]+)" + ("?" if part.endswith("?") else "")
        else:
            out += re.escape(part)
    return re.compile("^" + out + "/?$")


class HttpRoutes:
    """The route table. ``add`` returns a function that removes the route again."""

    def __init__(self) -> None:
        self._routes: list[HttpRoute] = []

    def add(self, method: str, path: str, handler: Handler, *, exclusive: bool = False) -> Callable[[], None] | None:
        """Add a route (tried after the earlier ones); returns the function that removes it.
        ``exclusive``: returns None instead when another exclusive route has the same method and
        path (a trailing ``/`` ignored), as Node-RED refuses a second websocket listener."""
        route = HttpRoute(method.upper(), path, handler, _compile(path), exclusive)
        if exclusive:
            key = path.rstrip("/") or "/"
            if any(r.exclusive and r.method == route.method and (r.path.rstrip("/") or "/") == key
                   for r in self._routes):
                return None
        self._routes.append(route)
        return lambda: self._routes.remove(route) if route in self._routes else None

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict] | None:
        """The first route for ``method`` and ``path`` (relative to httpNodeRoot) and its params."""
        method = method.upper()
        for route in self._routes:
            if route.method in (method, "*") or (method == "HEAD" and route.method == "GET"):
                m = route.regex.match(path)
                if m:
                    return route, {k: v for k, v in m.groupdict().items() if v is not None}
        return None
