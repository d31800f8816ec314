"""Reading and validating Node-RED flow files.

A flow file is a JSON array of node objects, or the Admin API v2 form ``{"rev", "flows": [...]}``.
Nodes are classified as Node-RED's ``parseConfig`` (runtime/lib/flows/util.js): ``tab`` is a flow,
``subflow`` a subflow definition, ``group`` a group; any other node with both ``x`` and ``y`` is
a flow node of its ``z`` tab; a node without ``x``/``y`` is a config node (of its tab when ``z``
names one, else global). Each node is validated by its type's pydantic config model.

Errors are located: a malformed file gives file, line and column; an invalid node gives its id,
type and field; duplicate ids are errors; a wire to a missing node is a warning (Node-RED ignores
such wires silently); unknown types are collected so the caller can wait for them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .config import NodeConfig, TabConfig
from .env import EnvScope, substitute_properties
from .registry import NodeType, get_type
from .subflow import SubflowSpec, expand_instance

__all__ = ["FlowFileError", "FlowIssue", "FlowValidationError", "ParsedFlows", "parse_flow_text",
           "parse_flow_data", "validate_flows", "is_config_node", "NodeShape", "check_node_shapes"]

NON_NODE_TYPES = {"tab", "subflow", "group", "global-config"}


class FlowFileError(ValueError):
    """A flow file (or request body) that is not a flow: bad JSON or the wrong shape.

    ``source``, ``line`` and ``column`` (1-based) locate a JSON syntax error.
    """

    def __init__(self, message: str, source: str = "", line: int | None = None, column: int | None = None):
        where = source
        if line is not None:
            where = f"{source}:{line}:{column}" if source else f"line {line} column {column}"
        super().__init__(f"{where}: {message}" if where else message)
        self.source, self.line, self.column, self.reason = source, line, column, message


@dataclass
class FlowIssue:
    """One problem found in a flow: which node, which field, what is wrong."""

    message: str
    node_id: str | None = None
    type: str | None = None
    field: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict:
        return {k: v for k, v in {"id": self.node_id, "type": self.type, "field": self.field,
                                  "message": self.message, "severity": self.severity}.items() if v is not None}

    def __str__(self) -> str:
        where = f"node {self.node_id} ({self.type})" if self.node_id else "flow"
        if self.field:
            where += f" field '{self.field}'"
        return f"{where}: {self.message}"


class FlowValidationError(ValueError):
    """The flows are invalid; ``issues`` lists every error found (not just the first)."""

    def __init__(self, issues: list[FlowIssue]):
        self.issues = issues
        head = "; ".join(str(i) for i in issues[:5])
        more = f" (and {len(issues) - 5} more)" if len(issues) > 5 else ""
        super().__init__(f"{len(issues)} error(s) in flows: {head}{more}")


@dataclass
class ParsedFlows:
    """Validated flows, ready to start.

    ``nodes``: the node objects as given, in order, without ``credentials``;
    ``tabs``: tab id → TabConfig; ``configs``: node id → validated config model of each node to
    start (disabled nodes and nodes of disabled tabs are left out); ``owner``: node id → the
    flow id it runs in (a tab id or ``"global"``); ``missing_types``: type → node ids;
    ``credentials``: node id → the credentials posted with it; ``warnings``; ``groups``: group
    id → group object; ``env``: ``"global"``, tab and group ids → their EnvScope (runtime.env);
    ``subflows``: instance id → SubflowSpec; ``classes``: id → class of the nodes the runtime
    generates for subflow instances; ``aliases``: internal id → the definition's node id.
    """

    nodes: list[dict]
    tabs: dict[str, TabConfig] = field(default_factory=dict)
    configs: dict[str, NodeConfig] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    missing_types: dict[str, list[str]] = field(default_factory=dict)
    credentials: dict[str, dict] = field(default_factory=dict)
    warnings: list[FlowIssue] = field(default_factory=list)
    groups: dict[str, dict] = field(default_factory=dict)
    env: dict[str, EnvScope] = field(default_factory=dict)
    subflows: dict[str, SubflowSpec] = field(default_factory=dict)
    classes: dict[str, type] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


def parse_flow_text(text: str | bytes, source: str = "") -> list[dict]:
    """Parse flow file text into the list of node objects.

    Raises FlowFileError with line and column for malformed JSON, and for a document that is
    neither an array of objects nor ``{"flows": [...]}``. An empty file gives ``[]``.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FlowFileError(exc.msg, source, exc.lineno, exc.colno) from None
    return parse_flow_data(data, source)


