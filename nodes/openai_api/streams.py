"""Streaming calls: one ``("event", event)`` per server-sent event, then ``("final", result)``.

The package sends each chunk as its own msg and no final msg (node.js, chat and responses
methods.js), except ``streamModelResponse``, which also sends ``finalResponse()``. Here every
stream ends with the complete result, built as the table's :class:`~.spec.Stream` says:
``CHAT`` accumulates ``chat.completion.chunk`` events into one ``chat.completion`` (the SDK's
``ChatCompletionStreamState``), ``RESPONSE`` takes the ``response`` of the last
``response.completed``/``failed``/``incomplete`` event, ``LAST`` the last event.
"""
from __future__ import annotations

from typing import Any, AsyncIterator, Callable

from .jsonable import to_json
from .output_text import add_output_text
from .spec import Method, Result, Stream


async def stream_events(fn: Callable[..., Any], method: Method, kwargs: dict[str, Any]
                        ) -> AsyncIterator[tuple[str, Any]]:
    """Runs the streaming SDK call ``fn(**kwargs)`` and yields its events and final result."""
    if method.result is Result.EVENTS:  # an SDK stream manager (responses.stream)
        async with fn(**kwargs) as stream:
            async for event in stream:
                yield "event", _as_sent(to_json(event))
            yield "final", add_output_text(to_json(await stream.get_final_response()), parsed=True,
                                          text=False)
        return
    from openai.lib.streaming.chat import ChatCompletionStreamState

    chat = ChatCompletionStreamState() if method.stream is Stream.CHAT else None
    last: Any = None
    final: Any = None
    stream = fn(**kwargs)
    if not hasattr(stream, "__aiter__"):
        stream = await stream
    async with stream:
        async for event in stream:
            last = event
            if chat is not None:
                chat.handle_chunk(event)
            elif getattr(event, "type", None) in ("response.completed", "response.failed", "response.incomplete"):
                final = event.response
            yield "event", to_json(event)
    if chat is not None:
        final = chat.get_final_completion() if last is not None else None
    elif method.stream is not Stream.RESPONSE or final is None:
        final = last
    yield "final", to_json(final)


def _as_sent(event: Any) -> Any:
    """A ``responses.stream`` event as OpenAI sent it, as the package's msgs carry it: without
    the SDK's own ``snapshot`` (text deltas) and ``parsed`` (text done) fields."""
    if isinstance(event, dict):
        event.pop("snapshot", None)
        event.pop("parsed", None)
    return event
