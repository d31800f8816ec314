"""The example flows of ``@inductiv/node-red-openai-api`` 6.34.0 and what a user does before
pressing their buttons, shared by ``test_openai_package_examples.py`` (FlowRed) and
``tests/tools/record_openai_package_examples.py`` (Node-RED, the oracle).

The examples carry placeholders for the user to replace: file paths (``/path/to/my/file.txt``)
and ids of objects made earlier (``vs_replace_me``, ``thread_id``, ``conv_123``). :func:`prepare`
makes those files and objects on the emulator and puts them into the example, as a user would;
each inject is then pressed once, in the order of the flow. Ids and times differ on every run, so
a debug msg is compared by :func:`sidebar_entry`: its format, property and the value's shape.
"""
from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path
from typing import Any

import aiohttp

from flowred.openai_emulator.audio import mp3_silence
from flowred.openai_emulator.images import solid_png

TARBALL = "inductiv-node-red-openai-api-6.34.0.tgz"
BESIDE = Path(__file__).resolve().parents[3] / "shared" / "anchors"
PACKAGE = Path(os.environ.get("FLOWRED_OPENAI_PACKAGE", BESIDE / TARBALL))
if not PACKAGE.is_file():
    PACKAGE = Path("/work/shared/anchors") / TARBALL
EXAMPLES_DIR = "package/examples/"
NOT_COMPARED = {"responses/websocket": "it opens a Responses websocket, which the emulator does not serve here"}
"""Examples deployed but not pressed, with the reason."""


def examples() -> dict[str, list[dict]]:
    """Example name (``chat``, ``responses/mcp``) → its flow, from the tarball ({} without it)."""
    if not PACKAGE.is_file():
        return {}
    with tarfile.open(PACKAGE) as tar:
        return {m.name[len(EXAMPLES_DIR):-len(".json")]: json.load(tar.extractfile(m))
                for m in tar.getmembers() if m.name.startswith(EXAMPLES_DIR) and m.name.endswith(".json")}


def shape(value: Any) -> Any:
    """A value's structure: JSON types by name, objects key by key, and a list whose items all
    have one shape as ``{"list of": shape, "length": n}``."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    shapes = [shape(v) for v in value]
    if shapes and all(s == shapes[0] for s in shapes):
        return {"list of": shapes[0], "length": len(value)}
    return shapes


def sidebar_entry(frame: dict) -> dict:
    """A debug frame as the sidebar shows it: format, property, and the value's shape; an error
    (level 20) also by its text."""
    value, fmt = frame.get("msg"), str(frame.get("format", ""))
    if isinstance(value, str) and fmt.startswith(("Object", "array")):
        value = json.loads(value)
    entry = {"format": fmt, "property": frame.get("property"), "shape": shape(value)}
    if frame.get("level") == 20:
        entry["error"] = value
    return entry


def wired(flow: list[dict], base_url: str, key: str) -> list[dict]:
    """The example with a Service Host on the emulator chosen in each OpenAI API node."""
    host = {"id": "emulator-host", "type": "Service Host", "name": "emulator", "apiBase": base_url,
            "apiBaseType": "str", "secureApiKeyHeaderOrQueryName": "Authorization",
            "secureApiKeyHeaderOrQueryNameType": "str", "organizationId": "", "organizationIdType": "str",
            "secureApiKeyValueType": "cred", "secureApiKeyIsQuery": False,
            "credentials": {"secureApiKeyValue": key}}
    return [{**n, "service": host["id"]} if n["type"] == "OpenAI API" else n for n in flow] + [host]


def injects(flow: list[dict]) -> list[str]:
    """The inject node ids, in the flow's order (the order the buttons are pressed)."""
    return [n["id"] for n in flow if n["type"] == "inject"]