def parse_flow_data(data: Any, source: str = "") -> list[dict]:
    """Check the shape of already-parsed flow JSON and return its node list."""
    if isinstance(data, dict) and "flows" in data:
        data = data["flows"]
    if not isinstance(data, list):
        raise FlowFileError("a flow must be a JSON array of nodes or an object with a 'flows' array", source)
    for i, node in enumerate(data):
        if not isinstance(node, dict):
            raise FlowFileError(f"item {i} is not a node object", source)
        for key in ("id", "type"):
            if not isinstance(node.get(key), str) or not node.get(key):
                raise FlowFileError(f"item {i} has no string '{key}'", source)
    return data


def is_config_node(node: dict) -> bool:
    """Whether ``node`` (not a tab, subflow or group) is a config node: it has no ``x`` or no
    ``y`` (Node-RED's parseConfig); else it is a flow node drawn on its ``z`` tab."""
    return "x" not in node or "y" not in node


class NodeShape(BaseModel):
    """The fields of a node that a deploy through the Admin API must give with JSON types the
    runtime can store and load again: string ``id`` and ``type``, string ``z``/``g`` when given,
    ``wires`` one list of target id strings per output, ``credentials`` an object. Every other
    field is kept as given (Node-RED's flow file format)."""

    model_config = ConfigDict(extra="allow", strict=True)

    id: str = Field(min_length=1)
    type: str = Field(min_length=1)
    z: str | None = None
    g: str | None = None
    wires: list[list[str]] | None = None
    credentials: dict[str, Any] | None = None


def check_node_shapes(nodes: Any) -> None:
    """Check that ``nodes`` is a list of node objects of the NodeShape; raises
    FlowValidationError listing every bad node by id (or index) and field. Flow files are not
    checked this strictly on load (Node-RED loads numeric wires); deploys are, so what is saved
    loads again."""
    if not isinstance(nodes, list):
        raise FlowValidationError([FlowIssue("the flows must be an array of node objects")])
    issues: list[FlowIssue] = []
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            issues.append(FlowIssue(f"item {i} is not a node object"))
            continue
        try:
            NodeShape.model_validate(node)
        except ValidationError as exc:
            nid = node.get("id")
            named = nid if isinstance(nid, str) and nid else f"{json.dumps(nid, default=str)[:40]} at index {i}"
            issues.extend(_issues(exc, {**node, "id": named, "type": str(node.get("type"))[:60]}))
    if issues:
        raise FlowValidationError(issues)


def validate_flows(nodes: list[dict], types: Callable[[str], NodeType | None] = get_type) -> ParsedFlows:
    """Classify and validate ``nodes`` (see the module doc).

    ``types`` finds a node type by its type string (an engine's ``NodeSets.get_type``, which
    leaves out disabled node sets; by default every registered type).
    Returns ParsedFlows; raises FlowValidationError listing every error (duplicate ids, invalid
    fields). Unknown types are not errors here: they are in ``missing_types``.
    """
    issues: list[FlowIssue] = []
    stored: list[dict] = []
    parsed = ParsedFlows(nodes=stored)
    seen: set[str] = set()
    for node in nodes:
        nid = node["id"]
        if nid in seen:
            issues.append(FlowIssue("duplicate node id", nid, node.get("type")))
        seen.add(nid)
        if "credentials" in node:
            creds = node["credentials"]
            node = {k: v for k, v in node.items() if k != "credentials"}
            if isinstance(creds, dict) and creds:
                parsed.credentials[nid] = creds
        stored.append(node)
        if node["type"] == "tab":
            try:
                parsed.tabs[nid] = TabConfig.model_validate(node)
            except ValidationError as exc:
                issues.extend(_issues(exc, node))

    definitions = {n["id"]: n for n in stored if n["type"] == "subflow"}
    members: dict[str, list[dict]] = {}
    _env_scopes(parsed)

    def add(node: dict, owner: str, scope: EnvScope, cls: type | None) -> None:
        _add_node(parsed, node, owner, scope, cls, issues, types)

    for node in stored:
        nid, ntype = node["id"], node["type"]
        if node.get("z") in definitions:
            members.setdefault(node["z"], []).append(node)
            if ntype not in NON_NODE_TYPES and not ntype.startswith("subflow:") and types(ntype) is None:
                parsed.missing_types.setdefault(ntype, []).append(nid)
    for node in stored:
        nid, ntype = node["id"], node["type"]
        if ntype in NON_NODE_TYPES or node.get("z") in definitions:
            continue
        z = node.get("z") or ""
        is_config = is_config_node(node)
        if z and z not in parsed.tabs and not is_config:
            parsed.tabs[z] = TabConfig(id=z)  # as Node-RED: an unknown z makes a synthetic tab
        owner = z if z in parsed.tabs else "global"
        is_instance = ntype.startswith("subflow:") and ntype[8:] in definitions
        if not is_instance and types(ntype) is None:
            parsed.missing_types.setdefault(ntype, []).append(nid)
            continue
        if node.get("d") is True or (owner != "global" and parsed.tabs[owner].disabled):
            continue
        scope = parsed.env.get(node.get("g") or owner) or parsed.env["global"]
        if is_instance:
            error = expand_instance(node, definitions, members, owner, owner, scope, add, parsed.subflows)
            if error:
                issues.append(FlowIssue(error, nid, ntype))
            continue
        add(node, owner, scope, None)

    for nid, cfg in parsed.configs.items():
        for port, targets in enumerate(cfg.wires):
            for target in targets:
                if target not in seen and target not in parsed.configs:
                    parsed.warnings.append(FlowIssue(
                        f"output {port + 1} is wired to node {target}, which does not exist; the wire is ignored",
                        nid, cfg.type, "wires", "warning"))
    if issues:
        raise FlowValidationError(issues)
    return parsed


