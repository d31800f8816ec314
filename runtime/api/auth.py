"""Admin API authentication, as Node-RED's ``adminAuth`` (editor-api/lib/auth): users with
bcrypt password hashes and permissions, OAuth2 password-grant tokens, Bearer checks.

Settings (``adminAuth``)::

    {"type": "credentials",
     "users": [{"username": "admin", "password": "<bcrypt hash>", "permissions": "*"}],
     "default": {"permissions": "read"},      # optional: what anonymous users may do
     "sessionExpiryTime": 604800}             # seconds (Node-RED's default: 7 days)

Permission ``"*"`` allows everything, ``"read"`` only GET requests. Without ``adminAuth``
everything is open, as in Node-RED. Node-RED's hashes (``$2b$08$...``, made with
``node-red admin hash-pw``) work unchanged. Tokens live in memory: a restart logs users out.

Routes: ``GET /auth/login`` (``{}`` when auth is off, else the login prompts),
``POST /auth/token`` (``client_id``, ``grant_type=password``, ``scope``, ``username``,
``password``, form or JSON → ``{access_token, expires_in, token_type: "Bearer"}``; 401
``{"error": "invalid_grant"}`` for bad credentials; after 10 failures from one address within
60 s, 429 until the window passes), ``POST /auth/revoke`` (``token``). A body that is neither
(malformed JSON, not an object, a field not a string) is 400 ``{"code": "invalid_request",
"message", "error": "invalid_request"}``: the Admin API's error shape with OAuth2's ``error``.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

import bcrypt
from aiohttp import web
from pydantic import BaseModel

from .errors import BadJson, api_error, read_json
from .models import RevokeRequest, TokenRequest

__all__ = ["AdminAuth", "add_auth_routes"]

MAX_FAILURES = 10      # failed logins per client address ...
FAILURE_WINDOW = 60.0  # ... within this many seconds before further attempts get 429
PROMPTS = [{"id": "username", "type": "text", "label": "user.username"},
           {"id": "password", "type": "password", "label": "user.password"}]


class AdminAuth:
    """Users, tokens and permission checks for one ``adminAuth`` setting (None: auth off)."""

    def __init__(self, config: dict[str, Any] | None) -> None:
        config = config or {}
        self.enabled = bool(config.get("users"))
        self.users = {u["username"]: u for u in config.get("users", []) if isinstance(u, dict) and u.get("username")}
        self.default = (config.get("default") or {}).get("permissions")
        self.expiry = float(config.get("sessionExpiryTime", 604800))
        self.tokens: dict[str, tuple[str, Any, float]] = {}
        self.failures: dict[str, list[float]] = {}

    def throttled(self, client: str) -> bool:
        """Whether ``client`` (an address) failed to log in ``MAX_FAILURES`` times in the last
        ``FAILURE_WINDOW`` seconds: its attempts are refused until the window passes."""
        now = time.time()
        recent = [t for t in self.failures.get(client, []) if now - t < FAILURE_WINDOW]
        self.failures[client] = recent
        return len(recent) >= MAX_FAILURES

    def failed(self, client: str) -> None:
        self.failures.setdefault(client, []).append(time.time())

    def login(self, username: str, password: str) -> dict | None:
        """A new token for valid credentials, else None."""
        user = self.users.get(username)
        if user is None or not _password_ok(password, str(user.get("password", ""))):
            return None
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (username, user.get("permissions", "read"), time.time() + self.expiry)
        return {"access_token": token, "expires_in": int(self.expiry), "token_type": "Bearer"}

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    def permissions(self, token: str | None) -> Any:
        """The permissions a request with this token (or none) has; None means no access."""
        if not self.enabled:
            return "*"
        if token:
            entry = self.tokens.get(token)
            if entry is not None:
                if entry[2] > time.time():
                    return entry[1]
                self.tokens.pop(token, None)
        return self.default

    def allows(self, token: str | None, method: str) -> bool:
        """Whether ``method`` may be used with ``token`` (``read`` allows only GET/HEAD)."""
        perms = self.permissions(token)
        if perms is None:
            return False
        if perms == "*" or (isinstance(perms, list) and "*" in perms):
            return True
        return method in ("GET", "HEAD")


def _password_ok(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:  # not a bcrypt hash
        return False


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def _read_body(request: web.Request, model: type[BaseModel]) -> Any:
    """The JSON or form body of an /auth request as ``model``; raises BadJson with a 400 (413
    when too large) ``{code, message, error}``."""
    if request.content_type == "application/json":
        data = await read_json(request, {})
    else:
        try:
            data = dict(await request.post())
        except web.HTTPRequestEntityTooLarge as exc:
            raise BadJson(api_error(413, "too_large", exc.text or "Request body too large")) from None
        except (ValueError, AssertionError) as exc:  # malformed form or multipart body
            raise BadJson(api_error(400, "invalid_request", f"Malformed form body: {exc}",
                                    error="invalid_request")) from None
    if not isinstance(data, dict):
        raise BadJson(api_error(400, "invalid_request", "the body must be an object", error="invalid_request"))
    try:
        return model.model_validate(data)
    except ValueError as exc:
        raise BadJson(api_error(400, "invalid_request", f"Invalid {model.__name__}: {exc.errors(include_url=False)[0]['msg']}"
                                if hasattr(exc, "errors") else str(exc), error="invalid_request")) from None


def add_auth_routes(app: web.Application, auth: AdminAuth, root: str, open_paths: set[str]) -> None:
    """Mount the /auth routes and a middleware that checks every Admin API route; the paths
    in ``open_paths`` (the editor page, /comms, /auth/*) and routes not of the Admin API
    (editor files, http in nodes) stay open."""

    async def login_prompts(request: web.Request) -> web.Response:
        return web.json_response({"type": "credentials", "prompts": PROMPTS} if auth.enabled else {})

    async def token(request: web.Request) -> web.Response:
        try:
            body = await _read_body(request, TokenRequest)
        except BadJson as bad:
            return bad.response
        if body.grant_type != "password":
            return api_error(400, "unsupported_grant_type", "only grant_type=password is supported",
                             error="unsupported_grant_type")
        client = request.remote or ""
        if auth.throttled(client):
            return web.json_response({"error": "too_many_requests"}, status=429,
                                     headers={"Retry-After": str(int(FAILURE_WINDOW))})
        result = auth.login(body.username, body.password)
        if result is None:
            auth.failed(client)
            return web.json_response({"error": "invalid_grant"}, status=401)
        return web.json_response(result)

    async def revoke(request: web.Request) -> web.Response:
        try:
            body = await _read_body(request, RevokeRequest)
        except BadJson as bad:
            return bad.response
        auth.revoke(body.token)
        return web.json_response({})

    @web.middleware
    async def check(request: web.Request, handler):
        route = request.match_info.route
        resource = route.resource.canonical if route.resource is not None else ""
        if not auth.enabled or resource == "/{tail}" or request.path in open_paths:
            return await handler(request)
        if not auth.allows(bearer(request), request.method):
            return web.Response(status=401, text="Unauthorized")
        return await handler(request)

    app.router.add_get(root + "/auth/login", login_prompts)
    app.router.add_post(root + "/auth/token", token)
    app.router.add_post(root + "/auth/revoke", revoke)
    app.middlewares.append(check)
