"""The emulator's stateful areas besides files and vector stores, driven with the real ``openai``
SDK: assistants, threads, messages and runs; conversations; ChatKit; fine-tuning jobs; batches
(answered by the emulator itself); videos and characters; image edits."""
from __future__ import annotations

import json
import warnings

import aiohttp
import openai
import pytest

from flowred.openai_emulator import Emulator

from conftest import EMULATOR_KEY


@pytest.fixture
async def client(emulator: Emulator):
    warnings.simplefilter("ignore", DeprecationWarning)  # Assistants and Sora are deprecated in the SDK
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0) as c:
        yield c


async def test_assistant_thread_run_and_messages(client):
    file_id = (await client.files.create(file=("a.txt", b"facts"), purpose="assistants")).id
    assistant = await client.beta.assistants.create(
        model="gpt-4o", name="helper", tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [file_id]}]}})
    [store_id] = assistant.tool_resources.file_search.vector_store_ids
    assert (await client.vector_stores.retrieve(store_id)).file_counts.total == 1
    assert (await client.beta.assistants.retrieve(assistant.id)).name == "helper"
    thread = await client.beta.threads.create(messages=[{"role": "user", "content": "ping pong"}])
    run = await client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed" and run.usage.completion_tokens == 2
    messages = await client.beta.threads.messages.list(thread.id, order="asc")
    assert [(m.role, m.content[0].text.value) for m in messages.data] == [("user", "ping pong"),
                                                                          ("assistant", "ping pong")]
    assert messages.data[1].run_id == run.id
    assert [r.id for r in (await client.beta.threads.runs.list(thread.id)).data] == [run.id]
    assert (await client.beta.threads.delete(thread.id)).deleted
    with pytest.raises(openai.NotFoundError):
        await client.beta.threads.messages.list("thread_missing")
    assert (await client.beta.assistants.delete(assistant.id)).deleted
    assert (await client.beta.assistants.list()).data == []


async def test_conversation_items_keep_their_fields(client):
    conversation = await client.conversations.create(items=[{"type": "message", "role": "user", "content": "hi"}])
    added = await client.conversations.items.create(conversation.id, items=[
        {"type": "message", "role": "assistant", "phase": "commentary",
         "content": [{"type": "output_text", "text": "Checking."}]}])
    assert added.data[0].phase == "commentary" and added.data[0].id.startswith("msg_")
    listed = await client.conversations.items.list(conversation.id)
    assert [i.role for i in listed.data] == ["user", "assistant"]  # oldest first, as OpenAI's
    assert listed.data[0].content[0].type == "input_text"
    item = await client.conversations.items.retrieve(added.data[0].id, conversation_id=conversation.id)
    assert item.content[0].text == "Checking."
    with pytest.raises(openai.NotFoundError):
        await client.conversations.items.create("conv_missing", items=[{"role": "user", "content": "x"}])


async def test_chatkit_sessions_and_seeded_threads(client, emulator):
    session = await client.beta.chatkit.sessions.create(user="u1", workflow={"id": "wf_1", "version": "2"},
                                                        expires_after={"anchor": "created_at", "seconds": 60})
    assert session.status == "active" and session.client_secret.startswith("ek_emulator_")
    assert (await client.beta.chatkit.sessions.cancel(session.id)).status == "cancelled"
    assert (await client.beta.chatkit.threads.list()).data == []
    async with aiohttp.ClientSession() as http:
        async with http.post(emulator.base_url.removesuffix("/v1") + "/__emulator/chatkit/threads",
                             json={"user": "u1", "title": "Hello"}) as resp:
            assert resp.status == 201
            thread = await resp.json()
    assert [t.id for t in (await client.beta.chatkit.threads.list(user="u1")).data] == [thread["id"]]
    assert (await client.beta.chatkit.threads.list(user="u2")).data == []
    assert (await client.beta.chatkit.threads.retrieve(thread["id"])).title == "Hello"
    assert (await client.beta.chatkit.threads.delete(thread["id"])).deleted
    with pytest.raises(openai.NotFoundError):
        await client.beta.chatkit.threads.list_items(thread["id"])


