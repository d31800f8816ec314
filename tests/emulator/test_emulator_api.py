"""The emulator's chat, responses, embeddings, moderations, models and files endpoints, and its
fault injection, driven with the real ``openai`` SDK (and raw HTTP where the SDK hides details)."""
from __future__ import annotations

import math
import time

import aiohttp
import openai
import pytest

from flowred.openai_emulator import Emulator

from conftest import EMULATOR_KEY


@pytest.fixture
async def client(emulator: Emulator):
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0) as c:
        yield c


AUTH = {"Authorization": f"Bearer {EMULATOR_KEY}"}


# --- chat completions ------------------------------------------------------------------------

async def test_chat_completion_echoes_the_last_user_message(client):
    done = await client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}])
    assert done.object == "chat.completion" and done.id.startswith("chatcmpl-")
    assert done.choices[0].message.content == "hello there" and done.choices[0].finish_reason == "stop"
    assert done.usage.prompt_tokens == 4 and done.usage.completion_tokens == 2


async def test_chat_completion_streams_chunks_then_done(client):
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": [{"type": "text", "text": "one two three"}]}],
        stream=True, stream_options={"include_usage": True})
    chunks = [c async for c in stream]
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-1].usage.completion_tokens == 3


async def test_chat_completion_validation_errors(client):
    with pytest.raises(openai.BadRequestError) as caught:
        await client.post("/chat/completions", body={"messages": [{"role": "user", "content": "x"}]},
                          cast_to=object)
    assert caught.value.param == "model" and caught.value.code == "missing_required_parameter"
    with pytest.raises(openai.BadRequestError) as caught:
        await client.post("/chat/completions", body={"model": "m", "messages": [{"role": "robot"}]}, cast_to=object)
    assert caught.value.param == "messages[0].role" and caught.value.code == "invalid_value"


# --- responses -------------------------------------------------------------------------------

async def test_response_echoes_the_input(client):
    response = await client.responses.create(model="gpt-4.1", input="say this back")
    assert response.object == "response" and response.status == "completed"
    assert response.output_text == "say this back"


async def test_response_stream_follows_openais_event_sequence(client):
    stream = await client.responses.create(model="gpt-4.1", stream=True,
                                           input=[{"role": "user", "content": "a b"}])
    events = [e async for e in stream]
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds.count("response.output_text.delta") == 2 and kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].response.output_text == "a b"


async def test_response_stream_manager_gets_the_final_response(client):
    async with client.responses.stream(model="gpt-4.1", input="streamed") as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_response()
    assert final.output_text == "streamed"


# --- embeddings, moderations, models ---------------------------------------------------------

async def test_embeddings_are_deterministic_unit_vectors(client):
    first = await client.embeddings.create(model="text-embedding-3-small", input=["a", "b"], encoding_format="float")
    again = await client.embeddings.create(model="text-embedding-3-small", input="a", dimensions=8,
                                          encoding_format="float")
    assert len(first.data) == 2 and len(first.data[0].embedding) == 8
    assert first.data[0].embedding == again.data[0].embedding != first.data[1].embedding
    assert math.isclose(sum(v * v for v in first.data[0].embedding), 1, abs_tol=1e-4)
    decoded = await client.embeddings.create(model="text-embedding-3-small", input="a")  # SDK asks for base64
    assert [round(v, 4) for v in decoded.data[0].embedding] == [round(v, 4) for v in first.data[0].embedding]
    wide = await client.embeddings.create(model="text-embedding-3-small", input="a", dimensions=64)
    assert len(wide.data[0].embedding) == 64


async def test_moderations_flag_by_word(client):
    result = await client.moderations.create(input=["I will kill it", "nice day"])
    assert [r.flagged for r in result.results] == [True, False]
    assert result.results[0].categories.violence is True


