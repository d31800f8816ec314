"""The request and response bodies of the Admin API as pydantic models: the handlers parse
their JSON bodies with them (``parse_model``) and runtime.api.openapi publishes their JSON
schemas. Shapes are Node-RED's (editor-api/lib/admin, editor-api/lib/auth)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from ..loader import NodeShape

__all__ = ["parse_model", "ApiError", "RunState", "Enabled", "DeployV2", "FlowsV2", "Rev", "FlowId",
           "TokenRequest", "TokenResponse", "OAuthError", "RevokeRequest", "TraceState", "TracePath",
           "Example", "NodeSet", "ContextValue", "DebugNodes", "FlowList", "NodeShape"]


class _Body(BaseModel):
    model_config = ConfigDict(strict=True)


def parse_model(model: type[BaseModel], body: Any) -> Any:
    """``body`` (parsed JSON) validated as ``model`` (strict: no type coercion). Raises
    ValueError (pydantic's ValidationError) when it does not fit."""
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object for {model.__name__}")
    return model.model_validate(body)


class ApiError(BaseModel):
    """Every Admin API error: ``{code, message}`` (Node-RED's rejectHandler); ``invalid_flow``
    adds ``errors``, one per problem, located by node id, type and field."""

    code: str
    message: str
    errors: list[dict[str, Any]] | None = None


class RunState(_Body):
    """``GET|POST /flows/state``: whether the flows run."""

    state: Literal["start", "stop"]


class Enabled(_Body):
    """``PUT /nodes/:set`` and ``POST /trace``: switch on or off."""

    enabled: bool


class FlowList(RootModel[list[NodeShape]]):
    """A flow: the array of node objects (Node-RED's flow file format)."""


class DeployV2(_Body):
    """``POST /flows`` with ``Node-RED-API-Version: v2``: the flows, the rev they were edited
    from (409 when stale) and credentials by node id."""

    flows: list[dict[str, Any]]
    rev: str | None = None
    credentials: dict[str, dict[str, Any]] | None = None


class FlowsV2(BaseModel):
    """``GET /flows`` (v2): the flows and their rev (sha256 of the compact JSON)."""

    flows: list[dict[str, Any]]
    rev: str


class Rev(BaseModel):
    rev: str


class FlowId(BaseModel):
    id: str


class TokenRequest(BaseModel):
    """``POST /auth/token`` (form or JSON): OAuth2 password grant."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    client_id: str | None = None
    grant_type: str = "password"
    scope: str | None = None
    username: str = ""
    password: str = ""


class TokenResponse(BaseModel):
    access_token: str
    expires_in: int
    token_type: Literal["Bearer"]


class OAuthError(BaseModel):
    """An OAuth2 error (``invalid_grant``, ``too_many_requests``), as Node-RED's oauth2orize."""

    error: str


class RevokeRequest(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    token: str = ""


class TraceState(BaseModel):
    enabled: bool
    capacity: int


class TracePath(BaseModel):
    msgid: str
    hops: list[dict[str, Any]]


class Example(BaseModel):
    name: str
    file: str


class NodeSet(BaseModel):
    """A node set as Node-RED's ``GET /nodes`` lists it."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    module: str
    version: str
    types: list[str]
    enabled: bool
    local: bool = False
    user: bool = False


class ContextValue(BaseModel):
    """One context value as the debug sidebar encodes it; ``store`` when not the default."""

    msg: Any = None
    format: str
    store: str | None = None


class DebugNodes(_Body):
    """``POST /debug/enable|disable``: the debug node ids to switch."""

    nodes: list[Any] = Field(default_factory=list)
