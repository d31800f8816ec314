"""The node type registry: type string → node class, and the admin routes node modules add.

Node modules register themselves with ``@register("inject")``; the runtime finds node packages
through the ``flowred.nodes`` entry point group (pyproject.toml) and imports every module in
them, so it never names a node module itself (as Node-RED's registry scans node_modules).

The type table is the process's (a class is registered when its module is imported); what an
engine makes of it, which node sets are disabled and which modules failed to load, is that
engine's ``NodeSets``.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Awaitable, Callable

__all__ = ["NodeType", "register", "get_type", "all_types", "admin_route", "admin_routes",
           "load_node_packages", "AdminRoute", "AdminRuntime", "NodeSets"]


@dataclass
class NodeType:
    """A registered node type: its class and what the editor needs to draw it."""

    type: str
    cls: type
    module: str
    category: str = "common"
    color: str = "#ddd"
    inputs: int = 1
    outputs: int = 1
    icon: str = ""
    label: str = ""
    config_node: bool = False
    help: str = ""
    credentials: tuple[str, ...] = ()

    @property
    def set_id(self) -> str:
        """The node set it belongs to, as Node-RED names them: ``flowred/<module>`` for
        FlowRed's node modules (``flowred.nodes.inject`` → ``flowred/inject``), else
        ``<package>/<module>``."""
        parts = self.module.split(".")
        if parts[:2] == ["flowred", "nodes"] and len(parts) > 2:
            return f"flowred/{parts[2]}"
        return f"{parts[0]}/{parts[1] if len(parts) > 1 else parts[0]}"


@dataclass
class AdminRoute:
    """A route a node module adds to the Admin API (as ``RED.httpAdmin.post(...)`` in Node-RED).

    ``handler(runtime, params, body)`` returns ``(status, body)``; ``runtime`` is an
    AdminRuntime, ``params`` the path's ``{name}`` parts, ``body`` the parsed JSON body (None
    when empty). A ``str`` body is sent as text/plain, anything else as JSON.
    """

    method: str
    path: str
    handler: Callable[[Any, dict, Any], Awaitable[tuple[int, Any]]]
    permission: str = ""


logger = logging.getLogger("flowred")
_types: dict[str, NodeType] = {}
_routes: list[AdminRoute] = []
_scanned: list[str] | None = None  # the modules of the node packages, found once per process


class AdminRuntime:
    """What an admin route of a node module (``@admin_route``) may use of the runtime: the
    running nodes, by id, and nothing else. As the ``RED.nodes.getNode`` that Node-RED's
    inject and debug nodes call in their ``RED.httpAdmin.post`` handlers."""

    __slots__ = ("_lookup",)

    def __init__(self, lookup: Callable[[str], Any]) -> None:
        self._lookup = lookup

    def get_node(self, node_id: str) -> Any:
        """The running node (a flowred.Node) with this id, or None."""
        return self._lookup(node_id)


def register(type_name: str, *, category: str = "common", color: str = "#ddd", inputs: int = 1,
             outputs: int = 1, icon: str = "", label: str = "", config_node: bool = False,
             credentials: tuple[str, ...] = ()) -> Callable[[type], type]:
    """Class decorator: register a ``Node`` subclass under Node-RED's type string.

    ``credentials`` names the fields kept in the credentials file, never in the flow file
    nor sent back to the editor (Node-RED's ``credentials`` of a node definition).

    Raises ValueError when the type string is already registered by another class.
    """

    def deco(cls: type) -> type:
        known = _types.get(type_name)
        if known is not None and known.cls.__qualname__ != cls.__qualname__:
            raise ValueError(f"node type {type_name!r} is already registered by {known.module}")
        cls.type_name = type_name
        _types[type_name] = NodeType(
            type=type_name, cls=cls, module=cls.__module__, category=category, color=color,
            inputs=inputs, outputs=outputs, icon=icon, label=label, config_node=config_node,
            credentials=tuple(credentials),
            help=(cls.__doc__ or "").strip(),
        )
        return cls

    return deco


def get_type(type_name: str) -> NodeType | None:
    """The registered type, or None when no node module defines it (whether an engine has its
    set enabled is that engine's ``NodeSets.get_type``)."""
    return _types.get(type_name)


class NodeSets:
    """One engine's view of the node sets: which are disabled (``PUT /nodes/:set``) and which
    node modules failed to load (``load_errors``: module name → error text). As Node-RED's
    registry state, which belongs to its one runtime; here two engines in one process keep
    their own."""

    def __init__(self, load_errors: dict[str, str] | None = None) -> None:
        self.load_errors: dict[str, str] = dict(load_errors or {})
        self._disabled: set[str] = set()

    def set_enabled(self, set_id: str, enabled: bool) -> None:
        """Enable or disable a node set (e.g. ``flowred/inject``); a disabled set's types are
        missing types for this engine's next deploy."""
        if enabled:
            self._disabled.discard(set_id)
        else:
            self._disabled.add(set_id)

    def is_enabled(self, set_id: str) -> bool:
        """Whether the set is enabled (every set is, until disabled)."""
        return set_id not in self._disabled

    def get_type(self, type_name: str) -> NodeType | None:
        """The registered type, or None when no node module defines it or its set is disabled."""
        t = _types.get(type_name)
        if t is None or (self._disabled and t.set_id in self._disabled):
            return None
        return t


def all_types() -> list[NodeType]:
    return list(_types.values())


def admin_route(method: str, path: str, permission: str = "") -> Callable:
    """Decorator for an Admin API route owned by a node module, e.g. ``POST /inject/{id}``, on
    ``async def handler(runtime, params, body) -> (status, body)`` (see AdminRoute;
    ``runtime`` is an AdminRuntime, never the engine)."""

    def deco(fn: Callable) -> Callable:
        _routes.append(AdminRoute(method.upper(), path, fn, permission))
        return fn

    return deco


def admin_routes() -> list[AdminRoute]:
    return list(_routes)


def load_node_packages() -> dict[str, str]:
    """Import every module of every package in the ``flowred.nodes`` entry point group, but the
    helper modules a package lists in ``HELPER_MODULES`` (see ``_import_package``).

    The packages are scanned once per process; a later call only tries again the modules that
    failed. Returns the failures, module name → ``"<Error>: <text>"`` (an engine keeps them in
    its NodeSets). As Node-RED's registry, a module that fails to import is logged with its
    error and skipped: its types are then missing types, which stop the flows that use them.
    """
    global _scanned
    errors: dict[str, str] = {}
    if _scanned is not None:
        for name in _scanned:
            if name not in sys.modules:
                _import(name, errors)
        return errors
    _scanned = []
    for ep in entry_points(group="flowred.nodes"):
        _scanned.append(ep.value)
        pkg = _import(ep.value, errors)
        if pkg is not None:
            _import_package(pkg, errors)
    return errors


def _import_package(pkg: Any, errors: dict[str, str]) -> None:
    """Import the modules and subpackages of ``pkg``, depth first, except those its
    ``HELPER_MODULES`` names (module names relative to it): helpers register no node type and
    are imported by the node modules that use them, when they use them, so that a library only
    some node types need (a YAML parser, JSON Schema) costs nothing when no flow uses them."""
    helpers = frozenset(getattr(pkg, "HELPER_MODULES", ()))
    for info in pkgutil.iter_modules(getattr(pkg, "__path__", []), prefix=pkg.__name__ + "."):
        if info.name.rpartition(".")[2] in helpers:
            continue
        _scanned.append(info.name)
        module = _import(info.name, errors)
        if info.ispkg and module is not None:
            _import_package(module, errors)


def _import(name: str, errors: dict[str, str]):
    try:
        return importlib.import_module(name)
    except Exception as err:  # a broken node module must not stop the others from loading
        errors[name] = f"{type(err).__name__}: {err}"
        logger.error(f"Failed to load node module {name}: {type(err).__name__}: {err}")
        return None
