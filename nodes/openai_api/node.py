"""The ``OpenAI API`` node: calls one OpenAI API method per msg through a Service Host.

As ``@inductiv/node-red-openai-api`` node.js: the request is read from ``property`` of
``propertyType``, ``method`` is called with the official SDK, and the same msg is sent on with
the result. Status, with the package's i18n keys (the editor shows "requesting", "streaming",
"error"): blue dot ``OpenaiApi.status.requesting`` while in flight, green dot
``OpenaiApi.status.streaming`` while a stream runs, cleared on success, red ring
``node-red:common.status.error`` on failure. The editor help is the class docstring.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from flowred import (
    Node,
    NodeConfig,
    NodeError,
    clone_message,
    evaluate_value,
    get_msg_property,
    register,
    set_msg_property,
)
from flowred.fields import EmptyDefault, Flag

from .calls import run
from .catalog import GROUPS, METHODS
from .errors import api_error, local_error
from .realtime_defaults import RealtimeDefaults, check_ttl
from .redaction import protect
from .responses_websocket import ResponsesWebSockets
from .retired import retirement_warning
from .sdk import preload, ready
from .service_host import ServiceHostNode
from .spec import Result

if TYPE_CHECKING:
    import openai

REQUESTING = {"fill": "blue", "shape": "dot", "text": "OpenaiApi.status.requesting"}
STREAMING = {"fill": "green", "shape": "dot", "text": "OpenaiApi.status.streaming"}
ERROR = {"fill": "red", "shape": "ring", "text": "node-red:common.status.error"}
CLIENT_SECRET = "createRealtimeClientSecret"
# Assistant runs: the package sends each stream event's ``data`` (src/runs, src/threads methods.js)
EVENT_DATA = frozenset({"createThreadAndRun", "createRun", "submitToolOutputsToRun"})
# the package returns ``finalResponse()`` after the events (src/responses/methods.js)
FINAL_TOO = frozenset({"streamModelResponse"})

_METHOD_PICKER = {
    "enum": list(METHODS),
    "x-groups": [{"group": group, "methods": names} for group, names in GROUPS.items()],
    "x-method-groups": {name: method.group for name, method in METHODS.items()},
}


class OpenAIApiConfig(NodeConfig):
    """OpenAI API node settings: the package's (``property``, ``propertyType``, ``service``,
    ``method``) with its defaults, and FlowRed's options."""

    property: EmptyDefault[str] = Field("payload",
                                        description="Where the request object is read (a msg/flow/global path).")
    propertyType: EmptyDefault[Literal["msg", "flow", "global"]] = Field("msg",
                                                                         description="Where property is looked up.")
    service: str = Field("", description="The id of the Service Host config node to call through.")
    method: str = Field("", description="The API method, e.g. createRealtimeClientSecret.",
                        json_schema_extra=_METHOD_PICKER)
    output: EmptyDefault[str] = Field("payload", description="The msg property the result is written to.")
    resultFormat: EmptyDefault[Literal["parsed", "raw"]] = Field(
        "parsed", description="parsed: the response body (list methods: the items); raw: {body, status, headers}.")
    allPages: Flag = Field(False, description="List methods: fetch every page, not only the first.")
    streamFinal: Flag = Field(
        False, description="Streams: mark each event msg with msg.openai {method, stream: \"event\", index, type} "
                           "and send a last msg with the complete result (msg.openai.stream \"final\").")
    allowApiKeyFromMsg: Flag = Field(
        False, description="Use (and remove) msg.apiKey when the Service Host has no key; when off, msg.apiKey "
                           "is ignored, as in the package.")
    defaultModel: str = Field("", description="createRealtimeClientSecret: session.model when the request has none.")
    defaultVoice: str = Field("", description="createRealtimeClientSecret: session.audio.output.voice when unset.")
    defaultInstructions: str = Field(
        "", description="createRealtimeClientSecret: session.instructions when the request has none.")
    defaultLanguage: str = Field("", description="Adds 'Always reply in <language>.' to default instructions.")
    defaultVoiceAccent: str = Field("", description="Adds 'Use a <accent> accent while speaking.'")
    defaultVoiceTone: str = Field("", description="Adds 'Use a <tone> tone while speaking.'")
    clientSecretTtl: int | None = Field(
        None, description="createRealtimeClientSecret: expires_after seconds (10..7200) when the request has none.",
        json_schema_extra={"minimum": 10, "maximum": 7200})

    @field_validator("clientSecretTtl", mode="before")
    @classmethod
    def _ttl(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return check_ttl(int(float(v)))

    @model_validator(mode="after")
    def _raw_needs_one_request(self) -> "OpenAIApiConfig":
        method = METHODS.get(self.method)
        if self.resultFormat == "raw" and method is not None and not method.single_request:
            raise ValueError(f"resultFormat raw needs a method answered by one HTTP request; "
                             f"{self.method} may make several or none")
        return self

    def realtime_defaults(self) -> RealtimeDefaults:
        return RealtimeDefaults(self.defaultModel, self.defaultVoice, self.defaultInstructions, self.defaultLanguage,
                                self.defaultVoiceAccent, self.defaultVoiceTone, self.clientSecretTtl)


@register("OpenAI API", category="AI", color="#a2d3c9", inputs=1, outputs=1, icon="openai.svg")
class OpenAIApiNode(Node):
    """Calls an OpenAI API method with the request found at **property** and sends the msg on
    with the result in **output** (``msg.payload``); the rest of the msg (e.g. ``msg.ai``) is kept.

    **Options**

    - *Service* (``service``): a Service Host (base URL, API key, organization, project, timeout,
      retries, extra headers).
    - *Method* (``method``): one of 157, grouped as the package's editor (Assistants, Audio,
      Chat, ..., Realtime, Responses, ..., Webhooks). The request is an object: fields in the
      path (``completion_id``, ``vector_store_id``...) are required; other fields are the
      method's parameters; fields the SDK does not know are still sent (query for GET/DELETE,
      body otherwise). ``createRealtimeClientSecret`` sends the request as it is.
      ``createRealtimeSession`` / ``createRealtimeTranscriptionSession`` call the legacy
      ``/realtime/sessions`` and ``/realtime/transcription_sessions``.
    - *Property* (``property``, ``propertyType`` msg|flow|global): where the request is read
      (default ``msg.payload``).
    - *Output* (``output``): the msg property for the result (default ``payload``).
    - *Result format* (``resultFormat``): ``parsed`` (default) gives the JSON body; list methods
      give the list of items, content downloads (``createSpeech``, ``downloadFile``...) give
      bytes, realtime call methods give ``{call_id, status}``. ``raw`` gives
      ``{body, status, headers}`` (only for methods answered by one HTTP request).
    - *All pages* (``allPages``): list methods fetch every page instead of the first.
    - *File fields* (``file``, ``image``, ``mask``, ``files``, ``data``, ``video``,
      ``input_reference``): a file path, bytes, base64 (or a ``data:`` URL), or
      ``{filename, data | path, contentType}``; a reference such as ``{id: "video_..."}`` is
      sent as it is. A path naming no file fails as in the package: ``ENOENT: no such file or
      directory, open '<path>'``.
    - *Call options in the request* (as the package): ``pollIntervalMs`` (the vector-store
      ``...AndPoll`` and ``poll...`` methods), ``maxConcurrency`` (uploads at once,
      ``uploadAndPollVectorStoreFileBatch``, default 5) and ``tolerance`` (largest webhook age
      in seconds, ``unwrapWebhookEvent``/``verifyWebhookSignature``, default 300) steer the call
      and are not sent to OpenAI.
    - *Retired APIs*: OpenAI retired Assistants, Threads, Runs and Messages on 2026-08-26; a
      node calling one of their methods warns once when deployed, naming the replacement (the
      Responses API, Conversations), and still makes the call.
    - *Streaming*: with ``stream: true`` (chat completions, responses, transcriptions, images,
      runs) and always for ``streamModelResponse``, one msg per event is sent, as the package:
      a copy of the msg with the event in ``payload`` (for assistant runs the event's
      ``data``), and no msg at the end (``streamModelResponse`` ends with the complete
      response, as the package's ``finalResponse()``).
    - *Responses websocket* (``manageModelResponseWebSocket``, as the package): one node keeps
      Responses API websockets open, each named by a ``connection_id``; the request is
      ``{action, connection_id, event?, code?, reason?}``. ``connect`` opens
      ``<apiBase>/responses`` (``ws://``/``wss://``, the Service Host's auth) and answers
      ``{object: "response.websocket.connection", action: "connect", connection_id, url}``;
      ``send`` sends ``event`` (``{type: "response.create", model, input, ...}``: the fields of
      ``createModelResponse``, ``previous_response_id`` chains turns) and answers
      ``{object: "response.websocket.client_event", action: "send", connection_id,
      event_type}``; ``close`` closes with ``code`` (1000) and ``reason`` ("OK") and answers
      ``{..., action: "close", connection_id, code, reason}``. The answer replaces the output
      property of the msg; the server's events (``response.created`` ...
      ``response.output_text.delta`` ... ``response.completed``, or ``error``) come out as new
      msgs, the event in the output property and ``msg.openai = {transport: "responses.websocket",
      direction: "server", connection_id, event_type}``. Redeploying or stopping the node closes
      its websockets (1000 "Node-RED node closed"). Errors have the package's texts:
      ``msg.payload.action must be one of 'connect', 'send', or 'close'``, ``...connection_id
      must be a non-empty string``, ``Responses websocket connection '<id>' is already open on
      this node`` / ``is not open on this node``, ``msg.payload.event must be an object``,
      ``msg.payload.event.type must be 'response.create'``, ``Unexpected server response: 401``
      (with OpenAI's ``status``, ``code``), ``connect ECONNREFUSED <host>:<port>``; a server
      event that is not JSON is logged on the node: ``Could not parse Responses websocket
      event``.
    - *Final stream msg* (``streamFinal``, off): each event msg also gets
      ``msg.openai = {method, stream: "event", index, type}`` and, after the last event, the
      msg itself is sent with the complete result (``msg.openai.stream == "final"``,
      ``msg.openai.events`` = the count): route them with a switch node.
    - *Allow API key from msg* (``allowApiKeyFromMsg``, off): when on and the Service Host has
      no key, ``msg.apiKey`` is used and removed from the msg; when off, ``msg.apiKey`` is
      ignored and left as it is (as the package). The key never appears in an error.
    - *createRealtimeClientSecret defaults* (each off unless set, filled in only where the
      request leaves it out): ``defaultModel`` (``session.model``), ``defaultVoice``
      (``session.audio.output.voice``), ``defaultInstructions``, ``defaultLanguage``
      ("Always reply in X."), ``defaultVoiceAccent``, ``defaultVoiceTone`` (instruction lines),
      ``clientSecretTtl`` (``expires_after.seconds``; 10..7200, else the deploy fails with
      ``TTL must be between 10 and 7200 seconds, got N``). ``${ENV_VAR}`` values work.

    **Example** (the package's realtime client-secret example): an inject sets
    ``msg.ai = {expires_after: {anchor: "created_at", seconds: 600}, session: {type: "realtime",
    model: "gpt-realtime-1.5", output_modalities: ["audio"], instructions: "Speak clearly."}}``;
    with property ``ai`` and method ``createRealtimeClientSecret`` the debug node shows
    ``msg.payload = {value: "ek_...", expires_at, session}``. With ``defaultModel: gpt-realtime``,
    ``defaultVoice: marin``, ``defaultLanguage: Spanish`` and ``clientSecretTtl: 600``, an empty
    request sends ``{expires_after: {anchor: "created_at", seconds: 600}, session: {type:
    "realtime", model: "gpt-realtime", instructions: "Always reply in Spanish.", audio:
    {output: {voice: "marin"}}}}``.

    **Errors** are reported with the msg, so a catch node gets ``msg.error = {message, status,
    type, code, param, request_id, method, source}``; ``message`` is the package's text, e.g.
    ``401 Incorrect API key provided: ...`` with ``status: 401, code: "invalid_api_key"``; a
    timeout is ``Request timed out.`` with ``type: "timeout"``, a refused or dropped connection
    ``Connection error.`` with ``type: "connection_error"``, checks
    made before any request (no Service Host, no key, unknown method, missing path parameter)
    ``type: "invalid_request"``. The API key never appears in an error, status or log.
    """

    Config = OpenAIApiConfig

    def __init__(self, config: OpenAIApiConfig, flow) -> None:
        super().__init__(config, flow)
        self._defaults = config.realtime_defaults() if config.method == CLIENT_SECRET else RealtimeDefaults()
        method = METHODS.get(config.method)
        self._sockets = ResponsesWebSockets(self, config.output) if method and method.result is Result.SESSION else None
        preload()  # the SDK loads on a thread while the flows start, not on the loop at the first msg

    def start(self) -> None:
        """Warns once per deploy when the method belongs to an API OpenAI has retired
        (Assistants, Threads, Runs, Messages), naming its replacement; calls still go out."""
        warning = retirement_warning(METHODS.get(self.config.method))
        if warning:
            self.warn(warning)

    def label(self) -> str:
        return self.name or self.config.method or "OpenAI API"

    async def close(self, removed: bool) -> None:
        """Closes the node's Responses websocket sessions (1000 "Node-RED node closed")."""
        if self._sockets is not None:
            await self._sockets.close_all()

    async def on_input(self, msg: dict) -> None:
        try:
            await self._input(msg)
        except NodeError as exc:
            exc.details.setdefault("method", self.config.method)
            raise

    async def _input(self, msg: dict) -> None:
        cfg = self.config
        service = self.config_node(cfg.service)
        msg_key = msg.get("apiKey")
        if msg_key:
            protect(str(msg_key))
        if not isinstance(service, ServiceHostNode):
            raise local_error("OpenAI service host is not configured", "missing_service")
        method = METHODS.get(cfg.method)
        if method is None:
            raise local_error(f"Unknown method: {cfg.method!r}" if cfg.method else "No method is selected",
                              "unknown_method", "method")
        if cfg.propertyType == "msg":
            request = get_msg_property(msg, cfg.property)
        else:
            request = evaluate_value(cfg.property, cfg.propertyType, self, msg)
        if self._defaults:
            request = self._defaults.apply(request)
        await ready()
        client, _ = service.client(msg, self._api_key(service, msg, msg_key), self)
        self.status(REQUESTING)
        import openai

        try:
            await self._call(client, method, request, msg)
        except NodeError:
            self.status(ERROR)
            raise
        except openai.OpenAIError as exc:
            self.status(ERROR)
            raise api_error(cfg.method, exc) from None
        except (ValueError, TypeError) as exc:  # the SDK's own argument checks
            self.status(ERROR)
            raise local_error(str(exc), "invalid_request") from None
        except Exception:  # any other failure ends the request too: the red ring, as the package's .catch
            self.status(ERROR)
            raise
        self.status({})

    def _api_key(self, service: ServiceHostNode, msg: dict, msg_key: Any) -> str | None:
        """The msg's key when allowed and the Service Host has none (then it is taken off the
        msg); None for the host's key. Without ``allowApiKeyFromMsg`` msg.apiKey is ignored."""
        if not msg_key or not self.config.allowApiKeyFromMsg:
            return None
        msg.pop("apiKey", None)
        return None if service.api_key(msg, self) else str(msg_key)

    async def _call(self, client: openai.AsyncOpenAI, method: Any, request: Any, msg: dict) -> None:
        cfg = self.config
        if self._sockets is not None:  # manageModelResponseWebSocket: the action's acknowledgement
            set_msg_property(msg, cfg.output, await self._sockets.handle(client, request))
            self.send(msg)
            return
        events = 0
        marked = cfg.streamFinal
        async for kind, value in run(client, method, request, raw=cfg.resultFormat == "raw", all_pages=cfg.allPages):
            if kind == "event":
                if events == 0:
                    self.status(STREAMING)
                out = clone_message(msg)
                if marked:
                    out["openai"] = {"method": method.name, "stream": "event", "index": events,
                                     "type": _event_type(value)}
                elif method.name in EVENT_DATA and isinstance(value, dict):
                    value = value.get("data")
                set_msg_property(out, cfg.output, value)
                self.send(out)
                events += 1
                continue
            if kind == "final":
                if not marked and method.name not in FINAL_TOO:
                    continue
                if marked:
                    msg["openai"] = {"method": method.name, "stream": "final", "events": events}
            set_msg_property(msg, cfg.output, value)
            self.send(msg)


def _event_type(event: Any) -> Any:
    """An event's ``type`` (responses, transcriptions) or ``object`` (chat chunks)."""
    if isinstance(event, dict):
        return event.get("type") or event.get("object")
    return None

