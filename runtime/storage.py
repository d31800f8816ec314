"""Flow file storage, as Node-RED's storage/localfilesystem.

``load()`` reads the flow file and its credentials file (``<name>_cred.json`` beside it);
``save()`` writes both safely: the old file is copied to ``.<name>.backup``, the new content goes
to a temp file that is fsynced and renamed over the original. The flow file is pretty-printed
(4 spaces, Node-RED's ``flowFilePretty``) with the key order of the nodes as given, so it diffs
well in git. An empty flow file is restored from its backup, as Node-RED does.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

from .credentials import decrypt_credentials, encrypt_credentials
from .loader import parse_flow_text

__all__ = ["FlowStorage"]


class FlowStorage:
    """Reads and writes one flow file, its credentials and the runtime config in ``user_dir``."""

    def __init__(self, flow_file: Path, user_dir: Path, credential_secret: str | bool | None = None):
        self.flow_file = Path(flow_file)
        self.user_dir = Path(user_dir)
        self.cred_file = self.flow_file.with_name(f"{self.flow_file.stem}_cred{self.flow_file.suffix or '.json'}")
        self._secret = credential_secret
        self.last_text: str | None = None  # the flow file text last read or written here

    @property
    def secret(self) -> str | bool:
        """The credential secret: the configured one, or one generated once and kept in
        ``userDir/.config.runtime.json`` as ``_credentialSecret`` (Node-RED's habit)."""
        if self._secret is not None:
            return self._secret
        path = self.user_dir / ".config.runtime.json"
        data = {}
        if path.exists():
            data = json.loads(path.read_text() or "{}")
        if not data.get("_credentialSecret"):
            data["_credentialSecret"] = secrets.token_hex(32)
            data.setdefault("instanceId", secrets.token_hex(8))
            self.user_dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, json.dumps(data, indent=4))
        self._secret = data["_credentialSecret"]
        return self._secret

    def load(self) -> tuple[list[dict], dict]:
        """``(nodes, credentials)``; a missing file gives ``([], {})``. Raises FlowFileError
        (with line and column) for a malformed flow file, CredentialsError for a bad secret."""
        text = ""
        if self.flow_file.exists():
            text = self.flow_file.read_text(encoding="utf-8")
            backup = _backup_path(self.flow_file)
            if not text.strip() and backup.exists():
                text = backup.read_text(encoding="utf-8")
        nodes = parse_flow_text(text, str(self.flow_file))
        self.last_text = text
        creds: dict = {}
        if self.cred_file.exists():
            body = json.loads(self.cred_file.read_text(encoding="utf-8") or "{}")
            creds = decrypt_credentials(body, self.secret if "$" in body else None)
        return nodes, creds

    def save(self, nodes: list[dict], credentials: dict | None = None) -> None:
        """Write the flow file (and the credentials file when ``credentials`` is given)."""
        text = json.dumps(nodes, indent=4, ensure_ascii=False)
        self.last_text = text
        _atomic_write(self.flow_file, text)
        if credentials is not None:
            if credentials or self.cred_file.exists():
                body = encrypt_credentials(credentials, self.secret)
                _atomic_write(self.cred_file, json.dumps(body, indent=4, ensure_ascii=False))


def _backup_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.backup")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        shutil.copyfile(path, _backup_path(path))
    tmp = path.with_name(path.name + ".$$$")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
