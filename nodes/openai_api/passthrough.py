"""When a method's request can go out as its JSON body unchanged, skipping the SDK's parameter
transform.

openai-python's resource methods run their keyword arguments through ``async_maybe_transform``
against the method's params ``TypedDict`` before posting them: a recursive walk of the data
along the type (about 60% of the SDK's CPU for a chat completion). For data read from a msg
(JSON: dicts, lists, strings, numbers, booleans, null) that walk changes nothing unless a
field of the type tree renames its key (``PropertyInfo(alias=...)``): its formats apply only to
``date``/``datetime`` values and files, which JSON does not hold, and it keeps unknown keys as
they are. The package sends such requests to openai-node unchanged too.

A method of the table names its params type in ``Method.json_body`` (``"module:Name"``, the
type the SDK transforms its non-streaming body against); :func:`json_body_ready` resolves it
once and says whether its tree has no alias, so the node may post the request through the
client's ``post`` (auth, retries, errors as the SDK's) with the same body. When the installed
SDK renames a field or lacks the type, the method goes through the SDK function as before.
"""
from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any, Literal

import typing_extensions as typing

__all__ = ["json_body_ready", "has_alias"]


@lru_cache(maxsize=None)
def json_body_ready(params_type: str) -> bool:
    """True when the SDK's params type ``params_type`` (``"openai.types...module:Name"``) exists
    and its transform is the identity for JSON data (:func:`has_alias` finds none)."""
    module, _, name = params_type.partition(":")
    try:
        return not has_alias(getattr(importlib.import_module(module), name))
    except Exception:  # noqa: BLE001 - a type the installed SDK lacks or cannot resolve: the SDK's own path
        return False


def has_alias(tp: Any, _seen: dict[int, Any] | None = None) -> bool:
    """True when the type ``tp`` (a params TypedDict, a Union, List, Iterable, Dict, Required,
    Optional, Annotated... of them) holds a ``PropertyInfo`` with an ``alias`` anywhere, i.e.
    when the SDK's transform may rename a key."""
    from openai._utils._transform import PropertyInfo

    seen = {} if _seen is None else _seen
    if id(tp) in seen:
        return False
    seen[id(tp)] = tp  # kept alive, so its id is not reused by another type while walking
    for meta in getattr(tp, "__metadata__", ()):  # Annotated[T, PropertyInfo(...)]
        if isinstance(meta, PropertyInfo) and meta.alias is not None:
            return True
    if typing.is_typeddict(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        return any(has_alias(hint, seen) for hint in hints.values())
    if typing.get_origin(tp) in (Literal, typing.Literal):
        return False
    return any(has_alias(arg, seen) for arg in typing.get_args(tp) if not isinstance(arg, (str, int, float, bool)))
