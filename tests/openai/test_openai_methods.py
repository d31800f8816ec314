"""The method table: every method is called through the real SDK against a recording server on
loopback, and the HTTP method, path and body the SDK produced are checked; the table itself is
checked against the package's method list and the SDK's signatures."""
from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import time
from typing import Any

import openai
import pytest
from openai_recorder import BINARY, GENERIC, RESPONSE, Recorder

from flowred import NodeError
from flowred.nodes.openai_api.arguments import _parameters, sdk_function
from flowred.nodes.openai_api.calls import run
from flowred.nodes.openai_api.catalog import GROUPS, METHODS
from flowred.nodes.openai_api.spec import Result

# @inductiv/node-red-openai-api 6.34.0: the 155 runtime methods (spec §1, 27 areas)
PACKAGE_METHODS = """
listAssistants createAssistant getAssistant modifyAssistant deleteAssistant
createSpeech createTranscription createTranslation
createBatch retrieveBatch listBatch cancelBatch
createChatCompletion getChatCompletion getChatMessages listChatCompletions updateChatCompletion deleteChatCompletion
createChatKitSession cancelChatKitSession getChatKitThread listChatKitThreads deleteChatKitThread listChatKitThreadItems
listContainerFiles addContainerFile retrieveContainerFile deleteContainerFile downloadContainerFileContent
createContainer listContainers retrieveContainer deleteContainer
createConversation getConversation modifyConversation deleteConversation createConversationItem getConversationItem
listConversationItems deleteConversationItem
createEmbedding
createEval getEval modifyEval deleteEval listEvals createEvalRun getEvalRun listEvalRuns deleteEvalRun cancelEvalRun
getEvalRunOutputItem listEvalRunOutputItems
listFiles createFile deleteFile retrieveFile downloadFile
createFineTuningJob listPaginatedFineTuningJobs retrieveFineTuningJob listFineTuningEvents listFineTuningCheckpoints
cancelFineTuningJob
createImage createImageEdit createImageVariation
listMessages createMessage getMessage modifyMessage deleteMessage
listModels retrieveModel deleteModel
createModeration
createRealtimeClientSecret acceptRealtimeCall hangupRealtimeCall referRealtimeCall rejectRealtimeCall
createModelResponse parseModelResponse getModelResponse streamModelResponse deleteModelResponse cancelModelResponse
compactModelResponse listInputItems countInputTokens manageModelResponseWebSocket
createThreadAndRun listRuns createRun getRun modifyRun submitToolOutputsToRun cancelRun listRunSteps getRunStep
createSkill getSkill modifySkill deleteSkill listSkills getSkillContent createSkillVersion getSkillVersion
listSkillVersions deleteSkillVersion getSkillVersionContent
createThread getThread modifyThread deleteThread
createUpload addUploadPart completeUpload cancelUpload
createVectorStoreFileBatch createAndPollVectorStoreFileBatch retrieveVectorStoreFileBatch pollVectorStoreFileBatch
cancelVectorStoreFileBatch listVectorStoreBatchFiles uploadAndPollVectorStoreFileBatch
createVectorStoreFile createAndPollVectorStoreFile uploadVectorStoreFile uploadAndPollVectorStoreFile
pollVectorStoreFile listVectorStoreFiles retrieveVectorStoreFile modifyVectorStoreFile getVectorStoreFileContent
deleteVectorStoreFile
createVectorStore listVectorStores searchVectorStore retrieveVectorStore modifyVectorStore deleteVectorStore
createVideo getVideo listVideos deleteVideo createVideoCharacter downloadVideoContent editVideo extendVideo
getVideoCharacter remixVideo
unwrapWebhookEvent verifyWebhookSignature
""".split()