async def test_models_list_and_retrieve(client):
    models = [m.id async for m in client.models.list()]
    assert "gpt-realtime" in models and "text-embedding-3-small" in models
    assert (await client.models.retrieve("gpt-4o")).owned_by == "system"
    with pytest.raises(openai.NotFoundError) as caught:
        await client.models.retrieve("gpt-nope")
    assert caught.value.code == "model_not_found"


# --- files -----------------------------------------------------------------------------------

async def test_files_upload_list_retrieve_download_delete(client):
    created = await client.files.create(file=("notes.jsonl", b'{"a": 1}\n', "application/jsonl"), purpose="batch")
    assert created.filename == "notes.jsonl" and created.bytes == 9 and created.status == "processed"
    other = await client.files.create(file=b"x", purpose="assistants")
    assert [f.id async for f in client.files.list()] == [other.id, created.id]
    assert [f.id async for f in client.files.list(purpose="batch")] == [created.id]
    page = await client.files.list(limit=1, order="asc")
    assert [f.id for f in page.data] == [created.id] and page.has_more
    assert (await client.files.retrieve(created.id)).purpose == "batch"
    assert (await client.files.content(created.id)).read() == b'{"a": 1}\n'
    deleted = await client.files.delete(created.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError) as caught:
        await client.files.retrieve(created.id)
    assert caught.value.body["message"] == f"No such File object: {created.id}"


async def test_file_upload_checks_its_purpose(client):
    with pytest.raises(openai.BadRequestError) as caught:
        await client.files.create(file=b"x", purpose="nonsense")
    assert caught.value.param == "purpose" and caught.value.code == "invalid_value"


# --- faults ----------------------------------------------------------------------------------

async def test_429_carries_retry_after_headers(emulator):
    async with aiohttp.ClientSession() as http:
        resp = await http.get(emulator.base_url + "/models",
                              headers={**AUTH, "x-emulator-status": "429", "x-emulator-retry-after": "0.25"})
        assert resp.status == 429
        assert resp.headers["retry-after"] == "1" and resp.headers["retry-after-ms"] == "250"
        assert (await resp.json())["error"]["code"] == "rate_limit_exceeded"


async def test_queued_faults_are_retried_by_the_sdk(emulator):
    emulator.fail(429, times=2, retry_after=0.01, path="/models")
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=2) as c:
        models = await c.models.list()
    assert models.data and len(emulator.requests) == 3


async def test_a_5xx_fault_is_a_server_error(client, emulator):
    emulator.fail(503)
    with pytest.raises(openai.InternalServerError) as caught:
        await client.models.list()
    assert caught.value.status_code == 503 and caught.value.type == "server_error"
    assert (await client.models.list()).data  # used up


async def test_a_dropped_connection_is_a_connection_error(client, emulator):
    emulator.fail("drop")
    with pytest.raises(openai.APIConnectionError):
        await client.models.list()
    with pytest.raises(openai.APIConnectionError):
        await client.get("/models", cast_to=object, options={"headers": {"x-emulator-status": "drop"}})


async def test_a_slow_answer_times_out(emulator):
    emulator.fail(delay=1.0)
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0,
                                  timeout=0.2) as c:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            await c.models.list()
    assert time.monotonic() - started < 0.9


async def test_faults_over_http_and_bad_faults(emulator):
    url = f"http://127.0.0.1:{emulator.port}/__emulator/faults"
    async with aiohttp.ClientSession() as http:
        resp = await http.post(url, json={"status": 500, "times": 1})
        assert resp.status == 201 and (await resp.json())["status"] == 500
        assert (await http.get(emulator.base_url + "/models", headers=AUTH)).status == 500
        assert (await http.post(url, json={"status": 404})).status == 400
        await http.post(url, json={"status": 500})
        assert (await http.delete(url)).status == 204
        assert (await http.get(emulator.base_url + "/models", headers=AUTH)).status == 200
        resp = await http.get(emulator.base_url + "/models", headers={**AUTH, "x-emulator-status": "418"})
        assert resp.status == 400
    with pytest.raises(ValueError):
        emulator.fail(404)
