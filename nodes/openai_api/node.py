"""The ``OpenAI API`` node: calls one OpenAI API method per msg through a Service Host.

As ``@inductiv/node-red-openai-api`` node.js: the request is read from ``property`` of
``propertyType``, ``method`` is called with the official SDK, and the same msg is sent on with
the result. Status: blue dot "requesting" while in flight, green dot "streaming" while a stream
runs, cleared on success, red ring "error" on failure. The editor help is the class docstring.
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
from .service_host import ServiceHostNode

if TYPE_CHECKING:
    import openai

REQUESTING = {"fill": "blue", "shape": "dot", "text": "requesting"}
STREAMING = {"fill": "green", "shape": "dot", "text": "streaming"}
ERROR = {"fill": "red", "shape": "ring", "text": "error"}
CLIENT_SECRET = "createRealtimeClientSecret"

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
    allowApiKeyFromMsg: Flag = Field(
        False, description="Use msg.apiKey when the Service Host has no key; when off, msg.apiKey is an error.")
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
    - *Method* (``method``): one of 156, grouped as the package's editor (Assistants, Audio,
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
      ``{filename, data | path, contentType}``.
    - *Streaming*: with ``stream: true`` (chat completions, responses, transcriptions, images,
      runs) and always for ``streamModelResponse``, one msg per event is sent
      (``msg.openai = {method, stream: "event", index, type}``), then the msg itself with the
      complete result (``msg.openai.stream == "final"``): route them with a switch node.
    - *Allow API key from msg* (``allowApiKeyFromMsg``, off): when on and the Service Host has
      no key, ``msg.apiKey`` is used; when off, a msg with ``apiKey`` is an error. The key is
      always removed from the msg.
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
    type, code, param, request_id, source}``: e.g. ``createRealtimeClientSecret: 401 Incorrect
    API key provided: ...`` with ``status: 401, code: "invalid_api_key"``; a timeout has
    ``type: "timeout"``, a refused or dropped connection ``type: "connection_error"``, checks
    made before any request (no Service Host, no key, unknown method, missing path parameter)
    ``type: "invalid_request"``. The API key never appears in an error, status or log.
    """

    Config = OpenAIApiConfig

    def __init__(self, config: OpenAIApiConfig, flow) -> None:
        super().__init__(config, flow)
        self._defaults = config.realtime_defaults() if config.method == CLIENT_SECRET else RealtimeDefaults()

    def label(self) -> str:
        return self.name or self.config.method or "OpenAI API"

    async def on_input(self, msg: dict) -> None:
        cfg = self.config
        service = self.config_node(cfg.service)
        msg_key = msg.pop("apiKey", None)
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
        client, _ = service.client(msg, self._api_key(service, msg, msg_key))
        self.status(REQUESTING)
        import openai  # the SDK loads with the first request, not at startup

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
            raise local_error(f"{cfg.method}: {exc}", "invalid_request") from None
        self.status({})

    def _api_key(self, service: ServiceHostNode, msg: dict, msg_key: Any) -> str | None:
        """The msg's key when allowed and the Service Host has none; None for the host's key."""
        if not msg_key:
            return None
        if not self.config.allowApiKeyFromMsg:
            raise local_error("msg.apiKey is not accepted: turn on \"Allow API key from msg\" to use it",
                              "api_key_from_msg_disabled", "apiKey")
        return None if service.api_key(msg) else str(msg_key)

    async def _call(self, client: openai.AsyncOpenAI, method: Any, request: Any, msg: dict) -> None:
        cfg = self.config
        events = 0
        async for kind, value in run(client, method, request, raw=cfg.resultFormat == "raw", all_pages=cfg.allPages):
            if kind == "event":
                if events == 0:
                    self.status(STREAMING)
                out = clone_message(msg)
                out["openai"] = {"method": method.name, "stream": "event", "index": events,
                                 "type": _event_type(value)}
                set_msg_property(out, cfg.output, value)
                self.send(out)
                events += 1
                continue
            if kind == "final":
                msg["openai"] = {"method": method.name, "stream": "final", "events": events}
            set_msg_property(msg, cfg.output, value)
            self.send(msg)


def _event_type(event: Any) -> Any:
    """An event's ``type`` (responses, transcriptions) or ``object`` (chat chunks)."""
    if isinstance(event, dict):
        return event.get("type") or event.get("object")
    return None

