"""The emulator's vector stores, their files and file batches, and search, driven with the real
``openai`` SDK (including its polling helpers): state is kept per emulator."""
from __future__ import annotations

import openai
import pytest

from flowred.openai_emulator import Emulator

from conftest import EMULATOR_KEY


@pytest.fixture
async def client(emulator: Emulator):
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0) as c:
        yield c


async def upload(client, text: str, name: str = "notes.txt") -> str:
    return (await client.files.create(file=(name, text.encode()), purpose="assistants")).id


async def test_a_store_made_from_files_is_listed_retrieved_updated_and_deleted(client):
    file_id = await upload(client, "twelve bytes")
    store = await client.vector_stores.create(name="docs", file_ids=[file_id], metadata={"team": "a"},
                                              expires_after={"anchor": "last_active_at", "days": 2})
    assert store.status == "completed" and store.file_counts.completed == store.file_counts.total == 1
    assert store.usage_bytes == 12 and store.expires_at == store.created_at + 2 * 86400
    assert (await client.vector_stores.retrieve(store.id)).name == "docs"
    assert [s.id for s in (await client.vector_stores.list()).data] == [store.id]
    assert (await client.vector_stores.update(store.id, name="renamed")).name == "renamed"
    deleted = await client.vector_stores.delete(store.id)
    assert deleted.deleted and deleted.object == "vector_store.deleted"
    with pytest.raises(openai.NotFoundError):
        await client.vector_stores.retrieve(store.id)
    with pytest.raises(openai.NotFoundError) as caught:
        await client.vector_stores.create(file_ids=["file-missing"])
    assert caught.value.param == "file_id"


async def test_files_and_batches_with_the_sdks_polling_helpers(client):
    store = await client.vector_stores.create(name="docs")
    first = await client.vector_stores.files.create_and_poll(file_id=await upload(client, "alpha"),
                                                             vector_store_id=store.id, attributes={"n": 1})
    assert first.status == "completed" and first.attributes == {"n": 1} and first.vector_store_id == store.id
    batch = await client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, file_ids=[await upload(client, "beta"), await upload(client, "gamma")])
    assert batch.status == "completed" and batch.file_counts.completed == 2
    in_batch = await client.vector_stores.file_batches.list_files(batch_id=batch.id, vector_store_id=store.id)
    assert len(in_batch.data) == 2
    listed = await client.vector_stores.files.list(store.id)
    assert len(listed.data) == 3 and (await client.vector_stores.retrieve(store.id)).file_counts.total == 3
    content = await client.vector_stores.files.content(file_id=first.id, vector_store_id=store.id)
    assert [part.text for part in content.data] == ["alpha"]
    assert (await client.vector_stores.files.delete(file_id=first.id, vector_store_id=store.id)).deleted
    assert len((await client.vector_stores.files.list(store.id)).data) == 2
    assert (await client.files.retrieve(first.id)).id == first.id  # the upload itself stays


async def test_search_scores_by_shared_words_and_applies_attribute_filters(client):
    store = await client.vector_stores.create(name="notes")
    for text, attributes in (("release alignment notes", {"team": "platform", "status": "published", "v": 3}),
                             ("release notes, archived", {"team": "platform", "status": "archived", "v": 1}),
                             ("lunch menu", {"team": "kitchen", "status": "published", "v": 2})):
        await client.vector_stores.files.create(vector_store_id=store.id, file_id=await upload(client, text),
                                                attributes=attributes)
    found = await client.vector_stores.search(store.id, query="release alignment notes")
    assert [(r.content[0].text, r.score) for r in found.data] == [("release alignment notes", 1.0),
                                                                  ("release notes, archived", 0.6667)]
    assert found.search_query == ["release alignment notes"]
    filters = {"type": "and", "filters": [{"type": "in", "key": "team", "value": ["platform", "integrations"]},
                                          {"type": "nin", "key": "status", "value": ["archived", "draft"]}]}
    filtered = await client.vector_stores.search(store.id, query="release notes", filters=filters, max_num_results=5)
    assert [r.attributes["status"] for r in filtered.data] == ["published"]
    newer = await client.vector_stores.search(store.id, query="release menu",
                                              filters={"type": "gte", "key": "v", "value": 2})
    assert sorted(r.content[0].text for r in newer.data) == ["lunch menu", "release alignment notes"]
    with pytest.raises(openai.BadRequestError) as caught:
        await client.vector_stores.search(store.id, query="x", max_num_results=51)
    assert caught.value.param == "max_num_results"
