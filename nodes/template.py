"""The ``template`` node: sets a property from a mustache template (or plain text).

As Node-RED's template node (nodes/core/function/80-template.js, 80-template.html), with
pystache in place of mustache.js and values written as JavaScript's ``String()`` writes them.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Literal

from pydantic import ValidationInfo, field_validator
from pystache.context import ContextStack, KeyNotFoundError
from pystache.parser import ParsingError, parse
from pystache.renderengine import RenderEngine

from flowred import UNDEFINED, Node, NodeConfig, NodeError, register, set_msg_property
from flowred.context import parse_context_key
from flowred.fields import OrDefault
from flowred.nodes.common import mustache_text, parse_json

__all__ = ["TemplateConfig", "TemplateNode"]

# mustache.js escapeHtml
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
                               "/": "&#x2F;", "`": "&#x60;", "=": "&#x3D;"})
# what Node-RED escapes in msg strings when the output is parsed as JSON
_JSON_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\b": "\\b"})
_CONTEXT_TOKEN = re.compile(r"^(flow|global)(?:\[(\w+)\])?\.(.+)")


class _JsObject(dict):
    """An empty object in a view: truthy, as every JavaScript object is in a section."""

    def __bool__(self) -> bool:
        return True


_EMPTY_OBJECT = _JsObject()


def _escape_html(text: str) -> str:
    return text.translate(_HTML_ESCAPES)


def compile_template(text: str) -> Any:
    """Parse a mustache template once; raises ValueError naming the problem and its place."""
    try:
        return parse(text, raise_on_mismatch=True)
    except ParsingError as exc:
        raise ValueError(f"invalid mustache template: {exc}") from None


class TemplateConfig(NodeConfig):
    """Template node settings (Node-RED's defaults).

    ``field``/``fieldType``: where the result goes, a msg property or a ``flow``/``global``
    context key (``#:(store)::key`` names a store). ``template``: the text. ``syntax``:
    ``mustache`` or ``plain`` (sent as it is). ``output``: ``str``, ``json`` (parsed) or ``yaml``
    (parsed, needs PyYAML). ``format`` only chooses the editor's syntax highlighting.
    """

    field: OrDefault[str] = "payload"
    fieldType: OrDefault[Literal["msg", "flow", "global"]] = "msg"
    format: str = "handlebars"
    syntax: OrDefault[Literal["mustache", "plain"]] = "mustache"
    template: str = "This is the payload: {{payload}} !"
    output: str = "str"

    @field_validator("template", mode="before")
    @classmethod
    def _template(cls, v: Any, info: ValidationInfo) -> Any:
        v = "" if v is None else v
        if isinstance(v, str) and info.data.get("syntax") == "mustache":
            compile_template(v)
        return v

    @field_validator("output", mode="before")
    @classmethod
    def _output(cls, v: Any) -> str:
        v = v or "str"
        if v not in ("str", "json", "yaml"):
            raise ValueError(f'output must be "str", "json" or "yaml", not {v!r}')
        if v == "yaml" and _yaml() is None:
            raise ValueError("output as parsed YAML needs the Python package PyYAML, which is not installed")
        return v


@register("template", category="function", color="#f3b567", inputs=1, outputs=1, icon="template.svg")
class TemplateNode(Node):
    """Sets ``msg.payload`` (or the chosen msg property, or a flow/global context key) to its
    template, rendered with mustache: ``{{payload}}``, ``{{topic}}``, ``{{payload.name}}`` read
    the msg; ``{{flow.key}}``, ``{{global.key}}`` (``{{flow[store].key}}`` for a store) read
    context; ``{{env.NAME}}`` an environment variable. ``{{x}}`` is HTML-escaped, ``{{{x}}}`` is
    not; sections (``{{#list}}...{{/list}}``) and inverted sections work as in mustache.js.

    *Output as* parsed JSON parses the result (msg strings in top-level tags have backslashes,
    newlines and tabs escaped so that they fit in a JSON string); parsed YAML needs PyYAML.
    When the node's template is empty, ``msg.template`` is used. The msg is sent on.

    Errors: a result that is not JSON (``Invalid JSON: ... (position n)``), a ``msg.template``
    that is not a valid template; catch nodes receive them with the msg.
    """

    Config = TemplateConfig

    def __init__(self, config: TemplateConfig, flow) -> None:
        super().__init__(config, flow)
        self.mustache = config.syntax == "mustache"
        self.template = config.template
        self.from_msg = config.template == ""
        self.parsed = compile_template(config.template) if self.mustache else None
        self._msg_templates: dict[str, Any] = {}
        self.convert = _converter(config.output)
        self.target = config.fieldType
        self.store, self.key = parse_context_key(config.field) if self.target != "msg" else (None, config.field)
        self._tokens: dict[str, tuple] = {}
        self._msg: dict = {}
        self._engine = RenderEngine(literal=str, escape=_escape_html, resolve_context=self._lookup,
                                    resolve_partial=lambda name: "", to_str=mustache_text)
        self._json_strings = config.output == "json"

    def on_input(self, msg: dict) -> None:
        parsed, text = self.parsed, self.template
        if self.from_msg and "template" in msg:
            text = msg["template"]
            if self.mustache:
                parsed = self._msg_template(text)
        if self.mustache:
            self._msg = msg
            try:
                text = parsed.render(self._engine, ContextStack(msg))
            finally:
                self._msg = {}
        value = self.convert(text) if self.convert else text
        if self.target == "msg":
            set_msg_property(msg, self.key, value)
        else:
            ctx = self.context().flow if self.target == "flow" else self.context().global_
            ctx.set(self.key, value, self.store)
        self.send(msg)

    def _msg_template(self, text: Any) -> Any:
        """A ``msg.template``, parsed once per distinct text (the last 16 are kept)."""
        parsed = self._msg_templates.get(text) if isinstance(text, str) else None
        if parsed is None:
            if not isinstance(text, str):
                raise NodeError(f"msg.template must be a string, not {type(text).__name__}")
            try:
                parsed = compile_template(text)
            except ValueError as exc:
                raise NodeError(str(exc)) from None
            if len(self._msg_templates) >= 16:
                self._msg_templates.clear()
            self._msg_templates[text] = parsed
        return parsed

    def _lookup(self, stack: ContextStack, name: str) -> Any:
        """Node-RED's NodeContext.lookup: the msg (and enclosing sections) first, then
        ``env.X``, ``flow.x``/``global.x`` context, else ``""``."""
        try:
            value = stack.get(name)
        except KeyNotFoundError:
            value = _walk(stack, name) if "." in name else UNDEFINED
        if value is not UNDEFINED:
            if type(value) is str:
                if self._json_strings and stack.top() is self._msg:
                    return value.translate(_JSON_ESCAPES)
            elif type(value) is dict and not value:
                return _EMPTY_OBJECT
            return value
        token = self._tokens.get(name)
        if token is None:
            token = self._tokens[name] = _token(name)
        kind = token[0]
        if kind == "env":
            return self.get_env(token[1])
        if kind == "flow":
            return self.context().flow.get(token[2], token[1])
        if kind == "global":
            return self.context().global_.get(token[2], token[1])
        return ""


def _walk(stack: ContextStack, name: str) -> Any:
    """A dotted name through arrays, as mustache.js looks it up: ``files.0.originalname`` takes
    element 0 of the array ``files``; ``length`` of an array or string is its length. UNDEFINED
    when any step is missing."""
    first, *rest = name.split(".")
    try:
        value = stack.get(first)
    except KeyNotFoundError:
        return UNDEFINED
    for part in rest:
        if isinstance(value, dict):
            value = value.get(part, UNDEFINED)
        elif isinstance(value, (list, str)) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else UNDEFINED
        elif isinstance(value, (list, str)) and part == "length":
            value = len(value)
        else:
            return UNDEFINED
        if value is UNDEFINED:
            return UNDEFINED
    return value


def _token(name: str) -> tuple:
    """What a tag name that the msg lacks refers to: ``("env", NAME)``,
    ``("flow"|"global", store, key)`` or ``("",)``."""
    if name.startswith("env.") and len(name) > 4:
        return ("env", name[4:])
    m = _CONTEXT_TOKEN.match(name)
    if m:
        return (m.group(1), m.group(2), m.group(3))
    return ("",)


def _converter(output: str) -> Callable[[str], Any] | None:
    if output == "json":
        return parse_json
    if output == "yaml":
        yaml = _yaml()

        def parse_yaml(text: str) -> Any:
            try:
                return yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise NodeError(f"Invalid YAML: {exc}") from None

        return parse_yaml
    return None


def _yaml() -> Any:
    """PyYAML, which "Parsed YAML" output needs, imported by the first template node with that
    output (not with every flow); None when it is not installed."""
    try:
        import yaml
    except ImportError:
        return None
    return yaml
