"""The fields every node of a Node-RED flow file has, as a pydantic model.

Node types subclass ``NodeConfig`` with their own fields and defaults (as in their Node-RED
``.html`` ``defaults``). Unknown fields are kept (``extra="allow"``): the runtime stores the flow
as it was given, so an export gives back what was imported.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["NodeConfig", "TabConfig", "TypedValue"]


class NodeConfig(BaseModel):
    """Common node fields (Node-RED flow file format, spec §1).

    ``wires`` is one list of target ids per output; ``x``/``y`` absent means a config node;
    ``d`` true means disabled (never started); ``g`` the group id.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True, defer_build=True)

    id: str
    type: str
    z: str = ""
    name: str = ""
    wires: list[list[str]] = Field(default_factory=list)
    x: float | None = None
    y: float | None = None
    d: bool = False
    g: str | None = None

    @field_validator("name", "z", mode="before")
    @classmethod
    def _none_as_empty(cls, v: Any) -> Any:
        return "" if v is None else v

    @field_validator("wires", mode="before")
    @classmethod
    def _wires_shape(cls, v: Any) -> Any:
        if v is None:
            return []
        return v


class TabConfig(BaseModel):
    """A flow tab: ``{id, type:"tab", label, disabled, info, env:[{name, value, type}]}``."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: str = "tab"
    label: str = ""
    disabled: bool = False
    info: str = ""
    env: list[dict[str, Any]] = Field(default_factory=list)


class TypedValue(BaseModel):
    """One entry of a property list such as the inject node's ``props``: ``{p, v, vt}``.

    ``p`` is the msg property to set, ``v`` the value as text, ``vt`` its type (Node-RED's
    typedInput types: str num bool json bin date env flow global msg jsonata re).
    """

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    p: str
    v: Any = None
    vt: str | None = None
