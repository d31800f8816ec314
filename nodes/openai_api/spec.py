"""How one method of the OpenAI API node is described: the entry type of the method table.

A :class:`Method` names the package's method (``@inductiv/node-red-openai-api`` src/<area>/
methods.js), the ``AsyncOpenAI`` attribute path that serves it, the first HTTP request it makes,
which request fields are file uploads, and how the result is shaped. The request object of a
msg is split from this alone: ``{placeholders}`` of the HTTP path are required path parameters,
fields the SDK method names are passed as its keyword arguments, and any other field goes to
``extra_query`` (``GET``/``DELETE``) or ``extra_body`` (other verbs), so nothing is dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping


class Result(str, Enum):
    """How the answer becomes the node's result."""

    OBJECT = "object"    # one request; the JSON body as OpenAI sent it
    LIST = "list"        # one request; the page's ``data`` items (or every page's, with allPages)
    BINARY = "binary"    # one request; the body as bytes (audio, file and video content)
    CONFIRM = "confirm"  # one request without a body; the ``confirm`` object is the result
    COMPOSED = "composed"  # an SDK convenience method (poll, upload, parse); may make several requests
    EVENTS = "events"    # an SDK stream manager (responses.stream): always streams
    LOCAL = "local"      # no request at all (webhook signatures)
    SESSION = "session"  # a websocket the node keeps open (responses.connect): see responses_websocket.py


class Stream(str, Enum):
    """How the complete result of a stream is built from its events."""

    CHAT = "chat"          # chat.completion.chunk events accumulated into one chat.completion
    RESPONSE = "response"  # the ``response`` of the last response.completed/failed/incomplete event
    LAST = "last"          # the last event (transcript.text.done, image_generation.completed, ...)


SINGLE_REQUEST = (Result.OBJECT, Result.LIST, Result.BINARY, Result.CONFIRM)


@dataclass(frozen=True)
class Method:
    """One entry of the method table.

    ``http``: ``"VERB /path/{param}"`` relative to the API base, of the first request the SDK
    makes (None for ``LOCAL`` and ``SESSION``). ``files``: request fields uploaded as files (a path, bytes,
    base64 or ``{filename, data|path, contentType}``). ``stream``: set when ``stream: true`` in
    the request (or, for ``EVENTS``, always) makes the answer a stream of events.
    ``defaults``: fields filled in when the request leaves them out. ``confirm``: the result of
    a ``CONFIRM``/``LOCAL`` method whose SDK call returns nothing, merged with its path
    parameters (e.g. ``{"call_id": ..., "status": "accepted"}``). ``as_is``: the request object
    is the JSON body, sent unchanged through the SDK's generic ``post`` (no parameter
    transforms; the package passes these requests through), with the SDK's auth, retries
    and errors. ``pick``: the body field that is the parsed result (the package returns
    ``response.data`` of embeddings and images). ``output_text``: the parsed result gets
    openai-node's ``output_text`` (and, for ``COMPOSED``, ``output_parsed``), see
    :func:`.output_text.add_output_text`. ``options``: request fields the package takes out of
    the body and passes as the SDK call's options (``{pollIntervalMs}``, ``{pollIntervalMs,
    maxConcurrency}``, the webhook ``tolerance``), mapped to the Python SDK keyword that does
    the same (``poll_interval_ms``, ``max_concurrency``, ``tolerance``); never sent to OpenAI.
    ``json_body``: the SDK params type (``"module:Name"``) of a JSON POST whose non-streaming
    request may be posted as its body unchanged when that type renames no key (see
    :mod:`.passthrough`), skipping the SDK's parameter transform.
    """

    name: str
    group: str
    sdk: str
    http: str | None
    result: Result = Result.OBJECT
    files: tuple[str, ...] = ()
    stream: Stream | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    confirm: Mapping[str, Any] | None = None
    as_is: bool = False
    pick: str | None = None
    output_text: bool = False
    options: Mapping[str, str] = field(default_factory=dict)
    json_body: str | None = None

    @property
    def verb(self) -> str | None:
        """``GET``, ``POST`` or ``DELETE``; None for a method that makes no request."""
        return self.http.split(" ", 1)[0] if self.http else None

    @property
    def path(self) -> str | None:
        """The path template, e.g. ``/chat/completions/{completion_id}``."""
        return self.http.split(" ", 1)[1] if self.http else None

    @property
    def path_params(self) -> tuple[str, ...]:
        """The request fields that fill the path, in path order."""
        return tuple(re.findall(r"{(\w+)}", self.path or ""))

    @property
    def single_request(self) -> bool:
        """True when one HTTP request answers it, so ``resultFormat: raw`` applies."""
        return self.result in SINGLE_REQUEST
