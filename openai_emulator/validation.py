"""Authentication and request-body validation with OpenAI's error messages."""
from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .errors import BAD_JSON, BAD_KEY, NO_KEY, OpenAIError

API_KEYS = web.AppKey("api_keys", frozenset[str])
M = TypeVar("M", bound=BaseModel)

_EXPECTED = {
    "string_type": "a string", "int_type": "an integer", "int_from_float": "an integer",
    "float_type": "a decimal", "bool_type": "a boolean", "list_type": "an array",
    "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
}


def authenticate(request: web.Request) -> None:
    """OpenAI's 401 unless the request has ``Authorization: Bearer <key>`` with an accepted key."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise OpenAIError(401, NO_KEY)
    accepted = request.app[API_KEYS]
    if accepted and key not in accepted:
        raise OpenAIError(401, BAD_KEY.format(mask_key(key)), code="invalid_api_key")


def mask_key(key: str) -> str:
    """A key as OpenAI's errors show it: the first 3 and last 4 characters with ``*`` between;
    keys of 8 characters or fewer unchanged."""
    if len(key) <= 8:
        return key
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


async def validated(request: web.Request, model: type[M]) -> M:
    """The JSON body (empty: ``{}``) as ``model``; OpenAI's 400 for bad JSON or a bad field."""
    raw = await request.text()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise OpenAIError(400, BAD_JSON) from None
    return validate(model, body)


def validate(model: type[M], body: Any, strict: bool = True) -> M:
    """``body`` as ``model`` (``strict``: no type coercion, as for JSON bodies; off for query
    strings); OpenAI's 400 naming the first bad parameter."""
    try:
        return model.model_validate(body, strict=strict)
    except ValidationError as exc:
        raise _invalid(exc, body) from None


def _invalid(exc: ValidationError, body: Any) -> OpenAIError:
    """The one error OpenAI would report for ``exc``: the first, or the most specific of the
    alternatives a union reported for the same parameter."""
    errors = [(_param(e, body), e) for e in exc.errors()]
    first = errors[0][0]
    related = [(p, e) for p, e in errors if p == first or p.startswith((first + ".", first + "["))]
    param, error = max(related, key=lambda pe: len(pe[0]))
    return _describe(param or None, error)


def _param(error: Any, body: Any) -> str:
    """The dotted parameter (``session.tools[0].name``; "" for the body itself) of a pydantic
    error, found by walking the request body along its ``loc``; union member tags are skipped."""
    path, value, loc = "", body, error["loc"]
    for i, segment in enumerate(loc):
        if isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and isinstance(segment, int) and segment < len(value):
            value = value[segment]
        elif not (i == len(loc) - 1 and error["type"] == "missing"):
            continue
        path += f"[{segment}]" if isinstance(segment, int) else f".{segment}" if path else segment
    return path


def _describe(param: str | None, error: Any) -> OpenAIError:
    kind, value = error["type"], error["input"]
    where = f"'{param}'" if param else "the request body"
    if kind == "missing":
        return OpenAIError(400, f"Missing required parameter: {where}.", param=param,
                           code="missing_required_parameter")
    if kind == "extra_forbidden":
        return OpenAIError(400, f"Unknown parameter: {where}.", param=param, code="unknown_parameter")
    if kind.startswith("union_tag") and isinstance(value, dict):  # a bad or missing "type"
        param = f"{param}.type" if param else "type"
        if "type" not in value:
            return _describe(param, {"type": "missing", "input": value})
        return OpenAIError(400, f"Invalid value for '{param}': {_show(value['type'])}. Supported "
                           f"values are: {error['ctx']['expected_tags']}.", param=param,
                           code="invalid_value")
    if kind in _EXPECTED or kind.startswith("union_tag"):
        expected = _EXPECTED.get(kind, "an object")
        return OpenAIError(400, f"Invalid type for {where}: expected {expected}, but got "
                           f"{_json_type(value)} instead.", param=param, code="invalid_type")
    detail = error["msg"][:1].lower() + error["msg"][1:]
    return OpenAIError(400, f"Invalid value for {where}: {detail}, but got {_show(value)} instead.",
                       param=param, code="invalid_value")


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a decimal"),
                       (str, "a string"), (list, "an array")):
        if isinstance(value, kind):
            return name
    return "an object"
