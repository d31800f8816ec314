"""The ``json`` node: converts a msg property between a JSON string and an object.

As Node-RED's JSON node (nodes/core/parsers/70-JSON.js, 70-JSON.html).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Literal

from flowred import UNDEFINED, Node, NodeConfig, NodeError, get_msg_property, register, set_msg_property
from flowred.fields import OrDefault, TruthyFlag
from flowred.nodes.common import parse_json, to_json

__all__ = ["JsonConfig", "JsonNode"]



class JsonConfig(NodeConfig):
    """JSON node settings (Node-RED's defaults).

    ``property``: the msg property to convert (default ``payload``). ``action``: ``""`` converts
    either way, ``"str"`` always to a JSON string, ``"obj"`` always to an object. ``pretty``:
    write the JSON string indented by 4 spaces.
    """

    property: OrDefault[str] = "payload"
    action: OrDefault[Literal["", "str", "obj"]] = ""
    pretty: TruthyFlag = False


@register("json", category="parser", color="#DEBD5C", inputs=1, outputs=1, icon="parser-json.svg")
class JsonNode(Node):
    """Converts ``msg.<property>`` (default ``msg.payload``) between a JSON string and an object.

    A string (or bytes, read as UTF-8) is parsed into an object; an object, list, number,
    boolean or null is written as a JSON string (indented by 4 spaces with *Format JSON
    string*). *Action* can force one direction: with "always object" an object passes as it
    is, with "always string" a string passes as it is. A msg without the property passes
    unchanged.

    When ``msg.schema`` holds a JSON Schema (draft-07), the value (parsed) is validated against
    it as Node-RED's ajv does: a valid msg is sent without ``msg.schema``; an invalid one is not
    sent, it gets ``msg.schemaError`` (ajv's error objects: ``instancePath``, ``schemaPath``,
    ``keyword``, ``params``, ``message``) and the node reports ``JSON Schema error:
    data/price must be number``, which catch nodes receive. A schema ajv cannot compile is
    ``JSON Schema error: failed to compile schema``.

    Errors: a string that is not JSON (``Invalid JSON: ... at line 1 column 5 (position 4)``);
    a value that cannot be written as JSON (``Failed to convert payload``). Other types are
    dropped with the warning ``Ignored unsupported payload type``; bytes with action "always
    string" with ``Ignored non-object payload``.
    """

    Config = JsonConfig

    def __init__(self, config: JsonConfig, flow) -> None:
        super().__init__(config, flow)
        self.prop = config.property
        self.indent = 4 if config.pretty else 0
        self.to_obj = config.action in ("", "obj")
        self.to_str = config.action in ("", "str")
        self._schema: Any = None
        self._validator: Any = None

    def on_input(self, msg: dict) -> None:
        value = get_msg_property(msg, self.prop)
        validate = self._compile(msg["schema"]) if msg.get("schema") else None
        if value is UNDEFINED:
            self.send(msg)
            return
        if isinstance(value, (str, bytes, bytearray)):
            if isinstance(value, str) or self.to_obj:
                if self.to_obj:
                    value = parse_json(value)
                    set_msg_property(msg, self.prop, value)
                elif validate is not None:
                    value = parse_json(value)
            else:
                self.warn("Ignored non-object payload")
                return
        elif value is None or isinstance(value, (dict, list, tuple, bool, int, float, _dt.datetime)):
            if self.to_str:
                if validate is not None:
                    validate(msg, value)
                try:
                    text = to_json(value, self.indent)
                except (TypeError, ValueError):
                    raise NodeError("Failed to convert payload") from None
                set_msg_property(msg, self.prop, text)
                if validate is not None:
                    del msg["schema"]
                self.send(msg)
                return
        else:
            self.warn("Ignored unsupported payload type")
            return
        if validate is not None:
            validate(msg, value)
            del msg["schema"]
        self.send(msg)

    def _compile(self, schema: Any) -> Callable[[dict, Any], None]:
        """The validator for ``msg.schema``, compiled once per distinct schema (as ajv 8,
        flowred.nodes.json_schema, imported with the first schema: the jsonschema library is
        not loaded for flows that never validate)."""
        if schema != self._schema or self._validator is None:
            from flowred.nodes.json_schema import SchemaCompileError, compile_schema

            try:
                self._validator = compile_schema(schema)
            except SchemaCompileError:
                self._schema = self._validator = None
                raise NodeError("JSON Schema error: failed to compile schema") from None
            self._schema = schema
        return self._validate

    def _validate(self, msg: dict, value: Any) -> None:
        errors = self._validator(value)
        if not errors:
            return
        msg["schemaError"] = errors
        from flowred.nodes.json_schema import errors_text

        raise NodeError(f"JSON Schema error: {errors_text(errors)}")