# a value for each parameter some SDK method requires besides its path parameters
SAMPLES: dict[str, Any] = {
    "assistant_id": "asst_1", "attributes": {"k": "v"}, "bytes": 4, "completion_window": "24h",
    "content": "hello", "data": b"part", "data_source": {"type": "jsonl", "source": {"type": "file_id", "id": "f"}},
    "data_source_config": {"type": "custom", "item_schema": {"type": "object"}}, "default_version": "2",
    "endpoint": "/v1/chat/completions", "file": b"file-bytes", "file_id": "file_1", "filename": "a.txt",
    "files": [b"one", b"two"], "image": b"image-bytes", "input": "hello", "input_file_id": "file_1",
    "items": [{"type": "message", "role": "user", "content": "hi"}], "messages": [{"role": "user", "content": "hi"}],
    "metadata": {"k": "v"}, "mime_type": "text/plain", "model": "gpt-4o-mini", "name": "n", "part_ids": ["part_1"],
    "prompt": "a cat", "purpose": "assistants", "query": "q", "role": "user", "seconds": "4",
    "target_uri": "tel:+14155550123", "testing_criteria": [], "tool_outputs": [{"tool_call_id": "c", "output": "o"}],
    "training_file": "file_1", "type": "realtime", "user": "u", "vector_store_id": "vs_1",
    "video": b"video-bytes", "voice": "alloy", "workflow": {"id": "wf_1"},
}
# convenience methods whose request needs more than their signature requires
NEEDS = {"streamModelResponse": {"model": "gpt-4.1", "input": "hello"}}
MARKER = {"x_marker": "m"}
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Assistants and Sora calls warn
REPLY = {Result.BINARY: "binary", Result.CONFIRM: "empty", Result.EVENTS: "sse"}
HTTP_METHODS = [m for m in METHODS.values() if m.http]


def sample_request(method) -> dict[str, Any]:
    request = {p: f"{p}_1" for p in method.path_params} | NEEDS.get(method.name, {})
    names, required, extras = _parameters(method.sdk)
    for name in required:
        if name not in request:
            request[name] = SAMPLES[name]
    return {**request, **MARKER} if extras else request


@pytest.fixture
async def recorder():
    rec = await Recorder().start()
    yield rec
    await rec.stop()


async def collect(client, method, request, **options) -> list[tuple[str, Any]]:
    return [pair async for pair in run(client, method, request, **options)]


# --- the table -------------------------------------------------------------------------------

def test_table_has_every_package_method_the_sdk_serves_plus_the_legacy_sessions():
    assert len(PACKAGE_METHODS) == len(set(PACKAGE_METHODS)) == 155
    expected = set(PACKAGE_METHODS) | {"createRealtimeSession", "createRealtimeTranscriptionSession"}
    assert set(METHODS) == expected and len(METHODS) == 157
    assert sum(len(names) for names in GROUPS.values()) == 157 and len(GROUPS) == 27


@pytest.mark.parametrize("method", METHODS.values(), ids=list(METHODS))
def test_entry_matches_the_sdk_signature(method):
    fn = sdk_function(openai.AsyncOpenAI(api_key="x", base_url="http://127.0.0.1/v1"), method)
    params = inspect.signature(fn).parameters
    assert set(method.path_params) <= set(params)
    file_params = {n for n, p in params.items() if "FileTypes" in str(p.annotation)
                   or n in ("input_reference", "video")}
    assert set(method.files) == file_params
    if method.stream and method.result is not Result.EVENTS:
        assert "stream" in params
    if method.single_request:
        assert sdk_function(openai.AsyncOpenAI(api_key="x", base_url="http://127.0.0.1/v1"), method, raw=True)


# --- every method against the recording server -----------------------------------------------

@pytest.mark.parametrize("method", HTTP_METHODS, ids=[m.name for m in HTTP_METHODS])
async def test_every_method_sends_the_request_the_sdk_builds(recorder, method):
    client = openai.AsyncOpenAI(api_key="sk-table", base_url=recorder.base_url, max_retries=0,
                                default_headers={"x-reply": REPLY.get(method.result, "json")})
    request = sample_request(method)
    async with client:
        pairs = await collect(client, method, request)
    first = recorder.requests[0]
    path = method.path.format(**request)
    assert (first["method"], first["path"]) == (method.verb, path)
    fields = {k: v for k, v in request.items() if k not in method.path_params}
    if method.verb in ("GET", "DELETE"):
        assert first["query"].items() >= {k: v for k, v in fields.items()}.items() and not first["raw"]
    elif method.result is Result.COMPOSED and path == "/files":  # upload, then attach
        assert first["content_type"] == "multipart/form-data"
        then = [r["path"] for r in recorder.requests if r["path"] != "/files"]
        assert then and then[0].startswith("/vector_stores/vs_1/")
    elif method.files and first["content_type"] == "multipart/form-data":
        raw = first["raw"]
        for name in fields:
            assert f'name="{name}'.encode() in raw, name
    else:
        body = first["body"]
        for name, value in fields.items():
            assert body[name] == value, name
        assert not set(method.path_params) & set(body)
    kinds = [kind for kind, _ in pairs]
    assert kinds == (["event", "event", "final"] if method.result is Result.EVENTS else ["result"])
    result = pairs[-1][1]
    if method.result is Result.LIST or method.pick == "data":  # the package's embeddings and images: .data
        assert result == GENERIC["data"]
    elif method.result is Result.BINARY:
        assert result == BINARY
    elif method.result is Result.CONFIRM:
        assert result == {**{p: request[p] for p in method.path_params}, **method.confirm}
    elif method.result is Result.EVENTS:
        assert result["id"] == RESPONSE["id"]
    else:
        assert result["id"] == GENERIC["id"]


