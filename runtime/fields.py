"""Config field types for Node-RED's lenient node settings, shared by every node's pydantic model.

Flows reach FlowRed as the editor (or a hand-edited file) wrote them: checkboxes as ``true`` or
``"true"``, numbers as text, ``""`` for a field left empty, ``null`` for one never set. Each type
here is ``Annotated[<type>, BeforeValidator(...)]``: the value is coerced once, at deploy, and the
JSON schema (what the editor builds its dialog from) stays that of the plain type, so a ``Flag``
is a checkbox, a ``Number[float]`` a number input and a ``Literal[...]`` a select. A value that
cannot work raises ValueError naming what was wrong; the loader reports it as
``node <id> (<type>) field '<field>': ...``.

``EmptyDefault[T]``, ``OrDefault[T]``, ``Number[T]``, ``NonNegative[T]`` and ``Integer[T]`` are
generic: ``T`` is the field's own type (``int``, ``float``, ``Literal["a", "b"]``, ``list[dict]``);
the field's default is what an empty value becomes::

    class ExampleConfig(NodeConfig):
        mode: OrDefault[Literal["count", "interval"]] = "count"
        timeout: NonNegative[float] = 5
        port: Port = 1883
        enabled: Flag = False
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BeforeValidator
from pydantic_core import PydanticUseDefault

from .jscompat import js_number_text
from .typed import TypedValueError, to_number

__all__ = ["EmptyDefault", "OrDefault", "Flag", "Bool", "TruthyFlag", "Text", "TrimmedText", "Number",
           "NonNegative", "Integer", "Port", "OptionalPort"]

T = TypeVar("T")


def _blank(v: Any) -> bool:
    """None, ``""`` or only whitespace: a field the editor left empty."""
    return v is None or (isinstance(v, str) and not v.strip())


def _empty_default(v: Any) -> Any:
    if v is None or v == "":
        raise PydanticUseDefault()
    return v


def _falsy_default(v: Any) -> Any:
    if not v:
        raise PydanticUseDefault()
    return v


EmptyDefault = Annotated[T, BeforeValidator(_empty_default)]
"""The field's default when the value is null or ``""``; anything else is validated as ``T``."""

OrDefault = Annotated[T, BeforeValidator(_falsy_default)]
"""Node-RED's ``n.field || default``: the field's default when the value is falsy (null, ``""``,
false, 0, an empty list or object); anything else is validated as ``T``."""


def _flag(v: Any) -> bool:
    return v is True or v == "true"


Flag = Annotated[bool, BeforeValidator(_flag)]
"""A checkbox read as Node-RED's ``n.field === true || n.field === "true"``: true for true or
the text ``"true"``, false for anything else (false, ``"false"``, ``""``, null)."""


def _bool(v: Any) -> Any:
    return False if v is None or v == "" else v


Bool = Annotated[bool, BeforeValidator(_bool)]
"""A checkbox that is false when null or ``""``, else a boolean as pydantic reads one (true/false,
``"true"``/``"false"``, 1/0 ...); other values are an error."""


def _truthy_flag(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() == "true"
    return bool(v)


TruthyFlag = Annotated[bool, BeforeValidator(_truthy_flag)]
"""A checkbox where text counts as true only when it says ``"true"`` (any case, spaces around
ignored) and any other value by its truthiness (null false, 1 true)."""


def _text(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return js_number_text(v)
    return v


def _trimmed_text(v: Any) -> Any:
    v = _text(v)
    return v.strip() if isinstance(v, str) else v


Text = Annotated[str, BeforeValidator(_text)]
"""Text: null is ``""``, a number or boolean becomes its JavaScript ``String()`` (``1`` → ``"1"``,
``true`` → ``"true"``); objects and lists are an error."""

TrimmedText = Annotated[str, BeforeValidator(_trimmed_text)]
"""``Text`` without the spaces around it (host names, URLs, file paths)."""


def _number(v: Any) -> int | float:
    if _blank(v):
        raise PydanticUseDefault()
    try:
        return to_number(v)
    except TypedValueError:
        raise ValueError(f"must be a number, not {v!r}") from None


def _non_negative(v: Any) -> int | float:
    n = _number(v)
    if n < 0:
        raise ValueError(f"must be a number >= 0, not {v!r}")
    return n


Number = Annotated[T, BeforeValidator(_number)]
"""A number, also given as text (``"1.5"``, ``"0x1f"``); null, ``""`` or spaces give the field's
default; other text is an error ("must be a number, not 'abc'")."""

NonNegative = Annotated[T, BeforeValidator(_non_negative)]
"""``Number`` that must not be negative ("must be a number >= 0, not '-1'")."""


def _integer(v: Any) -> int:
    if _blank(v):
        raise PydanticUseDefault()
    if isinstance(v, bool):
        raise ValueError(f"must be a whole number, not {v!r}")
    try:
        n = float(v.strip()) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        raise ValueError(f"must be a whole number, not {v!r}") from None
    if not math.isfinite(n):
        raise ValueError(f"must be a whole number, not {v!r}")
    return int(n)


Integer = Annotated[T, BeforeValidator(_integer)]
"""An integer, also given as text; a fraction is cut to its whole part (``"1.9"`` → 1); null,
``""`` or spaces give the field's default; other values are an error."""


def _port(v: Any) -> int:
    if _blank(v):
        raise PydanticUseDefault()
    if isinstance(v, bool):
        raise ValueError(f"port must be a number, got {v!r}")
    try:
        port = int(str(v).strip())
    except ValueError:
        raise ValueError(f"port must be a number, got {v!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"port must be 1-65535, got {v!r}")
    return port


def _optional_port(v: Any) -> int | str:
    return "" if _blank(v) else _port(v)


Port = Annotated[int, BeforeValidator(_port)]
"""A TCP/UDP port 1-65535, also given as text; empty gives the field's default, and is an error
("Field required") for a field without one."""

OptionalPort = Annotated[int | Literal[""], BeforeValidator(_optional_port)]
"""A port 1-65535, or ``""`` when the field is empty (not set: the node picks one or takes
``msg.port``)."""
