"""Request bodies of the emulator's chat, responses, embeddings and moderations endpoints.

Only the fields the emulator uses are declared, with OpenAI's types and limits; other fields
are accepted (OpenAI's API has many) and ignored. ``stream`` must be a boolean.
"""
from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field


class Lenient(BaseModel):
    """Unknown fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")


class ChatMessage(Lenient):
    """One message; ``content`` is text or a list of parts (``{"type": "text", "text"}``...)."""

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Union[str, list[dict[str, Any]], None] = None


class StreamOptions(Lenient):
    include_usage: bool = False


class ChatCompletionRequest(Lenient):
    """``POST /v1/chat/completions``."""

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=128)


class ResponseRequest(Lenient):
    """``POST /v1/responses``: ``input`` is text or a list of items (messages with text parts)."""

    model: str
    input: Union[str, list[dict[str, Any]]] = ""
    instructions: str | None = None
    stream: bool = False


class EmbeddingRequest(Lenient):
    """``POST /v1/embeddings``: text, texts, or token arrays; vectors of ``dimensions`` (8)."""

    model: str
    input: Union[str, list[str], list[int], list[list[int]]]
    dimensions: int | None = Field(None, ge=1, le=3072)
    encoding_format: Literal["float", "base64"] = "float"


class ModerationRequest(Lenient):
    """``POST /v1/moderations``: text or texts."""

    input: Union[str, list[str], list[dict[str, Any]]]
    model: str = "omni-moderation-latest"
