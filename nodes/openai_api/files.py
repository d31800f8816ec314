"""File fields of a request (``file``, ``image``, ``files``...) as the SDK uploads them.

The package only takes a filesystem path (``fs.createReadStream(payload.file)``); here a file
may also be bytes, base64 text (or a ``data:`` URL), or ``{filename, data | path, contentType}``
to name the upload (OpenAI tells audio formats apart by the file name's extension). A list is
a list of files. A dict without ``data``/``path`` (``{"id": ...}``, ``{"file_id": ...}``,
``{"image_url": ...}``) is a reference, not an upload, and is passed on unchanged.
"""
from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from flowred import NodeError


def to_upload(method: str, field: str, value: Any) -> Any:
    """``value`` as an SDK ``FileTypes`` (or a list of them). Raises NodeError naming the
    field when a string is neither an existing file nor base64."""
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
    return _base64(method, field, text)


def _existing(method: str, field: str, path: Path) -> Path:
    if not path.is_file():
        raise NodeError(f"{method}: '{field}' names no readable file: {path}", type="invalid_request",
                        code="invalid_file", param=field)
    return path


def _base64(method: str, field: str, text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise NodeError(f"{method}: '{field}' is neither an existing file path nor base64 data",
                        type="invalid_request", code="invalid_file", param=field) from None
