"""Subflows: ``subflow`` definitions and their ``subflow:<id>`` instances.

As Node-RED's runtime/lib/flows/Subflow.js, each instance runs its own copy of the
definition's nodes, in a flow of its own whose ``path`` is ``<parent path>/<instance id>``:

* internal nodes get new ids (derived from the instance and original ids, so the same flows
  give the same ids) and keep the original as their alias (``_alias`` in debug messages, node
  context); their ``z`` is the instance id;
* the instance node passes what it receives to the nodes wired from the definition's input
  port; one port node per output passes what reaches that output to the instance's wires;
  a status port node shows what reaches the definition's status port as the instance's status;
* env: the definition's ``env`` with the instance's ``env`` over it, then the instance's
  flow, with ``NR_SUBFLOW_ID``/``NR_SUBFLOW_NAME``/``NR_SUBFLOW_PATH``;
* errors no catch node inside handles go to the parent flow as errors of the instance node.

Instances nest (a subflow may use another) up to ``MAX_DEPTH`` levels.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable

from .env import EnvScope
from .node import Node

__all__ = ["SubflowSpec", "SubflowInstanceNode", "SubflowPortNode", "SubflowStatusNode",
           "expand_instance", "MAX_DEPTH"]

MAX_DEPTH = 20


@dataclass
class SubflowSpec:
    """A running instance: its flow id (the instance id), its parent flow id, ``path``, the
    definition's name and the instance's env scope."""

    id: str
    parent: str
    path: str
    name: str
    env: EnvScope


class SubflowInstanceNode(Node):
    """The instance node on the parent flow: sends each msg into the subflow."""

    def on_input(self, msg: dict) -> None:
        self.send(msg)


class SubflowPortNode(Node):
    """One output of an instance: sends what reaches it on the instance's wires of that port."""

    def on_input(self, msg: dict) -> None:
        self.send(msg)


class SubflowStatusNode(Node):
    """The definition's status port: a msg's ``status`` (or ``payload``) becomes the instance
    node's status — an object with ``fill``/``shape``/``text`` as it is, anything else as text."""

    def on_input(self, msg: dict) -> None:
        instance = self.engine.get_node(self.z)
        if instance is None:
            return
        value = msg.get("status") if isinstance(msg.get("status"), dict) else msg.get("payload")
        if isinstance(value, dict) and ("fill" in value or "shape" in value or "text" in value):
            instance.status({k: value[k] for k in ("fill", "shape", "text") if k in value})
        else:
            instance.status({"text": "" if value is None else str(value)})


def internal_id(instance_id: str, node_id: str) -> str:
    """The id of a definition's node inside an instance: 16 hex digits, stable per pair."""
    return hashlib.sha256(f"{instance_id}/{node_id}".encode()).hexdigest()[:16]


def expand_instance(instance: dict, definitions: dict[str, dict], members: dict[str, list[dict]],
                    parent: str, parent_path: str, parent_scope: EnvScope,
                    add: Callable[[dict, str, EnvScope, type | None], None],
                    specs: dict[str, SubflowSpec], depth: int = 0) -> str | None:
    """Expand one ``subflow:<id>`` instance into plain node objects, calling
    ``add(node, owner_flow_id, env_scope, node_class_or_None)`` for each (the instance node,
    its port nodes, the definition's nodes with new ids) and recording its SubflowSpec.

    Returns an error text (unknown definition, nesting too deep) or None.
    """
    def_id = instance["type"][len("subflow:"):]
    definition = definitions.get(def_id)
    if definition is None:
        return f"unknown subflow definition {def_id}"
    if depth >= MAX_DEPTH:
        return f"subflows nested more than {MAX_DEPTH} deep"
    inst_id = instance["id"]
    path = f"{parent_path}/{inst_id}"
    name = instance.get("name") or definition.get("name") or ""
    env = _merge_env(definition.get("env"), instance.get("env"))
    scope = EnvScope(env, parent_scope, {"NR_SUBFLOW_ID": inst_id, "NR_SUBFLOW_NAME": name,
                                         "NR_SUBFLOW_PATH": path})
    specs[inst_id] = SubflowSpec(inst_id, parent, path, definition.get("name") or "", scope)
    inside = members.get(def_id, [])
    ids = {n["id"]: internal_id(inst_id, n["id"]) for n in inside}
    # what reaches each output port of the definition: (internal node id, its port) → port ids
    to_ports: dict[tuple[str, int], list[str]] = {}
    for k, out in enumerate(definition.get("out") or []):
        for w in out.get("wires") or []:
            to_ports.setdefault((w.get("id"), int(w.get("port", 0))), []).append(f"{inst_id}:out{k}")
    for w in (definition.get("status") or {}).get("wires") or []:
        to_ports.setdefault((w.get("id"), int(w.get("port", 0))), []).append(f"{inst_id}:status")
    inputs = definition.get("in") or []
    entry = [ids[w["id"]] for w in (inputs[0].get("wires") or [])] if inputs else []
    outer_wires = instance.get("wires") or []
    add({**instance, "wires": [[t for t in entry if t]]}, parent, parent_scope, SubflowInstanceNode)
    for k in range(len(definition.get("out") or [])):
        add({"id": f"{inst_id}:out{k}", "type": instance["type"], "z": inst_id, "name": name,
             "wires": [outer_wires[k] if k < len(outer_wires) else []]}, inst_id, scope, SubflowPortNode)
    if definition.get("status"):
        add({"id": f"{inst_id}:status", "type": instance["type"], "z": inst_id, "name": name, "wires": []},
            inst_id, scope, SubflowStatusNode)
    groups = {n["id"] for n in inside if n["type"] == "group"}
    for node in inside:
        if node["type"] in ("group", "tab", "subflow") or node.get("d") is True:
            continue
        copy = _remap(node, ids, inst_id, to_ports, groups)
        if node["type"].startswith("subflow:"):
            error = expand_instance(copy, definitions, members, inst_id, path, scope, add, specs, depth + 1)
            if error:
                return error
        else:
            add(copy, inst_id, scope, None)
    return None


def _remap(node: dict, ids: dict[str, str], inst_id: str, to_ports: dict, groups: set[str]) -> dict:
    copy = dict(node)
    copy["id"] = ids[node["id"]]
    copy["_alias"] = node["id"]
    copy["z"] = inst_id
    if node.get("g") in groups:
        copy["g"] = ""  # groups inside a definition only lay it out; env comes from the instance
    wires = [[ids[t] for t in port if t in ids] for port in (node.get("wires") or [])]
    for (nid, port), extra in to_ports.items():
        if nid == node["id"]:
            while len(wires) <= port:
                wires.append([])
            wires[port].extend(extra)
    copy["wires"] = wires
    for key in ("scope", "links"):  # catch/status/complete scopes, link targets inside
        if isinstance(node.get(key), list):
            copy[key] = [ids.get(t, t) for t in node[key]]
    return copy


def _merge_env(defaults: Any, overrides: Any) -> list[dict]:
    merged: dict[str, dict] = {}
    for entries in (defaults, overrides):
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("name"):
                merged[entry["name"]] = entry
    return list(merged.values())
