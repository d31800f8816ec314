"""The method table: every method name of ``@inductiv/node-red-openai-api`` 6.34.0 (its 155;
``manageModelResponseWebSocket`` is a websocket session manager on ``responses.connect``, run by
:mod:`.responses_websocket`), plus ``createRealtimeSession`` and
``createRealtimeTranscriptionSession`` for the legacy endpoints of seeds 001 and 003.

Names and groups are the package's (src/<area>/methods.js, the editor's ``<optgroup>``s); SDK
paths and HTTP requests are openai-python's (``openai/resources/...``), checked by
tests/openai/test_openai_methods.py against a recording server.
"""
from __future__ import annotations

from .spec import Method, Result, Stream

L, B, C, H, E, X = Result.LIST, Result.BINARY, Result.CONFIRM, Result.COMPOSED, Result.EVENTS, Result.LOCAL
S = Result.SESSION


def _m(group: str, rows: list[tuple]) -> list[Method]:
    """Rows of ``(name, sdk, http[, result][, {options}])`` → Methods of ``group``."""
    out = []
    for row in rows:
        name, sdk, http, *rest = row
        result = rest[0] if rest and isinstance(rest[0], Result) else Result.OBJECT
        options = rest[-1] if rest and isinstance(rest[-1], dict) else {}
        out.append(Method(name, group, sdk, http, result, **options))
    return out


_CHAT = {"stream": Stream.CHAT}
_RESPONSE = {"stream": Stream.RESPONSE}
_EVENTS = {"stream": Stream.LAST}
_FILE = {"files": ("file",)}
_AS_IS = {"as_is": True}
_DATA = {"pick": "data"}
_TEXT = {"output_text": True}
# the package's options argument (src/vector-store-file*/methods.js, src/webhooks/methods.js)
_POLL = {"options": {"pollIntervalMs": "poll_interval_ms"}}
_UPLOAD_POLL = {"options": {"pollIntervalMs": "poll_interval_ms", "maxConcurrency": "max_concurrency"}}
_TOLERANCE = {"options": {"tolerance": "tolerance"}}

