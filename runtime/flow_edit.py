"""Editing one flow (tab) at a time, as Node-RED's runtime/lib/flows/index.js ``getFlow``,
``addFlow``, ``updateFlow`` and ``removeFlow`` (behind editor-api/lib/admin/flow.js).

A flow here is ``{id, label, disabled, info, env, nodes, configs}``: the tab's fields, its flow
nodes (with ``x`` and ``y``) and its config nodes, classified as the loader does
(``loader.is_config_node``). The pure functions take the deployed node list and return the new
one; the ``*_flow`` coroutines apply the change to an engine as a ``flows`` deployment (only the
changed tab restarts). Every refusal is a FlowEditError with a ``code`` (``not_found`` for an
unknown flow, else a bad request) and a ``message``.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .ids import generate_id
from .loader import FlowValidationError, check_node_shapes, is_config_node

__all__ = ["FlowBody", "FlowEditError", "flow_of", "global_flow", "with_flow_added", "with_flow_replaced",
           "without_flow", "add_flow", "update_flow", "remove_flow"]

_TAB_KEYS = ("label", "disabled", "info", "env")


class FlowEditError(ValueError):
    """A refused flow edit: ``code`` (``not_found``, ``invalid_request``, ``duplicate_id`` or
    ``invalid_flow``), ``message``, and for ``invalid_flow`` the located ``errors``
    (FlowIssue dicts)."""

    def __init__(self, code: str, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors


class FlowBody(BaseModel):
    """The body of ``POST /flow`` and ``PUT /flow/:id``: the tab's fields and its nodes.
    ``id`` is only read by ``POST`` (kept when free, else a new one is made)."""

    model_config = ConfigDict(strict=True)

    id: str | None = None
    label: str = ""
    disabled: bool = False
    info: str = ""
    env: list[dict[str, Any]] = Field(default_factory=list)
    nodes: list[dict[str, Any]] = Field(default_factory=list)
    configs: list[dict[str, Any]] = Field(default_factory=list)


def _parse(body: Any) -> FlowBody:
    if not isinstance(body, dict):
        raise FlowEditError("invalid_request", 'expected {"label", "nodes": [...], "configs": [...]}')
    try:
        return FlowBody.model_validate(body)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                          for e in exc.errors(include_url=False)[:5])
        raise FlowEditError("invalid_request",
                            f'expected {{"label", "nodes": [...], "configs": [...]}}: {where}') from None


def _find_tab(nodes: list[dict], flow_id: str) -> dict:
    tab = next((n for n in nodes if n["type"] == "tab" and n["id"] == flow_id), None)
    if tab is None:
        raise FlowEditError("not_found", f"Unknown flow {flow_id}")
    return tab


def global_flow(nodes: list[dict]) -> dict:
    """``{id: "global", configs, subflows}``: the config nodes on no tab and the subflow
    definitions, as Node-RED's ``getFlow("global")``."""
    return {"id": "global",
            "configs": [n for n in nodes
                        if not n.get("z") and is_config_node(n) and n["type"] not in ("tab", "subflow")],
            "subflows": [n for n in nodes if n["type"] == "subflow"]}


def flow_of(nodes: list[dict], flow_id: str) -> dict:
    """One tab of ``nodes`` as ``{id, label, disabled, info, env, nodes, configs}`` (the tab's
    keys it has); ``"global"`` gives ``global_flow``. Raises FlowEditError ``not_found``."""
    if flow_id == "global":
        return global_flow(nodes)
    tab = _find_tab(nodes, flow_id)
    inside = [n for n in nodes if n.get("z") == flow_id]
    return {"id": flow_id, **{k: tab[k] for k in _TAB_KEYS if k in tab},
            "nodes": [n for n in inside if not is_config_node(n)],
            "configs": [n for n in inside if is_config_node(n)]}


def _with_tab(rest: list[dict], flow_id: str, body: FlowBody) -> list[dict]:
    incoming = body.nodes + body.configs
    try:
        check_node_shapes(incoming)
    except FlowValidationError as exc:
        raise FlowEditError("invalid_flow", str(exc), [i.to_dict() for i in exc.issues]) from None
    bad = sorted({n["id"] for n in incoming if n["type"] in ("tab", "subflow")})
    if bad:
        raise FlowEditError("invalid_request", f"A flow cannot hold tabs or subflow definitions: {', '.join(bad)}")
    taken = {n["id"] for n in rest}
    clash = sorted({n["id"] for n in incoming} & taken)
    if clash:
        raise FlowEditError("duplicate_id", f"Node ids already in use: {', '.join(clash)}")
    tab = {"id": flow_id, "type": "tab", "label": body.label, "disabled": body.disabled, "info": body.info,
           "env": body.env}
    return rest + [tab] + [{**n, "z": flow_id} for n in incoming]


def with_flow_added(nodes: list[dict], body: Any) -> tuple[str, list[dict]]:
    """``(flow id, new node list)`` with the flow ``body`` (a FlowBody dict) added as a new tab:
    its ``id`` when given and free, else a new one. Raises FlowEditError."""
    flow = _parse(body)
    flow_id = flow.id
    if not flow_id or any(n["id"] == flow_id for n in nodes):
        flow_id = generate_id()
    return flow_id, _with_tab(list(nodes), flow_id, flow)


def with_flow_replaced(nodes: list[dict], flow_id: str, body: Any) -> list[dict]:
    """The node list with tab ``flow_id`` and its nodes replaced by ``body`` (a FlowBody dict).
    Raises FlowEditError (``not_found`` for an unknown tab)."""
    _find_tab(nodes, flow_id)
    flow = _parse(body)
    return _with_tab(without_flow(nodes, flow_id), flow_id, flow)


def without_flow(nodes: list[dict], flow_id: str) -> list[dict]:
    """The node list without tab ``flow_id`` and the nodes on it. Raises FlowEditError
    ``not_found`` for an unknown tab."""
    _find_tab(nodes, flow_id)
    return [n for n in nodes if n["id"] != flow_id and n.get("z") != flow_id]


async def _deploy(engine, nodes: list[dict], rev: str) -> None:
    try:
        await engine.deploy(nodes, mode="flows", expected_rev=rev)
    except FlowValidationError as exc:
        raise FlowEditError("invalid_flow", str(exc), [i.to_dict() for i in exc.issues]) from None


async def add_flow(engine, body: Any) -> str:
    """Add the flow ``body`` to the engine's flows and deploy; returns its id (addFlow).
    Raises FlowEditError, or runtime.deploy_gate's DeployRefused when the flows changed
    meanwhile (409) or the cluster cannot take the deploy (503)."""
    rev = engine.rev
    flow_id, nodes = with_flow_added(engine.get_flows(), body)
    await _deploy(engine, nodes, rev)
    return flow_id


async def update_flow(engine, flow_id: str, body: Any) -> None:
    """Replace tab ``flow_id`` with the flow ``body`` and deploy (updateFlow)."""
    rev = engine.rev
    await _deploy(engine, with_flow_replaced(engine.get_flows(), flow_id, body), rev)


async def remove_flow(engine, flow_id: str) -> None:
    """Remove tab ``flow_id`` and its nodes and deploy (removeFlow)."""
    rev = engine.rev
    await _deploy(engine, without_flow(engine.get_flows(), flow_id), rev)
