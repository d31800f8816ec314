"""The ``file`` and ``file in`` nodes: write msg.payload to a file (append, overwrite or delete)
and read a file into msgs (one string, one buffer, one msg per line, or 64 KB chunks).

As Node-RED's file nodes (nodes/core/storage/10-file.js, 10-file.html).
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import codecs
import errno as _errno
import os
import re
from typing import Any, Callable, Literal

from pydantic import field_validator, model_validator

from flowred import (
    UNDEFINED,
    Node,
    NodeConfig,
    NodeError,
    clone_message,
    compile_jsonata,
    evaluate_value,
    generate_id,
    register,
)
from flowred.fields import Text, TruthyFlag
from flowred.jscompat import js_to_string
from flowred.nodes.common import to_json

__all__ = ["FileConfig", "FileNode", "FileInConfig", "FileInNode", "ENCODINGS", "encode", "decode"]

CHUNK = 65536
"""Bytes per chunk read (Node.js's highWaterMark of a file read stream)."""

ENCODINGS = (
    "utf8", "ucs2", "utf-16le", "ascii", "binary", "base64", "hex",
    "utf-16be",
    "Shift_JIS", "Windows-31j", "Windows932", "EUC-JP",
    "GB2312", "GBK", "GB18030", "Windows936", "EUC-CN",
    "KS_C_5601", "Windows949", "EUC-KR",
    "Big5", "Big5-HKSCS", "Windows950",
    "cp874", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    *(f"ISO-8859-{i}" for i in range(1, 17)),
    "cp437", "cp737", "cp775", "cp808", "cp850", "cp852", "cp855", "cp856", "cp857", "cp858", "cp860",
    "cp861", "cp866", "cp869", "cp922", "cp1046", "cp1124", "cp1125", "cp1129", "cp1133", "cp1161",
    "cp1162", "cp1163",
    "maccroatian", "maccyrillic", "macgreek", "maciceland", "macroman", "macromania", "macthai",
    "macturkish", "macukraine", "maccenteuro", "macintosh",
    "koi8-r", "koi8-u", "koi8-ru", "koi8-t",
    "armscii8", "rk1048", "tcvn", "georgianacademy", "georgianps", "pt154", "viscii", "iso646cn",
    "iso646jp", "hproman8", "tis620",
)
"""The encodings Node-RED's editor offers (besides ``none`` and, for writing, ``setbymsg``)."""

# iconv-lite names (normalised: lower case, letters and digits only) -> Python codecs
_ALIASES = {
    "utf8": "utf-8", "unicode11utf8": "utf-8",
    "ucs2": "utf-16-le", "utf16le": "utf-16-le", "utf16be": "utf-16-be", "utf16": "utf-16",
    "shiftjis": "shift_jis", "sjis": "shift_jis", "windows31j": "cp932", "windows932": "cp932",
    "cp932": "cp932", "eucjp": "euc_jp",
    "gb2312": "gbk", "gbk": "gbk", "gb18030": "gb18030", "windows936": "gbk", "cp936": "gbk",
    "euccn": "gbk",
    "ksc5601": "cp949", "windows949": "cp949", "cp949": "cp949", "euckr": "cp949",
    "big5": "big5hkscs", "big5hkscs": "big5hkscs", "windows950": "cp950", "cp950": "cp950",
    "maccroatian": "mac_croatian", "maccyrillic": "mac_cyrillic", "macgreek": "mac_greek",
    "maciceland": "mac_iceland", "macroman": "mac_roman", "macromania": "mac_romanian",
    "macturkish": "mac_turkish", "maccenteuro": "mac_latin2", "macintosh": "mac_roman",
    "koi8r": "koi8_r", "koi8u": "koi8_u", "koi8t": "koi8_t",
    "rk1048": "kz1048", "pt154": "ptcp154", "hproman8": "hp_roman8", "tis620": "tis_620",
}
_SPECIAL = {"binary": "binary", "latin1": "binary", "iso88591": "binary", "ascii": "ascii",
            "base64": "base64", "hex": "hex"}
_codec_cache: dict[str, str] = {}


def _normalise(name: str) -> str:
    return re.sub(r":\d{4}$|[^0-9a-z]", "", name.lower())


def _codec(name: str) -> str:
    """The codec behind an iconv-lite encoding name: ``binary``, ``ascii``, ``base64`` and
    ``hex`` (Node.js's own), or a Python codec name. Raises ValueError with iconv-lite's text
    for a name neither knows."""
    found = _codec_cache.get(name)
    if found is not None:
        return found
    key = _normalise(name)
    found = _SPECIAL.get(key) or _ALIASES.get(key)
    if found is None:
        m = re.fullmatch(r"iso8859(\d+)", key)
        candidates = [f"iso8859_{m.group(1)}"] if m else []
        candidates += [name, key]
        for cand in candidates:
            try:
                codecs.lookup(cand)
            except LookupError:
                continue
            found = cand
            break
    if found is None:
        raise ValueError(f"Encoding not recognized: '{name}' (searched as: '{key}')")
    _codec_cache[name] = found
    return found


def _base64_bytes(text: str) -> bytes:
    """Node.js's lenient base64 decoding: url-safe letters accepted, other characters skipped,
    stops at the first ``=``, padding optional."""
    text = text.split("=", 1)[0].replace("-", "+").replace("_", "/")
    text = re.sub(r"[^A-Za-z0-9+/]", "", text)
    if len(text) % 4 == 1:
        text = text[:-1]
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _hex_bytes(text: str) -> bytes:
    """Node.js's hex decoding: byte pairs up to the first pair that is not hex."""
    m = re.match(r"(?:[0-9A-Fa-f]{2})*", text)
    return binascii.unhexlify(m.group(0))


def encode(data: str | bytes, enc: str) -> bytes:
    """Text to bytes as Node-RED's file node does: ``none`` is UTF-8 (bytes pass as they are);
    other encodings as iconv-lite: bytes are first read as UTF-8 text; ``base64``/``hex``
    decode the text; ``binary``/``latin1``/``ascii`` keep each character's low byte;
    characters a codec cannot write become ``?``. Raises ValueError for an unknown encoding."""
    if enc == "none":
        return bytes(data) if isinstance(data, (bytes, bytearray)) else data.encode("utf-8", "replace")
    codec = _codec(enc)
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", "replace")
    if codec in ("binary", "ascii"):
        return bytes(ord(c) & 0xFF for c in data)
    if codec == "base64":
        return _base64_bytes(data)
    if codec == "hex":
        return _hex_bytes(data)
    return data.encode(codec, "replace")


def decode(data: bytes, enc: str) -> str:
    """Bytes to text as Node-RED's file in node does: ``none`` is UTF-8 (a BOM is kept);
    other encodings as iconv-lite (a leading BOM is dropped; ``base64``/``hex`` give the
    bytes' base64/hex text). Invalid bytes become U+FFFD."""
    if enc == "none":
        return data.decode("utf-8", "replace")
    codec = _codec(enc)
    if codec == "binary":
        return data.decode("latin-1")
    if codec == "ascii":
        return bytes(b & 0x7F for b in data).decode("ascii")
    if codec == "base64":
        return base64.b64encode(data).decode("ascii")
    if codec == "hex":
        return data.hex()
    text = data.decode(codec, "replace")
    return text[1:] if text.startswith("\ufeff") else text


def _check_encoding(v: str, extra: tuple[str, ...]) -> str:
    if v in extra:
        return v
    try:
        _codec(v)
    except ValueError:
        raise ValueError(f"encoding {v!r} is not supported (no Python codec for it)") from None
    return v


# -- file names and errors -----------------------------------------------------------------

_ENV_ONLY = re.compile(r"^\$\{([^}]+)\}$")


def _upgrade_filename(data: Any) -> Any:
    """Node-RED's in-place upgrade of nodes saved before ``filenameType`` existed: an empty
    filename meant ``msg.filename``, ``${VAR}`` an environment variable, anything else a path."""
    if isinstance(data, dict) and not data.get("filenameType"):
        data = dict(data)
        filename = data.get("filename") or ""
        if filename == "":
            data["filename"], data["filenameType"] = "filename", "msg"
        elif (m := _ENV_ONLY.match(filename)) is not None:
            data["filename"], data["filenameType"] = m.group(1), "env"
        else:
            data["filenameType"] = "str"
    return data


_UV_TEXT = {
    "ENOENT": "no such file or directory", "EACCES": "permission denied",
    "EISDIR": "illegal operation on a directory", "ENOTDIR": "not a directory",
    "EEXIST": "file already exists", "EPERM": "operation not permitted",
    "ENOTEMPTY": "directory not empty", "EROFS": "read-only file system",
    "ENOSPC": "no space left on device", "ENAMETOOLONG": "name too long",
    "ELOOP": "too many symbolic links encountered", "EBUSY": "resource busy or locked",
}


class FsError(Exception):
    """An OSError as Node.js's fs reports it: ``ENOENT: no such file or directory, open
    '/x'``; ``str()`` is the message, ``text`` is ``Error: <message>`` (JavaScript's
    ``err.toString()``), ``info()`` the error object's properties."""

    def __init__(self, exc: OSError, syscall: str, path: str | None) -> None:
        self.code = _errno.errorcode.get(exc.errno or 0, "EIO")
        self.errno = -(exc.errno or 0)
        self.syscall = syscall
        self.path = path
        desc = _UV_TEXT.get(self.code) or (exc.strerror or str(exc)).lower()
        message = f"{self.code}: {desc}, {syscall}" + (f" '{path}'" if path is not None else "")
        super().__init__(message)

    @property
    def text(self) -> str:
        return f"Error: {self}"

    def info(self) -> dict:
        out = {"name": "Error", "message": str(self), "errno": self.errno, "code": self.code,
               "syscall": self.syscall}
        if self.path is not None:
            out["path"] = self.path
        return out


def _fs(fn: Callable[[], Any], syscall: str, path: str) -> Any:
    try:
        return fn()
    except IsADirectoryError as exc:
        if syscall == "open":        # Node.js opens a directory and fails on reading it
            raise FsError(exc, "read", None) from None
        raise FsError(exc, syscall, path) from None
    except OSError as exc:
        raise FsError(exc, syscall, path) from None


class _FileBase(Node):
    """What both file nodes share: the file name from its typed input, resolved as Node-RED."""

    def __init__(self, config: Any, flow) -> None:
        super().__init__(config, flow)
        self._filename = config.filename
        self._ftype = config.filenameType
        if self._ftype == "jsonata":
            compile_jsonata(self._filename)
        self._workdir = self.setting("fileWorkingDirectory") or None
        self._status_shown = False

    def _name(self, msg: dict) -> str:
        value = evaluate_value(self._filename, self._ftype, self, msg)
        if value is UNDEFINED or value is None or value == "" or value is False or value == 0:
            return ""
        return value if isinstance(value, str) else js_to_string(value)

    def _full(self, filename: str) -> str:
        """Relative names resolve against the ``fileWorkingDirectory`` setting when there is
        one, else (as Node-RED) against the process's working directory."""
        if self._workdir and not os.path.isabs(filename):
            return os.path.normpath(os.path.join(os.path.abspath(str(self._workdir)), filename))
        return filename

    def _show(self, filename: str) -> None:
        if not self._filename:
            self._status_shown = True
            self.status({"fill": "grey", "shape": "dot", "text": filename})

    async def close(self, removed: bool) -> None:
        if self._status_shown:
            self.status({})


# -- file (write) --------------------------------------------------------------------------

class _FileNameConfig(NodeConfig):
    """What both file nodes share: ``filename`` read as ``filenameType``, and the flags."""

    filename: Text = ""
    filenameType: Literal["str", "msg", "flow", "global", "env", "jsonata"] = "str"


class FileConfig(_FileNameConfig):
    """File (write) node settings (Node-RED's defaults).

    ``filename`` as ``filenameType``: ``str`` (a path), ``msg``, ``flow``, ``global``, ``env``
    or ``jsonata``; a node without ``filenameType`` is upgraded as Node-RED does (empty
    filename: ``msg.filename``). ``overwriteFile``: ``"false"`` append, ``"true"`` overwrite,
    ``"delete"`` delete the file. ``appendNewline``: add ``\\n`` after each text payload.
    ``createDir``: create missing parent directories. ``encoding``: ``none`` (UTF-8),
    ``setbymsg`` (``msg.encoding``) or one of the editor's encodings.
    """

    appendNewline: TruthyFlag = True
    createDir: TruthyFlag = False
    overwriteFile: str = "false"
    encoding: str = "none"

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        return _upgrade_filename(data)

    @field_validator("overwriteFile", mode="before")
    @classmethod
    def _overwrite(cls, v: Any) -> str:
        v = ("true" if v else "false") if isinstance(v, bool) else ("false" if v in (None, "") else str(v))
        if v not in ("true", "false", "delete"):
            raise ValueError(f'overwriteFile must be "true", "false" or "delete", not {v!r}')
        return v

    @field_validator("encoding", mode="before")
    @classmethod
    def _encoding(cls, v: Any) -> str:
        return _check_encoding(v or "none", ("none", "setbymsg"))


@register("file", category="storage", color="BurlyWood", inputs=1, outputs=1, icon="file-out.svg",
          label="write file")
class FileNode(_FileBase):
    """Writes ``msg.payload`` to a file, appending it or overwriting the file, or deletes the
    file; then sends the msg on (with ``msg.filename`` set to the file name used). As
    Node-RED's file node (10-file.js).

    * The file name comes from the node (a path, ``msg``/``flow``/``global`` property, env
      variable or JSONata expression; by default ``msg.filename``). A relative name resolves
      against the ``fileWorkingDirectory`` setting if set, else the process's working
      directory.
    * Payload: a string is written as text; bytes as they are; an object, array or null as
      JSON; numbers and booleans as their text. *Add newline* appends ``\\n`` to text (not to
      bytes). A msg without ``msg.payload`` is dropped (nothing written, nothing sent).
    * Encoding: ``default`` writes UTF-8; ``base64``/``hex`` decode the payload text into
      bytes; ``setbymsg`` takes ``msg.encoding``; other encodings as iconv-lite.
    * *Create directory* makes missing parent directories.
    * msgs are written one after the other, in arrival order.

    Errors (the msg is not sent): ``failed to write to file: Error: ENOENT: no such file or
    directory, open '<path>'``, ``failed to append to file: ...``, ``failed to delete file:
    ...``, ``failed to create file: ...`` (directory). No file name: the warning ``No
    filename specified``.
    """

    Config = FileConfig

    def __init__(self, config: FileConfig, flow) -> None:
        super().__init__(config, flow)
        self._mode = config.overwriteFile
        self._newline = config.appendNewline
        self._create = config.createDir
        self._encoding = config.encoding
        self._lock = asyncio.Lock()

    async def on_input(self, msg: dict) -> None:
        async with self._lock:
            await self._process(msg)

    async def _process(self, msg: dict) -> None:
        filename = self._name(msg)
        msg["filename"] = filename
        full = self._full(filename)
        self._show(filename)
        if filename == "":
            self.warn("No filename specified")
            return
        if self._mode == "delete":
            try:
                await asyncio.to_thread(_fs, lambda: os.unlink(full), "unlink", full)
            except FsError as err:
                raise NodeError(f"failed to delete file: {err.text}") from None
            self.send(msg)
            return
        if msg.get("payload", UNDEFINED) is UNDEFINED:
            return
        if self._create:
            try:
                await asyncio.to_thread(_makedirs, os.path.dirname(full))
            except FsError as err:
                raise NodeError(f"failed to create file: {err.text}") from None
        data = _payload_data(msg["payload"])
        if self._newline and isinstance(data, str):
            data += os.linesep
        enc = (msg.get("encoding") or "none") if self._encoding == "setbymsg" else self._encoding
        try:
            buf = encode(data, enc if isinstance(enc, str) else js_to_string(enc))
        except ValueError as exc:
            raise NodeError(str(exc)) from None
        overwrite = self._mode == "true"
        try:
            await asyncio.to_thread(_write, full, buf, "wb" if overwrite else "ab")
        except FsError as err:
            what = "write to" if overwrite else "append to"
            raise NodeError(f"failed to {what} file: {err.text}") from None
        self.send(msg)


def _payload_data(payload: Any) -> str | bytes:
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload
    if payload is None or isinstance(payload, (dict, list, tuple)):
        try:
            return to_json(payload)
        except (TypeError, ValueError) as exc:
            raise NodeError(f"failed to write to file: {exc}") from None
    return js_to_string(payload)


def _makedirs(path: str) -> None:
    if path:
        _fs(lambda: os.makedirs(path, exist_ok=True), "mkdir", path)


def _write(path: str, data: bytes, mode: str) -> None:
    def run() -> None:
        with open(path, mode) as f:
            f.write(data)
    _fs(run, "open", path)


# -- file in (read) ------------------------------------------------------------------------

class FileInConfig(_FileNameConfig):
    """File in (read) node settings (Node-RED's defaults).

    ``filename``/``filenameType`` as the file node's. ``format``: ``utf8`` one string,
    ``lines`` one msg per line, ``""`` one buffer, ``stream`` a msg per 64 KB chunk.
    ``chunk``: kept for old flows (``format`` decides). ``sendError``: also send a msg with
    ``msg.error`` when reading fails (a node saved without the field does, as in Node-RED).
    ``encoding``: how text is decoded (``none``: UTF-8). ``allProps``: each line/chunk msg
    carries every property of the input msg (else only ``topic`` and ``filename``).
    """

    format: str = "utf8"
    chunk: TruthyFlag = False
    sendError: TruthyFlag = False
    encoding: str = "none"
    allProps: TruthyFlag = False

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        data = _upgrade_filename(data)
        if isinstance(data, dict) and "sendError" not in data:
            data = {**data, "sendError": True}
        return data

    @field_validator("format", mode="before")
    @classmethod
    def _format_text(cls, v: Any) -> Any:
        return "" if v is None else v

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v not in ("utf8", "lines", "", "stream"):
            raise ValueError(f'format must be "utf8", "lines", "" or "stream", not {v!r}')
        return v

    @field_validator("encoding", mode="before")
    @classmethod
    def _encoding(cls, v: Any) -> str:
        return _check_encoding(v or "none", ("none",))


@register("file in", category="storage", color="BurlyWood", inputs=1, outputs=1, icon="file-in.svg",
          label="read file")
class FileInNode(_FileBase):
    """Reads a file and sends its content. As Node-RED's file in node (10-file.js).

    The file name as the file node's (default ``msg.filename``; tabs and newlines in it are
    removed); ``msg.filename`` is set to it. Output (``format``):

    * ``utf8``: ``msg.payload`` is the whole file as text (decoded by *encoding*).
    * ``""`` (a single Buffer): ``msg.payload`` is the file's bytes.
    * ``lines``: one msg per ``\\n``-separated line, ``msg.parts = {id (input _msgid), type
      "string", ch "\\n", index}``; the text after the last ``\\n`` (empty if the file ends with
      one) is the last msg, with ``parts.count``. A join node rebuilds the text.
    * ``stream``: one msg per 64 KB chunk of bytes, ``msg.parts = {id, type "buffer", ch "",
      index}``, the last with ``count``; when the file size is a multiple of 64 KB an extra msg
      with only ``msg.parts`` ends the sequence; an empty file sends nothing.

    With lines and stream, each msg has new ``_msgid`` and only ``topic`` and ``filename`` of
    the input, unless *allProps* copies every property.

    Errors: a missing file ``Error: ENOENT: no such file or directory, open '<path>'`` (a
    directory: ``Error: EISDIR: illegal operation on a directory, read``); with *sendError*
    (legacy mode) the msg is also sent, without ``payload`` and with ``msg.error`` = ``{name,
    message, code, errno, syscall, path}``. No file name: the warning ``No filename specified``.
    """

    Config = FileInConfig

    def __init__(self, config: FileInConfig, flow) -> None:
        super().__init__(config, flow)
        self._format = config.format
        self._encoding = config.encoding
        self._all = config.allProps
        self._send_error = config.sendError is not False

    async def on_input(self, msg: dict) -> None:
        filename = self._name(msg)
        filename = re.sub(r"[\t\r\n]", "", filename)
        full = self._full(filename)
        self._show(filename)
        if filename == "":
            self.warn("No filename specified")
            return
        msg["filename"] = filename
        try:
            if self._format in ("utf8", ""):
                data = await asyncio.to_thread(_fs, lambda: _read_all(full), "open", full)
                msg["payload"] = decode(data, self._encoding) if self._format == "utf8" else data
                self.send(msg)
            else:
                await self._read_chunks(msg, full)
        except FsError as err:
            self.error(NodeError(err.text), msg)
            if self._send_error:
                out = clone_message(msg)
                out.pop("payload", None)
                out["error"] = err.info()
                self.send(out)

    def _part_msg(self, msg: dict, payload: Any, parts: dict) -> dict:
        if self._all:
            m = clone_message(msg)
        else:
            m = {"_msgid": generate_id()}
            if "topic" in msg:
                m["topic"] = msg["topic"]
            m["filename"] = msg["filename"]
        m["payload"] = payload
        m["parts"] = parts
        return m

    async def _read_chunks(self, msg: dict, full: str) -> None:
        lines = self._format == "lines"
        ch, kind = ("\n", "string") if lines else ("", "buffer")
        pid = msg.get("_msgid")
        f = await asyncio.to_thread(_fs, lambda: open(full, "rb"), "open", full)
        try:
            count = 0
            spare = ""
            pending = False       # the last chunk sent was a full one: the end is still to come
            text_of = _chunk_decoder(self._encoding)
            while True:
                chunk = await asyncio.to_thread(_fs, lambda: f.read(CHUNK), "read", full)
                if not chunk:
                    break
                outs = []
                if lines:
                    bits = (spare + text_of(chunk)).split("\n")
                    for bit in bits[:-1]:
                        outs.append(self._part_msg(msg, bit, {"index": count, "ch": ch, "type": kind, "id": pid}))
                        count += 1
                    spare = bits[-1]
                else:
                    parts = {"index": count, "ch": ch, "type": kind, "id": pid}
                    count += 1
                    pending = True
                    if len(chunk) < CHUNK:
                        pending = False
                        parts["count"] = count
                    outs.append(self._part_msg(msg, chunk, parts))
                if outs:
                    self.send_built(outs)
        finally:
            await asyncio.to_thread(f.close)
        if lines:
            spare += text_of(b"", True)
            self.send_built([self._part_msg(msg, spare, {"index": count, "count": count + 1, "ch": ch,
                                                          "type": kind, "id": pid})])
        elif pending:
            self.send_built([{"_msgid": generate_id(),
                              "parts": {"index": count, "count": count, "ch": ch, "type": kind, "id": pid}}])


def _chunk_decoder(enc: str) -> Callable[[bytes], str]:
    """Decodes a file chunk by chunk: characters split between chunks are kept whole, a BOM
    is dropped at the start of the file only (Node.js's own encodings go chunk by chunk)."""
    codec = "utf-8" if enc == "none" else _codec(enc)
    if codec in _SPECIAL.values():
        return lambda chunk, final=False: decode(chunk, enc)
    dec = codecs.getincrementaldecoder(codec)("replace")
    first = [enc != "none"]

    def run(chunk: bytes, final: bool = False) -> str:
        text = dec.decode(chunk, final)
        if first[0] and text:
            first[0] = False
            if text.startswith("\ufeff"):
                text = text[1:]
        return text
    return run


def _read_all(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()
