"""SDK results as JSON-ready msg values."""
from __future__ import annotations

from typing import Any


def to_json(value: Any) -> Any:
    """An SDK result as JSON-ready data: models via the SDK's ``to_dict`` (the fields OpenAI
    sent, unknown ones included; no serializer warnings for the SDK's generic parsed types),
    lists element-wise; anything else unchanged."""
    from openai import BaseModel  # loaded by the call that made ``value``

    if isinstance(value, BaseModel):
        return value.to_dict(mode="json", warnings=False)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value