_TABLE: list[Method] = [
    *_m("Assistants", [
        ("listAssistants", "beta.assistants.list", "GET /assistants", L),
        ("createAssistant", "beta.assistants.create", "POST /assistants"),
        ("getAssistant", "beta.assistants.retrieve", "GET /assistants/{assistant_id}"),
        ("modifyAssistant", "beta.assistants.update", "POST /assistants/{assistant_id}"),
        ("deleteAssistant", "beta.assistants.delete", "DELETE /assistants/{assistant_id}"),
    ]),
    *_m("Audio", [
        ("createSpeech", "audio.speech.create", "POST /audio/speech", B),
        ("createTranscription", "audio.transcriptions.create", "POST /audio/transcriptions",
         {**_FILE, **_EVENTS}),
        ("createTranslation", "audio.translations.create", "POST /audio/translations", _FILE),
    ]),
    *_m("Batch", [
        ("createBatch", "batches.create", "POST /batches"),
        ("retrieveBatch", "batches.retrieve", "GET /batches/{batch_id}"),
        ("listBatch", "batches.list", "GET /batches", L),
        ("cancelBatch", "batches.cancel", "POST /batches/{batch_id}/cancel"),
    ]),
    *_m("Chat", [
        ("createChatCompletion", "chat.completions.create", "POST /chat/completions",
         {**_CHAT, "json_body": "openai.types.chat.completion_create_params:CompletionCreateParamsNonStreaming"}),
        ("getChatCompletion", "chat.completions.retrieve", "GET /chat/completions/{completion_id}"),
        ("getChatMessages", "chat.completions.messages.list",
         "GET /chat/completions/{completion_id}/messages", L),
        ("listChatCompletions", "chat.completions.list", "GET /chat/completions", L),
        ("updateChatCompletion", "chat.completions.update", "POST /chat/completions/{completion_id}"),
        ("deleteChatCompletion", "chat.completions.delete", "DELETE /chat/completions/{completion_id}"),
    ]),
    *_m("ChatKit", [
        ("createChatKitSession", "beta.chatkit.sessions.create", "POST /chatkit/sessions"),
        ("cancelChatKitSession", "beta.chatkit.sessions.cancel", "POST /chatkit/sessions/{session_id}/cancel"),
        ("getChatKitThread", "beta.chatkit.threads.retrieve", "GET /chatkit/threads/{thread_id}"),
        ("listChatKitThreads", "beta.chatkit.threads.list", "GET /chatkit/threads", L),
        ("deleteChatKitThread", "beta.chatkit.threads.delete", "DELETE /chatkit/threads/{thread_id}"),
        ("listChatKitThreadItems", "beta.chatkit.threads.list_items", "GET /chatkit/threads/{thread_id}/items", L),
    ]),
    *_m("Container Files", [
        ("listContainerFiles", "containers.files.list", "GET /containers/{container_id}/files", L),
        ("addContainerFile", "containers.files.create", "POST /containers/{container_id}/files", _FILE),
        ("retrieveContainerFile", "containers.files.retrieve", "GET /containers/{container_id}/files/{file_id}"),
        ("deleteContainerFile", "containers.files.delete", "DELETE /containers/{container_id}/files/{file_id}", C,
         {"confirm": {"deleted": True}}),
        ("downloadContainerFileContent", "containers.files.content.retrieve",
         "GET /containers/{container_id}/files/{file_id}/content", B),
    ]),
    *_m("Containers", [
        ("createContainer", "containers.create", "POST /containers"),
        ("listContainers", "containers.list", "GET /containers", L),
        ("retrieveContainer", "containers.retrieve", "GET /containers/{container_id}"),
        ("deleteContainer", "containers.delete", "DELETE /containers/{container_id}", C,
         {"confirm": {"deleted": True}}),
    ]),
    *_m("Conversations", [
        ("createConversation", "conversations.create", "POST /conversations"),
        ("getConversation", "conversations.retrieve", "GET /conversations/{conversation_id}"),
        ("modifyConversation", "conversations.update", "POST /conversations/{conversation_id}"),
        ("deleteConversation", "conversations.delete", "DELETE /conversations/{conversation_id}"),
        ("createConversationItem", "conversations.items.create", "POST /conversations/{conversation_id}/items"),
        ("getConversationItem", "conversations.items.retrieve",
         "GET /conversations/{conversation_id}/items/{item_id}"),
        ("listConversationItems", "conversations.items.list", "GET /conversations/{conversation_id}/items", L),
        ("deleteConversationItem", "conversations.items.delete",
         "DELETE /conversations/{conversation_id}/items/{item_id}"),
    ]),
    *_m("Embeddings", [
        # float vectors in the body as sent, rather than the SDK's base64 default
        ("createEmbedding", "embeddings.create", "POST /embeddings",
         {"defaults": {"encoding_format": "float"}, **_DATA}),
    ]),
    *_m("Evals", [
        ("createEval", "evals.create", "POST /evals"),
        ("getEval", "evals.retrieve", "GET /evals/{eval_id}"),
        ("modifyEval", "evals.update", "POST /evals/{eval_id}"),
        ("deleteEval", "evals.delete", "DELETE /evals/{eval_id}"),
        ("listEvals", "evals.list", "GET /evals", L),
        ("createEvalRun", "evals.runs.create", "POST /evals/{eval_id}/runs"),
        ("getEvalRun", "evals.runs.retrieve", "GET /evals/{eval_id}/runs/{run_id}"),
        ("listEvalRuns", "evals.runs.list", "GET /evals/{eval_id}/runs", L),
        ("deleteEvalRun", "evals.runs.delete", "DELETE /evals/{eval_id}/runs/{run_id}"),
        ("cancelEvalRun", "evals.runs.cancel", "POST /evals/{eval_id}/runs/{run_id}/cancel"),
        ("getEvalRunOutputItem", "evals.runs.output_items.retrieve",
         "GET /evals/{eval_id}/runs/{run_id}/output_items/{output_item_id}"),
        ("listEvalRunOutputItems", "evals.runs.output_items.list",
         "GET /evals/{eval_id}/runs/{run_id}/output_items", L),
    ]),
    *_m("Files", [
        ("listFiles", "files.list", "GET /files", L),
        ("createFile", "files.create", "POST /files", _FILE),
        ("deleteFile", "files.delete", "DELETE /files/{file_id}"),
        ("retrieveFile", "files.retrieve", "GET /files/{file_id}"),
        ("downloadFile", "files.content", "GET /files/{file_id}/content", B),
    ]),
    *_m("Fine-tuning", [
        ("createFineTuningJob", "fine_tuning.jobs.create", "POST /fine_tuning/jobs"),
        ("listPaginatedFineTuningJobs", "fine_tuning.jobs.list", "GET /fine_tuning/jobs", L),
        ("retrieveFineTuningJob", "fine_tuning.jobs.retrieve", "GET /fine_tuning/jobs/{fine_tuning_job_id}"),
        ("listFineTuningEvents", "fine_tuning.jobs.list_events",
         "GET /fine_tuning/jobs/{fine_tuning_job_id}/events", L),
        ("listFineTuningCheckpoints", "fine_tuning.jobs.checkpoints.list",
         "GET /fine_tuning/jobs/{fine_tuning_job_id}/checkpoints", L),
        ("cancelFineTuningJob", "fine_tuning.jobs.cancel", "POST /fine_tuning/jobs/{fine_tuning_job_id}/cancel"),
    ]),
    *_m("Images", [
        ("createImage", "images.generate", "POST /images/generations", {**_EVENTS, **_DATA}),
        ("createImageEdit", "images.edit", "POST /images/edits",
         {"files": ("image", "mask", "markup"), **_EVENTS, **_DATA}),
        ("createImageVariation", "images.create_variation", "POST /images/variations", {"files": ("image",), **_DATA}),
    ]),
    *_m("Messages", [
        ("listMessages", "beta.threads.messages.list", "GET /threads/{thread_id}/messages", L),
        ("createMessage", "beta.threads.messages.create", "POST /threads/{thread_id}/messages"),
        ("getMessage", "beta.threads.messages.retrieve", "GET /threads/{thread_id}/messages/{message_id}"),
        ("modifyMessage", "beta.threads.messages.update", "POST /threads/{thread_id}/messages/{message_id}"),
        ("deleteMessage", "beta.threads.messages.delete", "DELETE /threads/{thread_id}/messages/{message_id}"),
    ]),
    *_m("Models", [
        ("listModels", "models.list", "GET /models", L),
        ("retrieveModel", "models.retrieve", "GET /models/{model}"),
        ("deleteModel", "models.delete", "DELETE /models/{model}"),
    ]),
    *_m("Moderations", [
        ("createModeration", "moderations.create", "POST /moderations"),
    ]),
    *_m("Realtime", [
        ("createRealtimeClientSecret", "realtime.client_secrets.create", "POST /realtime/client_secrets", _AS_IS),
        ("acceptRealtimeCall", "realtime.calls.accept", "POST /realtime/calls/{call_id}/accept", C,
         {"confirm": {"status": "accepted"}}),
        ("hangupRealtimeCall", "realtime.calls.hangup", "POST /realtime/calls/{call_id}/hangup", C,
         {"confirm": {"status": "hung_up"}}),
        ("referRealtimeCall", "realtime.calls.refer", "POST /realtime/calls/{call_id}/refer", C,
         {"confirm": {"status": "referred"}}),
        ("rejectRealtimeCall", "realtime.calls.reject", "POST /realtime/calls/{call_id}/reject", C,
         {"confirm": {"status": "rejected"}}),
        ("createRealtimeSession", "beta.realtime.sessions.create", "POST /realtime/sessions", _AS_IS),
        ("createRealtimeTranscriptionSession", "beta.realtime.transcription_sessions.create",
         "POST /realtime/transcription_sessions", _AS_IS),
    ]),
    *_m("Responses", [
        ("createModelResponse", "responses.create", "POST /responses", {**_RESPONSE, **_TEXT}),
        ("parseModelResponse", "responses.parse", "POST /responses", H, _TEXT),
        ("getModelResponse", "responses.retrieve", "GET /responses/{response_id}", {**_RESPONSE, **_TEXT}),
        ("streamModelResponse", "responses.stream", "POST /responses", E, _RESPONSE),
        # the package returns openai-node's answer: the body as sent (null for 204, none when empty)
        ("deleteModelResponse", "responses.delete", "DELETE /responses/{response_id}"),
        ("cancelModelResponse", "responses.cancel", "POST /responses/{response_id}/cancel"),
        ("compactModelResponse", "responses.compact", "POST /responses/compact"),
        ("listInputItems", "responses.input_items.list", "GET /responses/{response_id}/input_items", L),
        ("countInputTokens", "responses.input_tokens.count", "POST /responses/input_tokens"),
        ("manageModelResponseWebSocket", "responses.connect", None, S),
    ]),
    *_m("Runs", [
        ("createThreadAndRun", "beta.threads.create_and_run", "POST /threads/runs", _EVENTS),
        ("listRuns", "beta.threads.runs.list", "GET /threads/{thread_id}/runs", L),
        ("createRun", "beta.threads.runs.create", "POST /threads/{thread_id}/runs", _EVENTS),
        ("getRun", "beta.threads.runs.retrieve", "GET /threads/{thread_id}/runs/{run_id}"),
        ("modifyRun", "beta.threads.runs.update", "POST /threads/{thread_id}/runs/{run_id}"),
        ("submitToolOutputsToRun", "beta.threads.runs.submit_tool_outputs",
         "POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs", _EVENTS),
        ("cancelRun", "beta.threads.runs.cancel", "POST /threads/{thread_id}/runs/{run_id}/cancel"),
        ("listRunSteps", "beta.threads.runs.steps.list", "GET /threads/{thread_id}/runs/{run_id}/steps", L),
        ("getRunStep", "beta.threads.runs.steps.retrieve", "GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}"),
    ]),
    *_m("Skills", [
        ("createSkill", "skills.create", "POST /skills", {"files": ("files",)}),
        ("getSkill", "skills.retrieve", "GET /skills/{skill_id}"),
        ("modifySkill", "skills.update", "POST /skills/{skill_id}"),
        ("deleteSkill", "skills.delete", "DELETE /skills/{skill_id}"),
        ("listSkills", "skills.list", "GET /skills", L),
        ("getSkillContent", "skills.content.retrieve", "GET /skills/{skill_id}/content", B),
        ("createSkillVersion", "skills.versions.create", "POST /skills/{skill_id}/versions", {"files": ("files",)}),
        ("getSkillVersion", "skills.versions.retrieve", "GET /skills/{skill_id}/versions/{version}"),
        ("listSkillVersions", "skills.versions.list", "GET /skills/{skill_id}/versions", L),
        ("deleteSkillVersion", "skills.versions.delete", "DELETE /skills/{skill_id}/versions/{version}"),
        ("getSkillVersionContent", "skills.versions.content.retrieve",
         "GET /skills/{skill_id}/versions/{version}/content", B),
    ]),
    *_m("Threads", [
        ("createThread", "beta.threads.create", "POST /threads"),
        ("getThread", "beta.threads.retrieve", "GET /threads/{thread_id}"),
        ("modifyThread", "beta.threads.update", "POST /threads/{thread_id}"),
        ("deleteThread", "beta.threads.delete", "DELETE /threads/{thread_id}"),
    ]),
    *_m("Uploads", [
        ("createUpload", "uploads.create", "POST /uploads"),
        ("addUploadPart", "uploads.parts.create", "POST /uploads/{upload_id}/parts", {"files": ("data",)}),
        ("completeUpload", "uploads.complete", "POST /uploads/{upload_id}/complete"),
        ("cancelUpload", "uploads.cancel", "POST /uploads/{upload_id}/cancel"),
    ]),
    *_m("Vector Store File Batches", [
        ("createVectorStoreFileBatch", "vector_stores.file_batches.create",
         "POST /vector_stores/{vector_store_id}/file_batches"),
        ("createAndPollVectorStoreFileBatch", "vector_stores.file_batches.create_and_poll",
         "POST /vector_stores/{vector_store_id}/file_batches", H, _POLL),
        ("retrieveVectorStoreFileBatch", "vector_stores.file_batches.retrieve",
         "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}"),
        ("pollVectorStoreFileBatch", "vector_stores.file_batches.poll",
         "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}", H, _POLL),
        ("cancelVectorStoreFileBatch", "vector_stores.file_batches.cancel",
         "POST /vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel"),
        ("listVectorStoreBatchFiles", "vector_stores.file_batches.list_files",
         "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}/files", L),
        ("uploadAndPollVectorStoreFileBatch", "vector_stores.file_batches.upload_and_poll", "POST /files", H,
         {"files": ("files",), **_UPLOAD_POLL}),
    ]),
    *_m("Vector Store Files", [
        ("createVectorStoreFile", "vector_stores.files.create", "POST /vector_stores/{vector_store_id}/files"),
        ("createAndPollVectorStoreFile", "vector_stores.files.create_and_poll",
         "POST /vector_stores/{vector_store_id}/files", H, _POLL),
        ("uploadVectorStoreFile", "vector_stores.files.upload", "POST /files", H, _FILE),
        ("uploadAndPollVectorStoreFile", "vector_stores.files.upload_and_poll", "POST /files", H, {**_FILE, **_POLL}),
        ("pollVectorStoreFile", "vector_stores.files.poll", "GET /vector_stores/{vector_store_id}/files/{file_id}", H,
         _POLL),
        ("listVectorStoreFiles", "vector_stores.files.list", "GET /vector_stores/{vector_store_id}/files", L),
        ("retrieveVectorStoreFile", "vector_stores.files.retrieve",
         "GET /vector_stores/{vector_store_id}/files/{file_id}"),
        ("modifyVectorStoreFile", "vector_stores.files.update",
         "POST /vector_stores/{vector_store_id}/files/{file_id}"),
        ("getVectorStoreFileContent", "vector_stores.files.content",
         "GET /vector_stores/{vector_store_id}/files/{file_id}/content", L),
        ("deleteVectorStoreFile", "vector_stores.files.delete",
         "DELETE /vector_stores/{vector_store_id}/files/{file_id}"),
    ]),
    *_m("Vector Stores", [
        ("createVectorStore", "vector_stores.create", "POST /vector_stores"),
        ("listVectorStores", "vector_stores.list", "GET /vector_stores", L),
        ("searchVectorStore", "vector_stores.search", "POST /vector_stores/{vector_store_id}/search", L),
        ("retrieveVectorStore", "vector_stores.retrieve", "GET /vector_stores/{vector_store_id}"),
        ("modifyVectorStore", "vector_stores.update", "POST /vector_stores/{vector_store_id}"),
        ("deleteVectorStore", "vector_stores.delete", "DELETE /vector_stores/{vector_store_id}"),
    ]),
    *_m("Videos", [
        ("createVideo", "videos.create", "POST /videos", {"files": ("input_reference",)}),
        ("getVideo", "videos.retrieve", "GET /videos/{video_id}"),
        ("listVideos", "videos.list", "GET /videos", L),
        ("deleteVideo", "videos.delete", "DELETE /videos/{video_id}"),
        ("createVideoCharacter", "videos.create_character", "POST /videos/characters", {"files": ("video",)}),
        ("downloadVideoContent", "videos.download_content", "GET /videos/{video_id}/content", B),
        ("editVideo", "videos.edit", "POST /videos/edits", {"files": ("video",)}),
        ("extendVideo", "videos.extend", "POST /videos/extensions", {"files": ("video",)}),
        ("getVideoCharacter", "videos.get_character", "GET /videos/characters/{character_id}"),
        ("remixVideo", "videos.remix", "POST /videos/{video_id}/remix"),
    ]),
    *_m("Webhooks", [
        ("unwrapWebhookEvent", "webhooks.unwrap", None, X, _TOLERANCE),
        ("verifyWebhookSignature", "webhooks.verify_signature", None, X, {"confirm": {"verified": True}, **_TOLERANCE}),
    ]),
]

METHODS: dict[str, Method] = {m.name: m for m in _TABLE}
"""Method name → its table entry, in the editor's order (grouped)."""

GROUPS: dict[str, list[str]] = {}
for _method in _TABLE:
    GROUPS.setdefault(_method.group, []).append(_method.name)