def _add_node(parsed: ParsedFlows, node: dict, owner: str, scope: EnvScope, cls: type | None,
              issues: list[FlowIssue], types: Callable[[str], NodeType | None] = get_type) -> None:
    """Validate one node (after ``${VAR}`` substitution) into ``parsed.configs``; ``cls`` is the
    class of a node the runtime generates (subflow instance and port nodes)."""
    nid = node["id"]
    if cls is not None:
        parsed.configs[nid] = NodeConfig.model_validate(node)
        parsed.classes[nid] = cls
        parsed.owner[nid] = owner
        return
    node_type = types(node["type"])
    if node_type is None:
        parsed.missing_types.setdefault(node["type"], []).append(node.get("_alias", nid))
        return
    builtins = {"NR_NODE_ID": nid, "NR_NODE_NAME": node.get("name") or "", "NR_NODE_PATH": f"{owner}/{nid}"}
    raw = substitute_properties(node, lambda name: builtins[name] if name in builtins else scope.lookup(name))
    try:
        parsed.configs[nid] = node_type.cls.Config.model_validate(raw)
    except ValidationError as exc:
        issues.extend(_issues(exc, node))
        return
    except Exception as exc:  # a config validator that raises (e.g. TypeError) instead of reporting
        issues.append(FlowIssue(f"invalid node: {type(exc).__name__}: {exc}", nid, node["type"]))
        return
    parsed.owner[nid] = owner
    if "_alias" in node:
        parsed.aliases[nid] = node["_alias"]


def _env_scopes(parsed: ParsedFlows) -> None:
    """Build the env scopes: global (the global-config node's env), each tab, each group
    (inside its parent group or tab), as Node-RED's Flow/Group getSetting chain."""
    global_env: list[dict] = []
    for node in parsed.nodes:
        if node["type"] == "global-config" and isinstance(node.get("env"), list):
            global_env.extend(node["env"])
        elif node["type"] == "group":
            parsed.groups[node["id"]] = node
    top = parsed.env["global"] = EnvScope(global_env)
    for tab in parsed.tabs.values():
        parsed.env[tab.id] = EnvScope(tab.env, top, {"NR_FLOW_ID": tab.id, "NR_FLOW_NAME": tab.label})

    def group_scope(gid: str, depth: int = 0) -> EnvScope | None:
        if gid in parsed.env:
            return parsed.env[gid]
        group = parsed.groups.get(gid)
        if group is None or depth > 50:
            return None
        parent = group_scope(group["g"], depth + 1) if group.get("g") else None
        parent = parent or parsed.env.get(group.get("z") or "") or top
        env = group.get("env") if isinstance(group.get("env"), list) else []
        scope = parsed.env[gid] = EnvScope(env, parent, {"NR_GROUP_ID": gid, "NR_GROUP_NAME": group.get("name") or ""})
        return scope

    for gid in parsed.groups:
        group_scope(gid)


def _issues(exc: ValidationError, node: dict) -> list[FlowIssue]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in err["loc"]).replace(".[", "[")
        value = err.get("input")
        got = "" if isinstance(value, dict) else f" (got {json.dumps(value, default=str)[:80]})"
        out.append(FlowIssue(err["msg"] + got, node.get("id"), node.get("type"), loc or None))
    return out
