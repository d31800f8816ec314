"""Every method-table entry resolves on the installed ``openai.AsyncOpenAI``: each resource of
its SDK path and the method itself exist (and, for methods answered by one request, the
``with_raw_response`` variant the node calls), so an SDK release that renames or removes one
fails here, not in a user's flow (the package's issue #34: vector stores moved out of ``beta``)."""
from __future__ import annotations

from typing import Any

import openai
import pytest

from flowred.nodes.openai_api.catalog import METHODS


@pytest.fixture(scope="module")
def client() -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="sk-paths", base_url="http://127.0.0.1:9/v1")


def missing_part(root: Any, path: str) -> str | None:
    """The first prefix of dotted ``path`` that ``root`` lacks (``"beta.assistants.lst"``), or
    None when the whole path resolves to a callable."""
    target, walked = root, []
    for part in path.split("."):
        walked.append(part)
        target = getattr(target, part, None)
        if target is None:
            return ".".join(walked)
    return None if callable(target) else path


def test_a_renamed_path_is_caught(client):
    assert missing_part(client, "beta.assistants.list") is None
    assert missing_part(client, "beta.assistants.lst") == "beta.assistants.lst"
    assert missing_part(client, "vector_store.files.list") == "vector_store"
    assert missing_part(client, "beta.chatkit") == "beta.chatkit"  # a resource, not a method


@pytest.mark.parametrize("method", METHODS.values(), ids=list(METHODS))
def test_entry_resolves_on_the_installed_sdk(client, method):
    gone = missing_part(client, method.sdk)
    assert gone is None, f"{method.name}: AsyncOpenAI has no {gone} (openai {openai.__version__})"
    if method.single_request and not method.as_is:  # calls.run asks for the raw HTTP response
        *resources, name = method.sdk.split(".")
        raw = ".".join([*resources, "with_raw_response", name])
        gone = missing_part(client, raw)
        assert gone is None, f"{method.name}: AsyncOpenAI has no {gone} (openai {openai.__version__})"