async def test_client_secret_body_is_the_request_unchanged(recorder):
    request = {"expires_after": {"anchor": "created_at", "seconds": 600},
               "session": {"type": "realtime", "model": "gpt-realtime-1.5", "unknown_setting": {"a": [1, None]}},
               "top_level_extra": True}
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        await collect(client, METHODS["createRealtimeClientSecret"], request)
    assert recorder.requests[0]["body"] == request
    assert list(json.loads(recorder.requests[0]["raw"])) == list(request)


async def test_convenience_methods_that_cannot_forward_unknown_fields_refuse_them(recorder):
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        with pytest.raises(NodeError) as caught:
            await collect(client, METHODS["uploadVectorStoreFile"], {"vector_store_id": "vs", "file": b"x", "oops": 1})
    assert str(caught.value) == "uploadVectorStoreFile: unknown parameter(s) 'oops'"
    assert caught.value.details["code"] == "unknown_parameter" and recorder.requests == []


async def test_embeddings_ask_for_floats_unless_told(recorder):
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        await collect(client, METHODS["createEmbedding"], {"model": "m", "input": "a"})
        await collect(client, METHODS["createEmbedding"], {"model": "m", "input": "a", "encoding_format": "base64"})
    assert [r["body"]["encoding_format"] for r in recorder.requests] == ["float", "base64"]


async def test_files_accept_a_path_bytes_base64_and_a_named_object(recorder, tmp_path):
    path = tmp_path / "speech.mp3"
    path.write_bytes(b"from-a-path")
    inputs = [str(path), b"raw-bytes", base64.b64encode(b"from-base64").decode(),
              "data:audio/mpeg;base64," + base64.b64encode(b"from-data-url").decode(),
              {"filename": "named.wav", "data": base64.b64encode(b"named").decode(), "contentType": "audio/wav"},
              {"path": str(path)}]
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        for value in inputs:
            await collect(client, METHODS["createTranscription"], {"model": "whisper-1", "file": value})
    raws = [r["raw"] for r in recorder.requests]
    for raw, content in zip(raws, [b"from-a-path", b"raw-bytes", b"from-base64", b"from-data-url", b"named",
                                   b"from-a-path"], strict=True):
        assert content in raw
    assert b'filename="speech.mp3"' in raws[0] and b'filename="named.wav"' in raws[4]
    assert b"Content-Type: audio/wav" in raws[4]


async def test_list_methods_can_fetch_every_page(recorder):
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        [(_, items)] = await collect(client, METHODS["listFiles"], {"limit": 1}, all_pages=True)
    assert items == GENERIC["data"] and recorder.requests[0]["query"]["limit"] == "1"


async def test_raw_result_is_body_status_and_headers(recorder):
    async with openai.AsyncOpenAI(api_key="sk", base_url=recorder.base_url, max_retries=0) as client:
        [(_, raw)] = await collect(client, METHODS["listModels"], {}, raw=True)
    assert raw["status"] == 200 and raw["body"] == GENERIC
    assert raw["headers"]["content-type"].startswith("application/json")


# --- webhooks: no request, verified locally --------------------------------------------------

def signed(secret: str, payload: str) -> dict[str, str]:
    msg_id, stamp = "msg_1", str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{stamp}.{payload}".encode(), hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode()}


async def test_webhook_methods_verify_locally():
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "response.completed", "created_at": 1,
                          "data": {"id": "resp_1"}})
    headers = signed(secret, payload)
    client = openai.AsyncOpenAI(api_key="sk", base_url="http://127.0.0.1:9/v1")
    [(_, event)] = await collect(client, METHODS["unwrapWebhookEvent"],
                                 {"payload": payload, "headers": headers, "secret": secret})
    assert event["type"] == "response.completed" and event["data"] == {"id": "resp_1"}
    [(_, verified)] = await collect(client, METHODS["verifyWebhookSignature"],
                                    {"payload": payload, "headers": headers, "secret": secret})
    assert verified == {"verified": True}
    with pytest.raises(openai.InvalidWebhookSignatureError):
        await collect(client, METHODS["verifyWebhookSignature"],
                      {"payload": payload + " ", "headers": headers, "secret": secret})
