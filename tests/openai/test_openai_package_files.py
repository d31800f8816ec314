"""File fields as ``@inductiv/node-red-openai-api`` 6.34.0 treats them (src/*/methods.js:
``fs.createReadStream(payload.file)``, no other conversion): a path naming no file fails with
Node's ``ENOENT: no such file or directory, open '<path>'`` after the requesting status, and a
reference object in a file field (the package's videos example: ``video: {id}``) is sent as
openai-node's multipart encoding sends it (``video[id]``). FlowRed's own additions (bytes,
base64, ``data:`` URLs, ``{filename, data}``) stay, but a short string that starts like a path
is never taken for base64."""
from __future__ import annotations

import base64

import pytest
from openai_flows import outputs
from openai_recorder import GENERIC, Recorder
from test_openai_package_results import recorded_flow

ERROR = {"fill": "red", "shape": "ring", "text": "node-red:common.status.error"}
REQUESTING = {"fill": "blue", "shape": "dot", "text": "OpenaiApi.status.requesting"}


@pytest.fixture
async def recorder():
    rec = await Recorder().start()
    yield rec
    await rec.stop()


@pytest.mark.parametrize("path", ["/path/to/my/file.txt", "/path/to/my/file", "./notes", "~/no/such/file/here"])
async def test_a_path_naming_no_file_is_nodes_enoent(start_runtime, recorder, path):
    # "/path/to/my/file" and "./notes" are base64 alphabet too: a mistyped path must not upload garbage
    rt = await start_runtime(recorded_flow(recorder, "createFile"))
    comms = await rt.comms()
    await rt.inject("in", {"payload": {"file": path, "purpose": "assistants"}})
    [caught] = await outputs(comms, "caught")
    assert caught["error"]["message"] == f"ENOENT: no such file or directory, open '{path}'"
    assert (caught["error"]["code"], caught["error"]["param"]) == ("invalid_file", "file")
    await comms.wait_for(lambda m: m["topic"] == "status/ai" and m["data"] == ERROR)
    assert comms.topic("status/ai") == [REQUESTING, ERROR]
    assert recorder.requests == []


async def test_long_base64_may_start_like_a_path(start_runtime, recorder):
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2  # a JPEG's base64 starts with "/9j/"
    text = base64.b64encode(jpeg).decode()
    assert text.startswith("/9j/") and len(text) > 256
    rt = await start_runtime(recorded_flow(recorder, "createFile"))
    comms = await rt.comms()
    await rt.inject("in", {"payload": {"file": text, "purpose": "vision"}})
    [msg] = await outputs(comms, "out")
    assert msg["payload"] == GENERIC
    [request] = recorder.requests
    assert request["path"] == "/files" and jpeg in request["raw"]


@pytest.mark.parametrize("method, path", [("editVideo", "/videos/edits"), ("extendVideo", "/videos/extensions")])
async def test_a_video_reference_is_sent_as_a_multipart_field(start_runtime, recorder, method, path):
    rt = await start_runtime(recorded_flow(recorder, method))
    comms = await rt.comms()
    await rt.inject("in", {"payload": {"prompt": "neon dusk", "seconds": "16", "video": {"id": "video_1"}}})
    [msg] = await outputs(comms, "out")
    assert msg["payload"] == GENERIC
    [request] = recorder.requests
    assert (request["method"], request["path"], request["content_type"]) == ("POST", path, "multipart/form-data")
    assert b'name="video[id]"\r\n\r\nvideo_1' in request["raw"] and b'name="prompt"\r\n\r\nneon dusk' in request["raw"]
