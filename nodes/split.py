"""The ``split`` node: turns one msg into a sequence of msgs, one per part of a string, buffer,
array or object, each with ``msg.parts`` so that a join node can rebuild the whole.

As Node-RED's split node (nodes/core/sequence/17-split.js, 17-split.html).
"""
from __future__ import annotations

import json
from typing import Any, Callable

from pydantic import field_validator

from flowred import (
    PENDING,
    UNDEFINED,
    Node,
    NodeConfig,
    NodeError,
    all_scalar,
    clone_message,
    generate_id,
    get_property,
    parse_path,
    register,
    set_property,
)
from flowred.fields import OrDefault, Text
from flowred.nodes.common import parse_int, unescape


class SplitConfig(NodeConfig):
    """Split node settings (Node-RED's defaults).

    ``property``: the msg property to split (default ``payload``). Strings and buffers are split
    by ``splt`` as ``spltType``: ``str`` (a separator; ``\\n`` style escapes allowed), ``bin`` (a
    JSON array of byte values) or ``len`` (chunks of that many characters/bytes). Arrays are
    split into chunks of ``arraySplt`` elements (1: single elements). ``stream``: keep the
    remainder of a string/buffer for the next msg. ``addname``: a msg property that receives
    the key when an object is split ("" for none).
    """

    splt: Text = "\\n"
    spltType: OrDefault[str] = "str"
    arraySplt: int = 1
    arraySpltType: str = "len"
    stream: bool | str = False
    addname: Text = ""
    property: Text = "payload"

    @field_validator("arraySplt", mode="before")
    @classmethod
    def _array_splt(cls, v: Any) -> int:
        n = parse_int(v)
        if n is None or n < 1:
            raise ValueError(f"Invalid split property: invalid array split length: {v!r}")
        return n

    @field_validator("property")
    @classmethod
    def _property(cls, v: str) -> str:
        parse_path(v or "payload")
        return v or "payload"

    @field_validator("addname")
    @classmethod
    def _addname(cls, v: str) -> str:
        if v:
            parse_path(v)
        return v

    @field_validator("spltType")
    @classmethod
    def _check_splt(cls, v: str, info) -> str:
        splt = info.data.get("splt", "\\n")
        if v == "bin":
            try:
                data = json.loads(splt)
                if not isinstance(data, list):
                    raise ValueError("not an array")
                if not data:
                    raise ValueError("the byte array is empty")
                bytes(b & 255 for b in data)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"Invalid split property: {exc}: {splt!r}") from None
        elif v == "len":
            n = parse_int(splt)
            if n is None or n < 1:
                raise ValueError(f"Invalid split property: invalid split length: {splt!r}")
        elif v != "str":
            raise ValueError(f"unknown split type {v!r} (str, bin or len)")
        return v


