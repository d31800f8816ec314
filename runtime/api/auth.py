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
``{"error": "invalid_grant"}`` for bad credentials), ``POST /auth/revoke`` (the token to
revoke as ``token`` in the body, as Node-RED's editor sends it, or as the Bearer token; 401
without a valid one).

Fails closed (FlowRed's own rules): an ``adminAuth`` section always turns auth on (Settings
refuses one without a usable user); bcrypt runs in a worker thread (``asyncio.to_thread``), so
wrong logins never stall the event loop; an unknown user is checked against a dummy hash of
the same cost, so the answer's timing does not tell which usernames exist. Login throttle:
after ``maxLoginFailures`` (10) failed logins from one address within ``loginFailureWindow``
(60) seconds, that address gets 429 with ``Retry-After`` until ``loginFailureWindow`` seconds
after the last failure; refused attempts do not count, so the lockout always ends.
A body that is neither form nor JSON object (malformed JSON, not an object, a field not a
string) is 400 ``{"code": "invalid_request", "message", "error": "invalid_request"}``: the Admin
API's error shape with OAuth2's ``error``.
"""
from __future__ import annotations

import asyncio
import math
import re
import secrets
import time
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from .errors import BadJson, api_error, read_json
from .models import RevokeRequest, TokenRequest

__all__ = ["AdminAuth", "add_auth_routes"]

MAX_FAILURES = 10      # failed logins per client address ... (adminAuth.maxLoginFailures)
FAILURE_WINDOW = 60.0  # ... within this many seconds lock it out this long (adminAuth.loginFailureWindow)
PROMPTS = [{"id": "username", "type": "text", "label": "user.username"},
           {"id": "password", "type": "password", "label": "user.password"}]


class AdminAuth:
    """Users, tokens and permission checks for one ``adminAuth`` setting (None: auth off; any
    section, even one without users, turns it on: nobody gets in rather than everybody)."""

    def __init__(self, config: dict[str, Any] | None) -> None:
        self.enabled = config is not None
        config = config or {}
        self.users = {u["username"]: u for u in config.get("users", []) if isinstance(u, dict) and u.get("username")}
        self.default = (config.get("default") or {}).get("permissions")
        self.expiry = float(config.get("sessionExpiryTime", 604800))
        self.max_failures = int(config.get("maxLoginFailures", MAX_FAILURES))
        self.window = float(config.get("loginFailureWindow", FAILURE_WINDOW))
        self.tokens: dict[str, tuple[str, Any, float]] = {}
        self.failures: dict[str, list[float]] = {}
        self.dummy = _dummy_hash(self.users.values()) if self.enabled else b""

    def throttled(self, client: str) -> float:
        """Seconds ``client`` (an address) must still wait (0: it may try): after
        ``max_failures`` failures within ``window`` seconds, until ``window`` seconds after
        the last of them. A lockout that has passed forgets the failures."""
        now = time.monotonic()
        recent = [t for t in self.failures.get(client, ()) if now - t < self.window]
        if recent:
            self.failures[client] = recent
        else:
            self.failures.pop(client, None)
        return recent[-1] + self.window - now if len(recent) >= self.max_failures else 0.0

    def attempt(self, client: str) -> float:
        """Count a login attempt of ``client`` as failed until it succeeds (so that parallel
        guesses count too); returns its stamp for ``succeeded``. Addresses whose failures all
        passed are dropped now and then so that the table stays small."""
        now = time.monotonic()
        if len(self.failures) > 10000:
            self.failures = {c: f for c, f in self.failures.items() if f and now - f[-1] < self.window}
        self.failures.setdefault(client, []).append(now)
        return now

    def succeeded(self, client: str, stamp: float) -> None:
        """Take back the failure ``attempt`` counted: the login worked."""
        stamps = self.failures.get(client, [])
        if stamp in stamps:
            stamps.remove(stamp)

    async def login(self, username: str, password: str) -> dict | None:
        """A new token for valid credentials, else None. The bcrypt check runs in a worker
        thread; an unknown user is checked against a dummy hash (same cost as a user's)."""
        user = self.users.get(username)
        hashed = str(user.get("password", "")).encode() if user is not None else self.dummy
        ok = await asyncio.to_thread(_password_ok, password.encode(), hashed)
        if user is None or not ok:
            return None
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (username, user.get("permissions", "read"), time.time() + self.expiry)
        return {"access_token": token, "expires_in": int(self.expiry), "token_type": "Bearer"}

    def valid(self, token: str) -> bool:
        """Whether ``token`` is a live token (expired ones are forgotten)."""
        entry = self.tokens.get(token)
        if entry is not None and entry[2] <= time.time():
            self.tokens.pop(token, None)
            return False
        return entry is not None

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    def permissions(self, token: str | None) -> Any:
        """The permissions a request with this token (or none) has; None means no access."""
        if not self.enabled:
            return "*"
        if token and self.valid(token):
            return self.tokens[token][1]
        return self.default

    def allows(self, token: str | None, method: str) -> bool:
        """Whether ``method`` may be used with ``token`` (``read`` allows only GET/HEAD)."""
        perms = self.permissions(token)
        if perms is None:
            return False
        if perms == "*" or (isinstance(perms, list) and "*" in perms):
            return True
        return method in ("GET", "HEAD")


def _password_ok(password: bytes, hashed: bytes) -> bool:
    import bcrypt  # loaded with the first login (on a worker thread), not by runtimes without adminAuth

    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # not a bcrypt hash
        return False


def _dummy_hash(users) -> bytes:
    """A bcrypt hash of a random password at the highest cost among ``users``' hashes."""
    import bcrypt

    costs = [int(m.group(1)) for u in users if (m := re.match(r"^\$2[aby]?\$(\d\d)\$", str(u.get("password", ""))))]
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(max(costs, default=10)))


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
        raise BadJson(api_error(400, "invalid_request",
                                f"Invalid {model.__name__}: {exc.errors(include_url=False)[0]['msg']}"
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
        wait = auth.throttled(client)
        if wait:
            return web.json_response({"error": "too_many_requests"}, status=429,
                                     headers={"Retry-After": str(max(1, math.ceil(wait)))})
        stamp = auth.attempt(client)
        result = await auth.login(body.username, body.password)
        if result is None:
            return web.json_response({"error": "invalid_grant"}, status=401)
        auth.succeeded(client, stamp)
        return web.json_response(result)

    async def revoke(request: web.Request) -> web.Response:
        try:
            body = await _read_body(request, RevokeRequest)
        except BadJson as bad:
            return bad.response
        token = body.token or bearer(request) or ""
        if auth.enabled:
            if not token or not auth.valid(token):
                return web.Response(status=401, text="Unauthorized")
            auth.revoke(token)
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
