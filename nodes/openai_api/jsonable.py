"""SDK results as JSON-ready msg values."""
from __future__ import annotations

from typing import Any


def to_json(value: Any) -> Any:
    """An SDK result as JSON-ready data: models via the SDK's ``to_dict`` (the fields OpenAI
    sent, unknown ones included; no serializer warnings for the SDK's generic parsed types),
    lists element-wise; anything else unchanged. Fields the SDK types as float but OpenAI sends
    as integers (``created_at``...) are integers again, as in the package's msgs (JavaScript
    has one number type: ``1796318582`` stays ``1796318582``, not ``1796318582.0``)."""
    from openai import BaseModel  # loaded by the call that made ``value``

    if isinstance(value, BaseModel):
        return _js_numbers(value.to_dict(mode="json", warnings=False))
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def _js_numbers(value: Any) -> Any:
    """``value`` with integral floats (within 2**53) as ints, in dicts and lists."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= 2**53 else value
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value