@register("split", category="sequence", color="#E2D96E", inputs=1, outputs=1, icon="split.svg")
class SplitNode(Node):
    """Splits ``msg.payload`` (or the configured property) into a sequence of msgs.

    * **string / buffer**: split at a separator (``splt``: text, or bytes as a JSON array), or
      into chunks of a fixed length. With *handle as a stream*, what follows the last
      separator (or a short last chunk) is kept and put in front of the next msg's value,
      ``parts.count`` is not set and ``parts.index`` keeps counting across msgs.
    * **array**: one msg per element, or per chunk of ``arraySplt`` elements.
    * **object**: one msg per key/value pair; the key is also copied to ``addname`` if set.
    * other values are dropped.

    Each msg gets a new ``_msgid`` and ``msg.parts`` = ``{id, type ("string" | "buffer" |
    "array" | "object"), index, count, ch (separator), len (chunk length), key (object key),
    property (when not payload)}``; an existing ``msg.parts`` is kept as ``msg.parts.parts`` so
    nested splits can be undone one after the other by join nodes. A msg without the property
    is ignored. A ``null`` value is an error, as in Node-RED.
    """

    Config = SplitConfig

    def __init__(self, config: SplitConfig, flow) -> None:
        super().__init__(config, flow)
        self._prop = config.property
        self._keys = parse_path(config.property)
        self._addname = parse_path(config.addname) if config.addname else None
        flat = len(self._keys) == 1 and type(self._keys[0]) is str and (
            self._addname is None or (len(self._addname) == 1 and type(self._addname[0]) is str))
        self._top = self._keys[0] if flat else None
        self._stream = config.stream is True
        self._type = config.spltType
        self._array_len = config.arraySplt
        self._ch: Any = None           # parts.ch: the separator as Node-RED passes it on
        self._sep_str = ""             # the separator used on strings
        self._sep_bytes = b""          # the separator used on buffers
        self._len = 0                  # the chunk length in "len" mode
        if self._type == "str":
            self._ch = self._sep_str = unescape(config.splt or "\\n")
            self._sep_bytes = self._sep_str.encode()
        elif self._type == "bin":
            self._ch = json.loads(config.splt)
            self._sep_bytes = bytes(b & 255 for b in self._ch)
            self._sep_str = self._sep_bytes.decode(errors="replace")
        elif self._type == "len":
            self._len = parse_int(config.splt)
        self._c = 0                    # the running parts.index of a stream
        self._remainder = ""
        self._buffer = b""
        self._pending: list[dict] = []  # msgs whose data waits in the remainder (stream mode)

    def on_input(self, msg: dict) -> Any:
        value = get_property(msg, self._keys)
        if value is UNDEFINED:
            return PENDING  # as Node-RED: ignored and never completed
        parts: dict = {"parts": msg["parts"]} if "parts" in msg else {}
        parts["id"] = generate_id()
        if self._prop != "payload":
            parts["property"] = self._prop
        msg.pop("_msgid", None)
        msg["parts"] = parts
        if isinstance(value, str):
            parts["type"] = "string"
            return self._split_string(msg, parts, self._remainder + value)
        if isinstance(value, list):
            parts["type"] = "array"
            self._split_array(msg, parts, value)
            return None
        if isinstance(value, dict):
            parts["type"] = "object"
            self._split_object(msg, parts, value)
            return None
        if isinstance(value, (bytes, bytearray)):
            parts["type"] = "buffer"
            return self._split_buffer(msg, parts, self._buffer + bytes(value))
        if value is None:
            raise NodeError("Cannot convert undefined or null to object")
        return None

    # -- building and sending the parts ------------------------------------------------------
    def _builder(self, msg: dict) -> Callable[[dict, Any], dict]:
        """A function making one part msg from its parts dict and value. The msg's other
        properties are shared by the parts until ``send`` clones them (every msg of a send call
        but the first is a deep clone), so building costs a shallow copy; a nested property
        (or ``addname``) needs a clone per part instead."""
        top = self._top
        if top is not None:
            msg[top] = None  # keeps the property's place among the keys

            def build(parts: dict, value: Any) -> dict:
                out = msg.copy()
                out[top] = value
                out["parts"] = parts
                out["_msgid"] = generate_id()
                return out
            return build
        keys = self._keys
        set_property(msg, keys, None)

        def build_nested(parts: dict, value: Any) -> dict:
            out = clone_message(msg)
            set_property(out, keys, value)
            out["parts"] = parts
            out["_msgid"] = generate_id()
            return out
        return build_nested

    def _flush_pending(self) -> None:
        if self._pending:
            held, self._pending = self._pending, []
            for m in held:
                self.done(m)

    def _split_array(self, msg: dict, parts: dict, value: list) -> None:
        size = self._array_len
        count = -(-len(value) // size)
        parts["count"] = count
        parts["len"] = size
        build = self._builder(msg)
        if size == 1:
            outs = [build({**parts, "index": i}, v) for i, v in enumerate(value)]
        else:
            outs = [build({**parts, "index": i}, value[i * size:(i + 1) * size]) for i in range(count)]
        if (self._top is not None and all_scalar(v for k, v in msg.items() if k != "parts")
                and all_scalar(parts.values()) and all_scalar(value)):
            # Each part is a shallow copy holding only immutable values and its own parts dict
            # (and list slice): already as independent as the clones send() would make.
            self.send_built(outs)
        else:
            self.send([outs])

    def _split_object(self, msg: dict, parts: dict, value: dict) -> None:
        count = len(value)
        build = self._builder(msg)
        outs = []
        for i, (key, v) in enumerate(value.items()):
            out = build({**parts, "key": key, "index": i, "count": count}, v)
            if self._addname is not None:
                set_property(out, self._addname, key)
            outs.append(out)
        self.send([outs])

    def _split_string(self, msg: dict, parts: dict, text: str) -> Any:
        if self._type == "len":
            return self._split_chunks(msg, parts, text, "")
        pieces = text.split(self._sep_str) if self._sep_str else list(text)
        parts["ch"] = self._ch
        build = self._builder(msg)
        stream = self._stream
        n = len(pieces)
        last = n if not stream else n - 1
        outs = []
        for piece in pieces[:last]:
            p = {**parts, "index": self._c}
            self._c += 1
            if not stream:
                p["count"] = n
            outs.append(build(p, piece))
        if stream:
            self._remainder = pieces[-1]
        else:
            self._c = 0
        self.send([outs])
        return None

    def _split_buffer(self, msg: dict, parts: dict, data: bytes) -> Any:
        if self._type == "len":
            return self._split_chunks(msg, parts, data, None)
        parts["ch"] = self._ch
        sep = self._sep_bytes
        pieces = data.split(sep)
        stream = self._stream
        if not stream:
            parts["count"] = len(pieces)
            self._c = 0
        build = self._builder(msg)
        outs = []
        for piece in pieces[:-1]:
            outs.append(build({**parts, "index": self._c}, piece))
            self._c += 1
        tail = pieces[-1]
        if len(pieces) > 1:
            self._flush_pending()
        held = False
        if not stream and tail:
            outs.append(build({**parts, "index": self._c, "count": self._c + 1}, tail))
            self._c += 2
            self._flush_pending()
        else:
            self._buffer = tail
            held = bool(tail)
            if held:
                self._pending.append(msg)
        self.send([outs])
        return PENDING if held else None

    def _split_chunks(self, msg: dict, parts: dict, data: str | bytes, ch: str | None) -> Any:
        """Fixed-length chunks of a string (``ch`` "") or a buffer (``ch`` None)."""
        size = self._len
        stream = self._stream
        count = -(-len(data) // size)
        if ch is not None:
            parts["ch"] = ch
            parts["len"] = size
        if not stream:
            parts["count"] = count
            self._c = 0
        if ch is None:
            parts["len"] = size
        build = self._builder(msg)
        outs = []
        pos = 0
        for _ in range(count - 1):
            outs.append(build({**parts, "index": self._c}, data[pos:pos + size]))
            self._c += 1
            pos += size
        if count > 1:
            self._flush_pending()
        rest = data[pos:]
        held = False
        if not stream or len(rest) == size:
            outs.append(build({**parts, "index": self._c}, rest))
            self._c += 1
            self._flush_pending()
            rest = data[:0]
        else:
            held = True
            self._pending.append(msg)
        if ch is None:
            self._buffer = rest
        else:
            self._remainder = rest
        self.send([outs])
        return PENDING if held else None