class _Api:
    """Just enough of a client to make the objects an example needs on the emulator."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, key: str) -> None:
        self.session, self.base_url = session, base_url
        self.headers = {"Authorization": f"Bearer {key}"}

    async def post(self, path: str, body: dict | None = None, form: aiohttp.FormData | None = None) -> dict:
        url = self.base_url.removesuffix("/v1") + path if path.startswith("/__") else self.base_url + path
        async with self.session.post(url, json=body if form is None else None, data=form,
                                     headers=self.headers) as resp:
            answer = await resp.json()
            assert resp.status < 300, (path, answer)
            return answer

    async def upload(self, filename: str, data: bytes, purpose: str) -> str:
        form = aiohttp.FormData()
        form.add_field("purpose", purpose)
        form.add_field("file", data, filename=filename)
        return (await self.post("/files", form=form))["id"]


def _set_prop(flow: list[dict], inject_id: str, prop: str, value: Any) -> None:
    """Sets what inject ``inject_id`` puts into ``prop``, as a user editing it would."""
    [node] = [n for n in flow if n["id"] == inject_id]
    if prop == "payload":
        node["payload"], node["payloadType"] = json.dumps(value), "json"
        return
    [entry] = [p for p in node["props"] if p["p"] == prop]
    entry["v"], entry["vt"] = (value, "str") if isinstance(value, str) else (json.dumps(value), "json")


async def prepare(name: str, flow: list[dict], base_url: str, key: str, tmp: Path) -> list[dict]:
    """``flow`` (a copy of example ``name``) with its placeholders replaced by files written
    under ``tmp`` and objects made on the emulator at ``base_url`` with ``key``."""
    flow = json.loads(json.dumps(flow))
    tmp.mkdir(parents=True, exist_ok=True)

    def write(filename: str, data: bytes) -> str:
        path = tmp / filename
        path.write_bytes(data)
        return str(path)

    async with aiohttp.ClientSession() as session:
        api = _Api(session, base_url, key)
        if name == "assistants":
            _set_prop(flow, "c93a90f1145d7097", "payload",
                      [write("file.1.txt", b"Shipping takes two days."), write("file.2.txt", b"Returns are free.")])
        elif name == "audio":
            _set_prop(flow, "fe06a0eb68e7942b", "payload.file", write("input-file.mp3", mp3_silence(1.2, "Bonjour")))
            _set_prop(flow, "adbe3dd2124bd65e", "filename", str(tmp / "output-file.mp3"))
        elif name == "chatkit/sessions-and-threads":
            session_ = await api.post("/chatkit/sessions", {"user": "demo-user-123", "workflow": {"id": "wf_pub_1"}})
            _set_prop(flow, "9c2524226df847de", "payload.session_id", session_["id"])
            item = {"type": "chatkit.user_message", "content": [{"type": "input_text", "text": "Hello"}],
                    "attachments": [], "inference_options": None}
            kept, deleted = [await api.post("/__emulator/chatkit/threads",
                                            {"user": "demo-user-123", "title": title, "items": [item]})
                             for title in ("Kept", "Deleted")]
            _set_prop(flow, "3395fd7648ba4d65", "payload.thread_id", kept["id"])
            _set_prop(flow, "e513eb71f1024f93", "payload.thread_id", deleted["id"])
            _set_prop(flow, "30dca5c0950a437d", "payload.thread_id", kept["id"])
        elif name == "conversations":
            conversation = await api.post("/conversations", {})
            _set_prop(flow, "6cf2a7186f9a44ce", "payload.conversation_id", conversation["id"])
        elif name == "files":
            _set_prop(flow, "54186a1f39edeeac", "payload.file", write("file.txt", b"Some notes to keep."))
        elif name == "fine-tuning":
            training = await api.upload("train.jsonl", b'{"messages": []}\n', "fine-tune")
            await api.post("/fine_tuning/jobs", {"model": "gpt-4o-mini", "training_file": training})
        elif name == "images":
            _set_prop(flow, "d463be1fb4f4b316", "payload.image", write("image.png", solid_png(8, 8, b"\x00\x00\xff")))
        elif name in ("messages", "runs", "threads"):
            thread = await api.post("/threads", {"messages": [{"role": "user", "content": "Hello there"}]})
            if name == "runs":
                assistant = await api.post("/assistants", {"model": "gpt-4o", "name": "helper"})
                await api.post(f"/threads/{thread['id']}/runs", {"assistant_id": assistant["id"]})
            inject_id = {"messages": "25b586ac72069905", "runs": "a6e237adf232aed1", "threads": "f2673e84297dc231"}
            _set_prop(flow, inject_id[name], "payload.thread_id", thread["id"])
        elif name == "vector-store-search":
            store = await api.post("/vector_stores", {"name": "release notes"})
            for text, attributes in ((b"Release alignment notes for the platform team.", {"team": "platform",
                                                                                           "status": "published"}),
                                     (b"Old release notes.", {"team": "platform", "status": "archived"})):
                file_id = await api.upload("notes.txt", text, "assistants")
                await api.post(f"/vector_stores/{store['id']}/files", {"file_id": file_id, "attributes": attributes})
            _set_prop(flow, "8bcfdb2e77318d41", "ai.vector_store_id", store["id"])
        elif name == "videos":
            video = await api.post("/videos", {"prompt": "A quiet harbour at dawn.", "model": "sora-2"})
            form = aiohttp.FormData()
            form.add_field("name", "Lead Runner")
            form.add_field("video", b"\x00\x00\x00\x18ftypmp42", filename="source.mp4", content_type="video/mp4")
            character = await api.post("/videos/characters", form=form)
            _set_prop(flow, "8a31b2fbda8ad50f", "ai.video", write("character-source.mp4", b"\x00\x00\x00\x18ftypmp42"))
            _set_prop(flow, "f37548d372420f56", "ai.character_id", character["id"])
            for inject_id, prop in (("005ecdd640c0aa56", "ai.video.id"), ("2cafe14afce4e744", "ai.video.id"),
                                    ("e4766ca3fb430312", "ai.video_id"), ("da3d4e3ceef46c52", "ai.video_id")):
                _set_prop(flow, inject_id, prop, video["id"])
    return flow
