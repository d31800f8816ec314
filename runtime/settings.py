"""Runtime settings: the subset of Node-RED's settings.js that FlowRed uses, as a pydantic model.

Names are Node-RED's (``uiHost``, ``uiPort``, ``httpAdminRoot``, ``debugMaxLength`` ...) so that a
user's habits carry over. Defaults differ on purpose in one place: ``uiHost`` is ``127.0.0.1``
(Node-RED listens on every interface by default).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["Settings"]


class Settings(BaseModel):
    """What the runtime needs to know at start.

    ``flowFile``: path of the flow file (JSON); ``userDir``: where runtime state lives
    (``.config.runtime.json`` with a generated credential secret); ``credentialSecret``: a string
    to encrypt the credentials file with, ``False`` for plaintext, None to generate one;
    ``debugMaxLength``: characters of a debug value shown in the sidebar (Node-RED: 1000);
    ``nodeCloseTimeout``: seconds a node may take to close on deploy (Node-RED: 15);
    ``contextStorage``: Node-RED's context stores setting (runtime.context.ContextManager);
    ``trace``: record msg hops for the editor (runtime.trace); ``watchFlowFile``: reload the
    flows when the flow file changes on disk (runtime.watch); ``safeMode``: load the flows
    without starting them (``--safe``); ``missingTypes``: ``stop`` every flow while a node type
    is missing (Node-RED's behaviour, the default) or ``start-others``: run every tab that does
    not use a missing type; ``adminAuth``: users and permissions for the Admin API
    (runtime.api.auth); ``nodeMessageBufferMaxLength``: the most msgs a sequence or queue node
    (join, sort, batch, delay, switch) holds before it reports an error, 0 = no limit;
    ``httpRequestTimeout``: ms an http request node waits for a response (default 120000);
    ``fileWorkingDirectory``: where the file nodes resolve relative file names (default: the
    working directory of the process); ``allowedHosts``: Host names (``name`` for any port,
    ``name:port``, ``*`` for any) the Admin API, editor and /comms answer to besides loopback
    names; ``allowedOrigins``: origins (``https://name[:port]``, ``*`` for any) whose pages may
    write to the Admin API and open /comms besides FlowRed's own (runtime.api.guard);
    ``cluster``: ``{"url": "nats://HOST:PORT", "name": ..., "workerId": ...}`` to run as one
    worker of a cluster on NATS JetStream (flowred.cluster); None (the default) runs alone.

    Raises ValueError (a pydantic ValidationError) for an ``adminAuth`` without a usable user
    (runtime.api.auth: authentication fails closed) and for malformed hosts or origins.
    """

    model_config = ConfigDict(extra="allow")

    uiHost: str = "127.0.0.1"
    uiPort: int = 1880
    httpAdminRoot: str = "/"
    httpNodeRoot: str = "/"
    flowFile: Path | None = None
    userDir: Path = Field(default_factory=lambda: Path.home() / ".flowred")
    credentialSecret: str | bool | None = None
    debugMaxLength: int = 1000
    nodeCloseTimeout: float = 15.0
    commsQueueLimit: int = 5000
    openaiEmulator: dict[str, Any] | None = None
    contextStorage: dict[str, Any] | None = None
    trace: bool = False
    safeMode: bool = False
    adminAuth: dict[str, Any] | None = None
    missingTypes: Literal["stop", "start-others"] = "stop"
    watchFlowFile: bool = False
    nodeMessageBufferMaxLength: int = Field(0, ge=0)
    httpRequestTimeout: int = Field(120000, gt=0)
    fileWorkingDirectory: str | None = None
    allowedHosts: list[str] | None = None
    allowedOrigins: list[str] | None = None
    cluster: dict[str, Any] | None = None

    @field_validator("adminAuth")
    @classmethod
    def _check_admin_auth(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """An ``adminAuth`` must have at least one user, and every user a username and a bcrypt
        hash: a section that would let nobody in, or let anyone in, is an error."""
        if value is None:
            return None
        users = value.get("users")
        if not isinstance(users, list) or not users:
            raise ValueError("adminAuth needs at least one user in adminAuth.users (username, password as a "
                             "bcrypt hash, permissions); without one FlowRed would be open or let nobody in")
        for i, user in enumerate(users):
            if not isinstance(user, dict) or not isinstance(user.get("username"), str) or not user["username"]:
                raise ValueError(f"adminAuth.users[{i}] needs a username")
            if not isinstance(user.get("password"), str) or not BCRYPT_HASH.match(user["password"]):
                raise ValueError(f"adminAuth.users[{i}] ({user['username']}): password must be a bcrypt hash "
                                 f"($2b$...), made with `node-red admin hash-pw` or python -c \"import bcrypt; "
                                 f"print(bcrypt.hashpw(b'PASSWORD', bcrypt.gensalt()).decode())\"")
            if not _permissions_ok(user.get("permissions", "read")):
                raise ValueError(f"adminAuth.users[{i}] ({user['username']}): permissions must be \"*\", \"read\" "
                                 "or a list of permission names")
        default = value.get("default")
        if default is not None and (not isinstance(default, dict) or not _permissions_ok(default.get("permissions"))):
            raise ValueError('adminAuth.default must be {permissions = "read"} or {permissions = "*"}')
        for key in ("sessionExpiryTime", "loginFailureWindow", "maxLoginFailures"):
            if key in value and (isinstance(value[key], bool) or not isinstance(value[key], (int, float))
                                 or value[key] <= 0):
                raise ValueError(f"adminAuth.{key} must be a positive number")
        return value

    @field_validator("allowedHosts")
    @classmethod
    def _check_hosts(cls, value: list[str] | None) -> list[str] | None:
        """Host names, lowercased: ``name``, ``name:port``, ``[v6]:port`` or ``*``."""
        if value is None:
            return None
        for host in value:
            if host != "*" and not HOST.match(host):
                raise ValueError(f"allowedHosts: {host!r} is not a host name (e.g. \"flows.example.com\", "
                                 f"\"flows.example.com:8443\" or \"*\")")
        return [h.lower() for h in value]

    @field_validator("allowedOrigins")
    @classmethod
    def _check_origins(cls, value: list[str] | None) -> list[str] | None:
        """Origins, lowercased, as browsers send them: ``http(s)://name[:port]`` or ``*``."""
        if value is None:
            return None
        for origin in value:
            if origin == "*":
                continue
            try:
                parts = urlsplit(origin)
                _ = parts.port  # read for its check: raises ValueError on a bad or out-of-range port
            except ValueError:
                parts = None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or \
                    parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
                raise ValueError(f"allowedOrigins: {origin!r} is not an origin (e.g. \"https://flows.example.com\" "
                                 f"or \"*\")")
        return [o.lower().rstrip("/") for o in value]

    def admin_auth_guards_writes(self) -> bool:
        """Whether adminAuth keeps anonymous users from changing anything (it is set and its
        ``default`` permissions are not ``*``): what a non-loopback address needs."""
        if not self.adminAuth:
            return False
        default = (self.adminAuth.get("default") or {}).get("permissions")
        return not (default == "*" or (isinstance(default, list) and "*" in default))

    # Limits on user code (nodes/function.py, nodes/python_function.py, nodes/exec_node.py):
    # ``functionHeapLimit``: MiB of V8 heap each function node's isolate may use, 0 = V8's own
    # limit; ``pythonFunctionMemoryLimit``: MiB of address space of each python-function worker
    # process (RLIMIT_AS), 0 = no limit; ``execMaxBufferSize``: bytes of stdout or stderr an exec
    # node in exec mode keeps before it kills the command (Node-RED's setting, default 10000000).
    functionHeapLimit: int = Field(128, ge=0)
    pythonFunctionMemoryLimit: int = Field(512, ge=0)
    execMaxBufferSize: int = Field(10000000, gt=0)

    def public(self, version: str) -> dict:
        """The ``GET /settings`` body (Node-RED's shape, only the keys FlowRed knows)."""
        out: dict[str, Any] = {
            "httpNodeRoot": self.httpNodeRoot,
            "version": version,
            "context": self._context_info(),
            "flowFilePretty": True,
            "flowEncryptionType": "user" if isinstance(self.credentialSecret, str) else
                                  ("disabled" if self.credentialSecret is False else "system"),
            "debugMaxLength": self.debugMaxLength,
            "runtime": "flowred",
        }
        if self.openaiEmulator:
            out["openaiEmulator"] = self.openaiEmulator
        return out

    def _context_info(self) -> dict:
        """``{default, stores}`` as Node-RED's /settings: store names, aliases resolved."""
        storage = self.contextStorage or {"memory": {"module": "memory"}}
        names = [n for n, spec in storage.items() if not isinstance(spec, str)]
        default = storage.get("default", "default" if "default" in names else names[0] if names else "memory")
        return {"default": default if isinstance(default, str) else "default", "stores": names}

    @staticmethod
    def read_file(path: Path) -> dict[str, Any]:
        """The settings in a TOML settings file (``settings.toml`` in the user directory, or
        ``flowred run -s FILE``): top-level keys are Settings fields, e.g. ``uiPort = 1880``,
        ``credentialSecret = "..."``, ``[adminAuth]``, ``[contextStorage.file]``.

        Raises ValueError naming the file and the problem (TOML syntax, unknown key)."""
        import tomllib

        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: {exc}") from None
        unknown = sorted(set(data) - set(Settings.model_fields))
        if unknown:
            raise ValueError(f"{path}: unknown setting(s): {', '.join(unknown)}")
        try:
            Settings(**data)
        except ValidationError as exc:  # named by key, without the values (adminAuth holds hashes)
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                        for e in exc.errors()]
            raise ValueError(f"{path}: " + "; ".join(problems)) from None
        return data


BCRYPT_HASH = re.compile(r"^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$")
HOST = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$")


def _permissions_ok(perms: Any) -> bool:
    """A permission name (``*``, ``read``, Node-RED's ``flows.read`` ...) or a non-empty list of
    them; only ``*`` allows writes (runtime.api.auth)."""
    if isinstance(perms, list):
        return bool(perms) and all(isinstance(p, str) and p for p in perms)
    return isinstance(perms, str) and bool(perms)
