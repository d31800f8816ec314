"""File fields of a request (``file``, ``image``, ``files``...) as the SDK uploads them.

The package only takes a filesystem path (``fs.createReadStream(payload.file)``), so a path
that names no file fails with Node's text, ``ENOENT: no such file or directory, open
'<path>'``, and so it does here. A file may also be bytes, base64 text (or a ``data:`` URL), or
``{filename, data | path, contentType}`` to name the upload (OpenAI tells audio formats apart
by the file name's extension). A string that is no existing file is read as base64 only when
it cannot be taken for a path: a string starting with ``/``, ``./``, ``../`` or ``~`` and
shorter than 256 characters is a path even when its characters happen to be base64 (as
``/path/to/my/file``), so a mistyped path is the package's error, not a garbage upload; longer
base64 may start with ``/`` (a JPEG's is ``/9j/...``). A list is a list of files. A dict
without ``data``/``path`` (``{"id": ...}``, ``{"file_id": ...}``, ``{"image_url": ...}``) is a
reference, not an upload, and is passed on unchanged.
"""
from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from flowred import NodeError

PATH_PREFIXES = ("/", "./", "../", "~")
PATH_LENGTH = 256  # shorter strings with a path prefix are paths, never base64


def to_upload(method: str, field: str, value: Any) -> Any:
    """``value`` as an SDK ``FileTypes`` (or a list of them). Raises NodeError (code
    ``invalid_file``, ``param`` the field) with Node's ``ENOENT: no such file or directory,
    open '<path>'`` when a string is neither an existing file nor base64, or a ``path`` names
    no file."""
    if isinstance(value, list):
        return [to_upload(method, f"{field}[{i}]", v) for i, v in enumerate(value)]
    if isinstance(value, dict) and ("data" in value or "path" in value):
        content = _content(method, field, value["data"] if "data" in value else Path(str(value["path"])))
        data = content.read_bytes() if isinstance(content, Path) else content
        name = str(value.get("filename") or (content.name if isinstance(content, Path) else "upload"))
        kind = value.get("contentType")
        return (name, data, str(kind)) if kind else (name, data)
    if isinstance(value, (str, bytes, bytearray, Path)):
        return _content(method, field, value)
    return value


def _content(method: str, field: str, value: Any) -> bytes | Path:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, Path):
        return _existing(method, field, value)
    text = str(value)
    if text.startswith("data:") and "," in text:
        return _base64(method, field, text.split(",", 1)[1])
    path = Path(text).expanduser()
    if len(text) < 4096 and path.is_file():
        return path
    if text.startswith(PATH_PREFIXES) and len(text) < PATH_LENGTH:
        raise _missing(field, text)
    try:
        return _base64(method, field, text)
    except NodeError:
        raise _missing(field, text) from None


def _existing(method: str, field: str, path: Path) -> Path:
    if not path.is_file():
        raise _missing(field, str(path))
    return path


def _missing(field: str, path: str) -> NodeError:
    """Node's fs error for a path that names no file, as the package reports it."""
    return NodeError(f"ENOENT: no such file or directory, open '{path}'", type="invalid_request",
                     code="invalid_file", param=field)


def _base64(method: str, field: str, text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise NodeError(f"{method}: '{field}' is not base64 data", type="invalid_request", code="invalid_file",
                        param=field) from None
