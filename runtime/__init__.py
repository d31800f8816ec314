"""FlowRed's runtime: the public API node modules import.

A node module subclasses ``Node``, describes its configuration with a ``NodeConfig`` pydantic
model and registers itself with ``@register("<Node-RED type string>")``.
"""
from .config import NodeConfig, TabConfig, TypedValue
from .fields import (
    Bool,
    EmptyDefault,
    Flag,
    Integer,
    NonNegative,
    Number,
    OptionalPort,
    OrDefault,
    Port,
    Text,
    TrimmedText,
    TruthyFlag,
)
from .ids import generate_id
from .jsonata import JsonataError, compile_jsonata, evaluate_jsonata
from .node import PENDING, Node, NodeError
from .props import (
    PropertyError,
    delete_property,
    get_msg_property,
    get_property,
    parse_path,
    set_msg_property,
    set_property,
)
from .registry import admin_route, get_type, register
from .typed import TypedValueError, evaluate_value, to_number
from .values import UNDEFINED, all_scalar, clone_message

__version__ = "0.2.0"

__all__ = [
    "Node", "NodeError", "PENDING", "NodeConfig", "TabConfig", "TypedValue", "register", "admin_route",
    "get_type", "generate_id", "clone_message", "all_scalar", "UNDEFINED", "evaluate_value", "to_number",
    "TypedValueError", "PropertyError", "JsonataError", "compile_jsonata", "evaluate_jsonata", "parse_path",
    "get_property", "set_property",
    "delete_property", "get_msg_property", "set_msg_property", "__version__",
    "Bool", "EmptyDefault", "Flag", "Integer", "NonNegative", "Number", "OptionalPort", "OrDefault", "Port", "Text",
    "TrimmedText", "TruthyFlag",
]
