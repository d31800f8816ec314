"""Runtime settings: the subset of Node-RED's settings.js that FlowRed uses, as a pydantic model.

Names are Node-RED's (``uiHost``, ``uiPort``, ``httpAdminRoot``, ``debugMaxLength`` ...) so that a
user's habits carry over. Defaults differ on purpose in one place: ``uiHost`` is ``127.0.0.1``
(Node-RED listens on every interface by default).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    working directory of the process).
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
        return data
