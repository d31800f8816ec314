"""The aiohttp application: Admin API, ``/comms`` and the editor's static files from ``web/``."""
from __future__ import annotations

from aiohttp import web

from .. import __version__
from ..resources import web_dir
from .admin import add_admin_routes
from .auth import AdminAuth, add_auth_routes
from .comms import Comms
from .guard import guard_middleware

__all__ = ["create_app", "ENGINE", "COMMS"]

ENGINE = web.AppKey("engine", object)
COMMS = web.AppKey("comms", Comms)


def create_app(engine) -> web.Application:
    """An aiohttp Application serving ``engine`` under ``settings.httpAdminRoot``."""
    settings = engine.settings
    web_root = web_dir()
    root = settings.httpAdminRoot.rstrip("/")
    app = web.Application(client_max_size=5 * 1024 * 1024)  # Node-RED's apiMaxLength 5mb
    auth = AdminAuth(settings.adminAuth)
    comms = Comms(engine, settings.commsQueueLimit, auth)
    app[ENGINE] = engine
    app[COMMS] = comms
    app.middlewares.append(guard_middleware(settings))  # Host, Origin, Content-Type: before auth
    add_auth_routes(app, auth, root, {root + "/", root + "/comms", root + "/auth/login", root + "/auth/token",
                                      root + "/auth/revoke"})
    add_admin_routes(app, engine, root, __version__)
    app.router.add_get(root + "/comms", comms.handle)

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(web_root / "index.html")

    app.router.add_get(root + "/", index)
    node_root = settings.httpNodeRoot.rstrip("/")

    async def fallback(request: web.Request) -> web.StreamResponse:
        """Requests no Admin API route answered: an editor file from ``web/`` (GET), else the
        routes of ``http in`` nodes under httpNodeRoot, else 404."""
        path = request.path
        if request.method in ("GET", "HEAD") and path.startswith(root + "/"):
            file = (web_root / path[len(root) + 1:]).resolve()
            if file.is_file() and file.is_relative_to(web_root):
                return web.FileResponse(file)
        if node_root:
            if not (path == node_root or path.startswith(node_root + "/")):
                raise web.HTTPNotFound()
            path = path[len(node_root):] or "/"
        found = engine.http_routes.match(request.method, path)
        if found is None:
            raise web.HTTPNotFound(text=f"Cannot {request.method} {request.path}")
        route, params = found
        return await route.handler(request, params)

    app.router.add_route("*", "/{tail:.*}", fallback)

    async def on_shutdown(app: web.Application) -> None:
        await comms.close()

    app.on_shutdown.append(on_shutdown)
    return app
