"""openai-node's conveniences on Responses API results, which the package's msgs carry."""
from __future__ import annotations

from typing import Any


def add_output_text(response: Any, parsed: bool = False, text: bool = True) -> Any:
    """``response`` (a Responses API object as a dict) with ``output_text``: the text of every
    ``output_text`` part of its ``message`` outputs, joined, as openai-node's
    ``addOutputText``; with ``parsed`` also ``output_parsed``, the first such part's
    ``parsed`` that is not None (else None), as openai-node's ``parseResponse``. Anything that
    is not a ``response`` object is returned as it is. ``text=False`` leaves ``output_text``
    out: the package's ``streamModelResponse`` result (openai-node's ``finalResponse()``) has
    ``output_parsed`` but no ``output_text``, as checked against Node-RED."""
    if not isinstance(response, dict) or response.get("object") != "response":
        return response
    parts = [part for item in response.get("output") or () if isinstance(item, dict) and item.get("type") == "message"
             for part in item.get("content") or () if isinstance(part, dict) and part.get("type") == "output_text"]
    if text:
        response["output_text"] = "".join(str(part.get("text", "")) for part in parts)
    if parsed:
        response["output_parsed"] = next((p["parsed"] for p in parts if p.get("parsed") is not None), None)
    return response