async def test_fine_tuning_jobs_succeed_at_once(client):
    assert (await client.fine_tuning.jobs.list()).data == []
    training = (await client.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune")).id
    job = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training, suffix="demo")
    assert job.status == "succeeded" and job.fine_tuned_model.startswith("ft:gpt-4o-mini:emulator:demo:")
    assert [j.id for j in (await client.fine_tuning.jobs.list()).data] == [job.id]
    assert len((await client.fine_tuning.jobs.list_events(job.id)).data) == 2
    with pytest.raises(openai.NotFoundError):
        await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-missing")


async def test_a_batch_runs_its_lines_against_the_emulator(client):
    lines = [{"custom_id": "a", "method": "POST", "url": "/v1/embeddings",
              "body": {"model": "text-embedding-3-small", "input": "hello"}},
             {"custom_id": "b", "method": "POST", "url": "/v1/embeddings", "body": {"model": "m", "input": ""}},
             {"custom_id": "c", "method": "POST", "url": "/v1/chat/completions", "body": {}}]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    input_id = (await client.files.create(file=("in.jsonl", data), purpose="batch")).id
    batch = await client.batches.create(input_file_id=input_id, endpoint="/v1/embeddings", completion_window="24h")
    assert batch.status == "validating"
    done = await client.batches.retrieve(batch.id)
    assert done.status == "completed" and (done.request_counts.total, done.request_counts.failed) == (3, 2)
    output = [json.loads(line) for line in (await client.files.content(done.output_file_id)).text.splitlines()]
    assert [(o["custom_id"], o["response"]["status_code"]) for o in output] == [("a", 200), ("b", 400)]
    assert len(output[0]["response"]["body"]["data"][0]["embedding"]) == 8
    errors = [json.loads(line) for line in (await client.files.content(done.error_file_id)).text.splitlines()]
    assert [(e["custom_id"], e["error"]["code"]) for e in errors] == [("c", "mismatched_endpoint")]
    assert [b.id for b in (await client.batches.list()).data] == [batch.id]


async def test_videos_characters_and_content(client):
    video = await client.videos.create(prompt="A harbour", model="sora-2", seconds="8", size="1280x720")
    assert (video.status, video.progress, video.seconds, video.size) == ("completed", 100, "8", "1280x720")
    remix = await client.videos.remix(video.id, prompt="Warmer")
    assert remix.remixed_from_video_id == video.id and remix.prompt == "Warmer"
    extended = await client.post("/videos/extensions", cast_to=dict,
                                 body={"prompt": "More", "seconds": "16", "video": {"id": video.id}})
    assert extended["seconds"] == "16" and extended["remixed_from_video_id"] == video.id
    content = await client.videos.download_content(video.id)
    assert content.response.headers["content-type"] == "video/mp4" and content.read()[4:8] == b"ftyp"
    thumbnail = await client.videos.download_content(video.id, variant="thumbnail")
    assert thumbnail.read().startswith(b"\x89PNG")
    character = await client.videos.create_character(name="Lead", video=("clip.mp4", b"\x00\x00\x00\x18ftyp"))
    assert (await client.videos.get_character(character.id)).name == "Lead"
    assert (await client.videos.delete(video.id)).deleted
    with pytest.raises(openai.NotFoundError):
        await client.videos.retrieve(video.id)


async def test_image_edits_answer_pngs(client):
    edited = await client.images.edit(image=("in.png", b"\x89PNG fake"), prompt="add a dot", size="256x256", n=2)
    assert len(edited.data) == 2 and edited.data[0].b64_json
    with pytest.raises(openai.BadRequestError) as caught:
        await client.post("/images/edits", body={"prompt": "x"}, files=[], cast_to=object,
                          options={"headers": {"Content-Type": "multipart/form-data"}})
    assert caught.value.param == "image"
