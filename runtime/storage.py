"""Flow file storage, as Node-RED's storage/localfilesystem, made so that nothing is lost.

``load()`` reads the flow file and its credentials file (``<name>_cred.json`` beside it);
``save()`` writes them. The flow file is pretty-printed (4 spaces, Node-RED's
``flowFilePretty``) with the key order of the nodes as given, so it diffs well in git. An empty
flow file is restored from its backup, as Node-RED does.

Every write goes to a temp file in the same folder (``<name>.$$$``), is fsynced and renamed over
the original with ``os.replace`` (then the folder is fsynced), so a crash leaves the old file or
the new one, never a torn one. Before a file is replaced, its old content becomes
``.<name>.backup`` (Node-RED's backups) by a rename too — of a hard link to the old file, or of a
synced copy — and only when it is valid, non-empty JSON, so a backup is never 0 bytes, torn or
a copy of a broken file.

Write order of a deploy, so that a crash (``kill -9``, power loss) between any two steps
leaves every node of the flow file on disk with its credentials:

1. the credentials file with the credentials of the old *and* the new node ids (the new value
   wins for an id in both), unless the file already holds them;
2. the flow file;
3. the credentials file with only the new node ids, when that differs from step 1.

A crash before 2 leaves the old flows with a superset of their credentials, after 2 the new
flows with a superset of theirs; the extra entries go at the next deploy.

A credentials file that cannot be read (corrupt JSON, or a ``credentialSecret`` that does not
decrypt it) is not fatal: the flows load without those credentials, its valid backup
``.<name>_cred.json.backup`` is tried first, ``credentials_problem`` says what happened, and
the next write keeps the unreadable file aside as ``<name>_cred.json.unreadable-<time>``
instead of overwriting it (``on_notice`` is told). Node-RED instead overwrites it with an empty
set at the next deploy. A flow file that does not parse is kept aside the same way
(``<name>.unreadable-<time>``) by the next save, unless it was fixed in the meantime.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any, Callable

from .credentials import CredentialsError, decrypt_credentials, encrypt_credentials
from .loader import FlowFileError, parse_flow_text
from .log import logger

__all__ = ["FlowStorage", "read_flow_text"]


class FlowStorage:
    """Reads and writes one flow file, its credentials and the runtime config in ``user_dir``.

    After ``load()``, ``credentials_problem`` is None or the text saying why the credentials
    file could not be read (and whether its backup was used). ``on_notice`` (optional) is
    called with ``{"type": "warning", "error": ..., "text": ...}`` when a save sets an
    unreadable credentials or flow file aside (and logs it itself when ``on_notice`` is None).
    """

    def __init__(self, flow_file: Path, user_dir: Path, credential_secret: str | bool | None = None):
        self.flow_file = Path(flow_file)
        self.user_dir = Path(user_dir)
        self.cred_file = self.flow_file.with_name(f"{self.flow_file.stem}_cred{self.flow_file.suffix or '.json'}")
        self._secret = credential_secret
        self.last_text: str | None = None  # the flow file text last read or written here
        self.credentials_problem: str | None = None
        self.on_notice: Callable[[dict[str, Any]], None] | None = None
        self._disk_creds: dict | None = None  # what the credentials file holds (None: not read yet)
        self._unreadable = False  # the credentials file on disk must be set aside, not overwritten
        self._flows_unreadable = False  # the same for a flow file that did not parse

    @property
    def secret(self) -> str | bool:
        """The credential secret: the configured one, or one generated once and kept in
        ``userDir/.config.runtime.json`` as ``_credentialSecret`` (Node-RED's habit)."""
        if self._secret is not None:
            return self._secret
        path = self.user_dir / ".config.runtime.json"
        data = _read_config(path)
        if not data.get("_credentialSecret"):
            data["_credentialSecret"] = secrets.token_hex(32)
            data.setdefault("instanceId", secrets.token_hex(8))
            self.user_dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, json.dumps(data, indent=4))
        self._secret = data["_credentialSecret"]
        return self._secret

    def load(self) -> tuple[list[dict], dict]:
        """``(nodes, credentials)``; a missing file gives ``([], {})``. Raises FlowFileError
        (with line and column, or the byte offset of invalid UTF-8) for a malformed flow file.
        An unreadable credentials file gives the credentials of its backup, or ``{}``, and sets
        ``credentials_problem``."""
        text = ""
        self._flows_unreadable = False
        try:
            if self.flow_file.exists():
                text = read_flow_text(self.flow_file)
                backup = _backup_path(self.flow_file)
                if not text.strip() and backup.exists():
                    text = read_flow_text(backup)
            nodes = parse_flow_text(text, str(self.flow_file))
        except FlowFileError:
            self._flows_unreadable = True
            raise
        self.last_text = text
        return nodes, self._load_credentials()

    def save(self, nodes: list[dict], credentials: dict | None = None) -> None:
        """Write the flow file (and the credentials file when ``credentials`` is given), in the
        crash-safe order of the module docstring."""
        text = json.dumps(nodes, indent=4, ensure_ascii=False)
        if self._flows_unreadable:
            self._flows_unreadable = False
            if not _parses(self.flow_file, lambda p: parse_flow_text(read_flow_text(p))):
                self._set_aside(self.flow_file, "flows_set_aside", "flow file", "fix it and copy it back")
        if credentials is None:
            self.last_text = text
            _atomic_write(self.flow_file, text)
            return
        if self._disk_creds is None:
            self._load_credentials()
        if self._unreadable:
            self._unreadable = False
            if not _parses(self.cred_file, self._read_credentials):
                self._set_aside(self.cred_file, "credentials_set_aside", "credentials file",
                                f"rename it back to {self.cred_file.name} and set the credentialSecret it was "
                                "written with")
                self._disk_creds = {}
            else:  # fixed by hand since the load
                self._load_credentials()
        disk = self._disk_creds or {}
        union = {**disk, **credentials}
        if union != disk:
            self._write_credentials(union)
        self.last_text = text
        _atomic_write(self.flow_file, text)
        if union != credentials:
            self._write_credentials(credentials)

    def notice_for(self, nodes: list[dict], creds: dict) -> dict[str, Any] | None:
        """After ``load()``: None when the credentials were read, else the notification
        ``{"type": "warning", "error": "credentials_load_failed", "text", "nodes"}`` where
        ``nodes`` are the ids of nodes whose type has credential fields but that got none."""
        if self.credentials_problem is None:
            return None
        from .registry import get_type

        missing = []
        for node in nodes:
            t = get_type(node.get("type", ""))
            if t is not None and t.credentials and not creds.get(node["id"]):
                missing.append(node["id"])
        name = self.cred_file.name
        text = f"The credentials file {self.credentials_problem}. "
        text += (f"These nodes run without their credentials: {', '.join(missing)}. " if missing
                 else "The flows run with the credentials that could be read. ")
        text += (f"To fix it: if credentialSecret was changed, set it back to the secret {name} was "
                 f"written with and restart; or stop FlowRed and restore {name} from a good copy "
                 f"(e.g. .{name}.backup). The next deploy keeps the unreadable file as "
                 f"{name}.unreadable-<time> and writes a new {name}.")
        return {"type": "warning", "error": "credentials_load_failed", "text": text, "nodes": missing}

    # -- credentials file ------------------------------------------------------------------
    def _read_credentials(self, path: Path) -> dict:
        body = json.loads(path.read_text("utf-8") or "{}")
        if not isinstance(body, dict):
            raise CredentialsError("it does not hold a JSON object")
        return decrypt_credentials(body, self.secret if "$" in body else None)

    def _load_credentials(self) -> dict:
        self.credentials_problem, self._unreadable, self._disk_creds = None, False, {}
        if not self.cred_file.exists():
            return {}
        try:
            self._disk_creds = self._read_credentials(self.cred_file)
            return self._disk_creds
        except (CredentialsError, OSError, ValueError) as exc:
            problem = f"{self.cred_file.name} cannot be read: {_reason(exc)}"
        self._unreadable = True
        backup = _backup_path(self.cred_file)
        if backup.exists():
            try:
                self._disk_creds = self._read_credentials(backup)
                self.credentials_problem = problem + f"; its backup {backup.name} was loaded instead (it may be older)"
                return self._disk_creds
            except (CredentialsError, OSError, ValueError) as exc:
                problem += f"; its backup {backup.name} cannot be read either: {_reason(exc)}"
        self.credentials_problem = problem
        return {}

    def _write_credentials(self, creds: dict) -> None:
        if creds or self.cred_file.exists():
            body = encrypt_credentials(creds, self.secret)
            _atomic_write(self.cred_file, json.dumps(body, indent=4, ensure_ascii=False))
        self._disk_creds = dict(creds)

    def _set_aside(self, path: Path, error: str, what: str, how: str) -> None:
        """Rename the unreadable ``path`` to ``<name>.unreadable-<time>`` and say so."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.unreadable-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.unreadable-{stamp}-{n}")
        os.replace(path, target)
        _fsync_dir(target.parent)
        text = (f"The unreadable {what} was kept as {target} and a new {path.name} is written with what "
                f"FlowRed has. To use the old one again: stop FlowRed, {how}.")
        if self.on_notice is None:
            logger.warning(text)
        else:
            self.on_notice({"type": "warning", "error": error, "text": text, "file": str(target)})


def _read_config(path: Path) -> dict:
    """``.config.runtime.json`` as a dict, from its backup when it is empty or broken; ``{}``
    when neither exists. Raises CredentialsError rather than let a broken file holding the
    generated secret be replaced by a new secret."""
    backup = _backup_path(path)
    for candidate in (path, backup):
        try:
            data = json.loads(candidate.read_text() or "null")
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return data
    if path.exists() and path.read_text().strip():
        raise CredentialsError(f"{path} holds the generated credentialSecret but cannot be read; fix it, "
                               f"restore it from {backup.name}, or set credentialSecret")
    return {}


def _parses(path: Path, read: Callable[[Path], Any]) -> bool:
    """Whether ``path`` is missing or reads now (it may have been fixed by hand since)."""
    try:
        read(path)
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    return True


def read_flow_text(path: Path) -> str:
    """The text of a flow file; FlowFileError naming the byte offset of invalid UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FlowFileError(f"not valid UTF-8 at byte {exc.start} ({exc.reason})", str(path)) from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    return str(exc) or type(exc).__name__


def _backup_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.backup")


def _atomic_write(path: Path, text: str | bytes) -> None:
    """Back up ``path`` (when valid JSON), then replace it with ``text`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = b""
    if old.strip():
        try:
            json.loads(old)
        except ValueError:
            pass  # a broken file is never copied over a good backup
        else:
            _backup(path, old)
    _replace(path, text.encode("utf-8") if isinstance(text, str) else text)
    _fsync_dir(path.parent)


def _backup(path: Path, old: bytes) -> None:
    """Make ``.<name>.backup`` the current ``path`` in one rename: a hard link to the file (its
    content was synced when it was written, and FlowRed never writes a file in place), or a
    synced copy where the file system has no hard links."""
    backup = _backup_path(path)
    tmp = backup.with_name(backup.name + ".$$$")
    try:
        tmp.unlink(missing_ok=True)
        os.link(path, tmp)
    except OSError:
        _replace(backup, old)
        return
    os.replace(tmp, backup)


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".$$$")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
