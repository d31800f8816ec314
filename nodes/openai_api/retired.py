"""Methods of APIs OpenAI has retired, and the warning an OpenAI API node gives for them.

OpenAI retired the Assistants API (its Assistants, Threads, Runs and Messages) on 2026-08-26,
in favour of the Responses API and Conversations (openai-python marks those calls deprecated;
the package's issue #51). The node still makes the call: whether it answers is OpenAI's (or
an OpenAI-compatible server's) to say.
"""
from __future__ import annotations

from .spec import Method

RETIRED_ON = "2026-08-26"

REPLACEMENTS: dict[str, str] = {
    "Assistants": "the Responses API (createModelResponse, with instructions, tools and prompts)",
    "Threads": "Conversations (createConversation)",
    "Messages": "Conversation items (createConversationItem, listConversationItems)",
    "Runs": "the Responses API (createModelResponse with a conversation)",
}
"""Method group (the catalogue's) → what replaces it."""


def retirement_warning(method: Method | None) -> str | None:
    """The warning for a node calling ``method`` (e.g. ``"createThread: OpenAI retired the
    Assistants API (Assistants, Threads, Runs, Messages) on 2026-08-26; use Conversations
    (createConversation) instead. The call is still made."``), or None when its API is current."""
    if method is None or method.group not in REPLACEMENTS:
        return None
    return (f"{method.name}: OpenAI retired the Assistants API (Assistants, Threads, Runs, Messages) on "
            f"{RETIRED_ON}; use {REPLACEMENTS[method.group]} instead. The call is still made.")
