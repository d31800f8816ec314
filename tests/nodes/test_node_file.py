"""file and file in nodes: write, append, overwrite, delete, create directories, newline,
encodings, file name from msg; read as text, lines, a buffer, stream chunks; errors."""
from __future__ import annotations

import base64
import json

from conftest import TEST_TAB, feeder, make_node


def file_node(id_: str = "w1", wires=(("d1",),), **fields) -> dict:
    """A file node with every field Node-RED's editor exports, overridden by ``fields``."""
    return make_node(id_, "file", wires, **{"filename": "", "filenameType": "str", "appendNewline": True,
                                             "createDir": False, "overwriteFile": "false",
                                             "encoding": "none", **fields})


def file_in(id_: str = "r1", wires=(("d1",),), **fields) -> dict:
    """A file in node with every field Node-RED's editor exports, overridden by ``fields``."""
    return make_node(id_, "file in", wires, **{"filename": "", "filenameType": "str", "format": "utf8",
                                                "chunk": False, "sendError": False, "encoding": "none",
                                                "allProps": False, **fields})


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full", statusVal="", statusType="auto")


def catch(id_: str = "c1", target: str = "dc") -> dict:
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


async def start(start_runtime, *nodes: dict, **settings):
    rt = await start_runtime([TEST_TAB, feeder("f1", nodes[0]["id"]), *nodes], **settings)
    return rt, await rt.comms()


def msgs(data: list[dict]) -> list[dict]:
    return [json.loads(d["msg"]) for d in data]


def buffer_bytes(value) -> bytes:
    """A Buffer as the debug sidebar shows it inside a whole msg."""
    assert value["type"] == "Buffer", value
    data = bytes(value["data"])
    assert len(data) == value.get("length", len(data)), "raise debugMaxLength"
    return data


# -- file (write) ---------------------------------------------------------------------------

async def test_node_red_export_appends_with_newline_and_sends_msg_on(start_runtime, tmp_path):
    target = tmp_path / "out.txt"
    export = {"id": "5f1d2c3b4a596877", "type": "file", "z": "t1", "name": "", "filename": str(target),
              "filenameType": "str", "appendNewline": True, "createDir": False, "overwriteFile": "false",
              "encoding": "none", "x": 360, "y": 180, "wires": [["d1"]]}
    rt, comms = await start(start_runtime, export, debug())
    await rt.inject("f1", {"payload": "héllo", "topic": "t"})
    await rt.inject("f1", {"payload": {"a": [1, None]}})
    await rt.inject("f1", {"payload": 2.0})
    await rt.inject("f1", {"payload": True})
    await rt.inject("f1", {"payload": None})
    got = msgs(await comms.debug(5))
    assert target.read_bytes() == 'héllo\n{"a":[1,null]}\n2\ntrue\nnull\n'.encode()
    assert got[0]["payload"] == "héllo" and got[0]["topic"] == "t" and got[0]["filename"] == str(target)


async def test_overwrite_without_newline_and_bytes_payload(start_runtime, tmp_path):
    target = tmp_path / "over.bin"
    target.write_text("old content")
    rt, comms = await start(start_runtime, file_node(filename=str(target), overwriteFile="true",
                                                     appendNewline=True), debug())
    await rt.inject("f1", {"payload": "first"})
    await comms.debug(1)
    assert target.read_text() == "first\n"
    nodes = [TEST_TAB, make_node("f2", "inject", [["w1"]], props=[{"p": "payload", "v": "[0,255,10]", "vt": "bin"}],
                                 repeat="", crontab="", once=False),
             file_node(filename=str(target), overwriteFile="true"), debug()]
    await rt.deploy(nodes)
    await rt.inject("f2")
    await comms.debug(2)
    assert target.read_bytes() == b"\x00\xff\n"          # no newline added to a buffer


async def test_messages_are_written_in_order(start_runtime, tmp_path):
    target = tmp_path / "order.txt"
    rt, comms = await start(start_runtime, file_node(filename=str(target)), debug())
    for i in range(20):
        await rt.inject("f1", {"payload": f"line {i}"})
    await comms.debug(20)
    assert target.read_text().splitlines() == [f"line {i}" for i in range(20)]


async def test_delete_file_and_delete_failure(start_runtime, tmp_path):
    target = tmp_path / "gone.txt"
    target.write_text("x")
    rt, comms = await start(start_runtime, file_node(filename=str(target), overwriteFile="delete"),
                            debug(), catch(), debug("dc"))
    await rt.inject("f1", {"payload": "ignored"})
    [ok] = msgs(await comms.debug(1, node_id="d1"))
    assert not target.exists() and ok["filename"] == str(target)
    await rt.inject("f1", {"payload": "again"})
    [err] = msgs(await comms.debug(1, node_id="dc"))
    assert err["error"]["message"] == (
        f"failed to delete file: Error: ENOENT: no such file or directory, unlink '{target}'")
    assert len(await comms.debug(1, node_id="d1")) == 1


async def test_create_dir_and_missing_dir_error(start_runtime, tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    rt, comms = await start(start_runtime, file_node(filename=str(target), overwriteFile="true"),
                            debug(), catch(), debug("dc"))
    await rt.inject("f1", {"payload": "x"})
    [err] = msgs(await comms.debug(1, node_id="dc"))
    assert err["error"]["message"] == (
        f"failed to write to file: Error: ENOENT: no such file or directory, open '{target}'")
    assert not target.exists()
    await rt.deploy([TEST_TAB, feeder("f1", "w1"), file_node(filename=str(target), createDir=True,
                                                            overwriteFile="false"), debug()])
    await rt.inject("f1", {"payload": "x"})
    await comms.debug(1, node_id="d1")
    assert target.read_text() == "x\n"


async def test_append_error_text(start_runtime, tmp_path):
    target = tmp_path / "missing" / "f.txt"
    rt, comms = await start(start_runtime, file_node(filename=str(target)), debug(), catch(), debug("dc"))
    await rt.inject("f1", {"payload": "x"})
    [err] = msgs(await comms.debug(1, node_id="dc"))
    assert err["error"]["message"].startswith("failed to append to file: Error: ENOENT: no such file or directory")


async def test_base64_and_hex_encodings_decode_the_payload_text(start_runtime, tmp_path):
    b64, hexf = tmp_path / "b64.bin", tmp_path / "hex.bin"
    rt, comms = await start(start_runtime, file_node(filename=str(b64), encoding="base64", appendNewline=False,
                                                     overwriteFile="true", wires=(("w2",),)),
                            file_node("w2", filename=str(hexf), encoding="hex", overwriteFile="true"), debug())
    await rt.inject("f1", {"payload": base64.b64encode(b"\x01\x02hello\xff").decode()})
    await comms.debug(1)
    assert b64.read_bytes() == b"\x01\x02hello\xff"
    await rt.deploy([TEST_TAB, feeder("f1", "w2"), file_node("w2", filename=str(hexf), encoding="hex",
                                                            overwriteFile="true"), debug()])
    await rt.inject("f1", {"payload": "00ff6869"})
    await comms.debug(2)
    assert hexf.read_bytes() == b"\x00\xffhi"          # the newline is not hex: ignored


async def test_encoding_set_by_msg_and_latin1(start_runtime, tmp_path):
    target = tmp_path / "enc.txt"
    rt, comms = await start(start_runtime, file_node(filename=str(target), encoding="setbymsg",
                                                     appendNewline=False), debug())
    await rt.inject("f1", {"payload": "é", "encoding": "ISO-8859-1"})
    await rt.inject("f1", {"payload": "é"})
    await rt.inject("f1", {"payload": "6869", "encoding": "hex"})
    await comms.debug(3)
    assert target.read_bytes() == b"\xe9" + "é".encode() + b"hi"


async def test_filename_from_msg_and_legacy_empty_filename(start_runtime, tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    legacy = file_node(filename="")
    del legacy["filenameType"]
    rt, comms = await start(start_runtime, file_node(filename="path", filenameType="msg", wires=(("w2",),)),
                            {**legacy, "id": "w2", "wires": [["d1"]]}, debug())
    await rt.inject("f1", {"payload": "a", "path": str(one), "filename": str(two)})
    [got] = msgs(await comms.debug(1))
    # the first node sets msg.filename to the file it wrote, so the legacy node writes there too
    assert one.read_text() == "a\na\n" and not two.exists()
    assert got["filename"] == str(one)
    await rt.deploy([TEST_TAB, feeder("f1", "w2"), {**legacy, "id": "w2", "wires": [["d1"]]}, debug()])
    await rt.inject("f1", {"payload": "b", "filename": str(two)})
    await comms.debug(2)
    assert two.read_text() == "b\n"


async def test_filename_from_jsonata_and_env(start_runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWRED_FILE_TEST", str(tmp_path / "env.txt"))
    expr = f'"{tmp_path}/" & topic & ".log"'
    rt, comms = await start(start_runtime, file_node(filename=expr, filenameType="jsonata", wires=(("w2",),)),
                            file_node("w2", filename="FLOWRED_FILE_TEST", filenameType="env"), debug())
    await rt.inject("f1", {"payload": "p", "topic": "news"})
    await comms.debug(1)
    assert (tmp_path / "news.log").read_text() == "p\n"
    assert (tmp_path / "env.txt").read_text() == "p\n"


async def test_no_filename_warns(start_runtime, tmp_path):
    rt, comms = await start(start_runtime, file_node(filename="nothing", filenameType="msg"), debug())
    await rt.inject("f1", {"payload": "x"})
    [warn] = await comms.debug(1)
    assert warn["level"] == 30 and warn["msg"] == "No filename specified" and warn["id"] == "w1"


async def test_relative_name_uses_file_working_directory(start_runtime, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    rt, comms = await start(start_runtime, file_node(filename="rel.txt", wires=(("r1",),)),
                            file_in(filename="rel.txt"), debug(), fileWorkingDirectory=str(work))
    await rt.inject("f1", {"payload": "relative"})
    [got] = msgs(await comms.debug(1))
    assert (work / "rel.txt").read_text() == "relative\n"
    assert got["payload"] == "relative\n" and got["filename"] == "rel.txt"


async def test_invalid_fields_are_deploy_errors(start_runtime):
    rt = await start_runtime([TEST_TAB])
    resp = await rt.deploy([TEST_TAB, file_node(overwriteFile="maybe", encoding="tcvn"),
                            file_in(format="words", filenameType="num"), debug()], expect=400)
    errors = {(e["id"], e["field"]) for e in (await resp.json())["errors"]}
    assert {("w1", "overwriteFile"), ("w1", "encoding"), ("r1", "format"), ("r1", "filenameType")} <= errors


# -- file in (read) -------------------------------------------------------------------------

async def test_read_utf8_string(start_runtime, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("héllo\nworld")
    export = {"id": "9a8b7c6d5e4f3021", "type": "file in", "z": "t1", "name": "", "filename": str(src),
              "filenameType": "str", "format": "utf8", "chunk": False, "sendError": False,
              "encoding": "none", "allProps": False, "x": 340, "y": 220, "wires": [["d1"]]}
    rt, comms = await start(start_runtime, export, debug())
    await rt.inject("f1", {"payload": "x", "topic": "keep"})
    [got] = msgs(await comms.debug(1))
    assert got["payload"] == "héllo\nworld" and got["topic"] == "keep" and got["filename"] == str(src)


async def test_read_with_encodings(start_runtime, tmp_path):
    latin, b64 = tmp_path / "latin.txt", tmp_path / "b64.txt"
    latin.write_bytes(b"caf\xe9")
    b64.write_bytes(b"\x00\x01\xfe")
    rt, comms = await start(start_runtime, file_in(filename=str(latin), encoding="ISO-8859-1", wires=(("d1", "r2"),)),
                            file_in("r2", filename=str(b64), encoding="base64"), debug())
    await rt.inject("f1", {})
    first, second = msgs(await comms.debug(2))
    assert first["payload"] == "café"
    assert second["payload"] == "AAH+"


async def test_read_as_buffer(start_runtime, tmp_path):
    src = tmp_path / "in.bin"
    src.write_bytes(b"\x00\xffab")
    rt, comms = await start(start_runtime, file_in(filename=str(src), format=""), debug())
    await rt.inject("f1", {"payload": ""})
    [got] = msgs(await comms.debug(1))
    assert buffer_bytes(got["payload"]) == b"\x00\xffab"


async def test_read_lines_with_parts_and_join(start_runtime, tmp_path):
    src = tmp_path / "lines.txt"
    src.write_text("one\ntwo\nthree")
    join = make_node("j1", "join", [["d2"]], mode="auto", build="object", property="payload",
                     propertyType="msg", key="topic", joiner="\\n", joinerType="str", accumulate=False,
                     timeout="", count="", reduceRight=False, reduceExp="", reduceInit="",
                     reduceInitType="", reduceFixup="")
    rt, comms = await start(start_runtime, file_in(filename="filename", filenameType="msg", format="lines",
                                                   wires=(("d1", "j1"),)),
                            join, debug(), debug("d2"))
    await rt.inject("f1", {"payload": "x", "topic": "tp", "filename": str(src), "other": 1})
    got = msgs(await comms.debug(3, node_id="d1"))
    assert [m["payload"] for m in got] == ["one", "two", "three"]
    parent = json.loads((await comms.debug(1, node_id="d1"))[0]["msg"])["parts"]["id"]
    assert [m["parts"] for m in got] == [
        {"index": 0, "ch": "\n", "type": "string", "id": parent},
        {"index": 1, "ch": "\n", "type": "string", "id": parent},
        {"index": 2, "count": 3, "ch": "\n", "type": "string", "id": parent}]
    assert all(m["topic"] == "tp" and m["filename"] == str(src) and "other" not in m for m in got)
    assert len({m["_msgid"] for m in got}) == 3
    [joined] = msgs(await comms.debug(1, node_id="d2"))
    assert joined["payload"] == "one\ntwo\nthree"


async def test_read_lines_trailing_newline_and_all_props(start_runtime, tmp_path):
    src = tmp_path / "lines.txt"
    src.write_text("a\nb\n")
    rt, comms = await start(start_runtime, file_in(filename=str(src), format="lines", allProps=True), debug())
    await rt.inject("f1", {"payload": "x", "other": {"k": 1}})
    got = msgs(await comms.debug(3))
    assert [m["payload"] for m in got] == ["a", "b", ""]
    assert got[-1]["parts"]["count"] == 3 and "count" not in got[0]["parts"]
    assert all(m["other"] == {"k": 1} for m in got)
    assert {m["_msgid"] for m in got} == {got[0]["parts"]["id"]}


async def test_read_stream_chunks(start_runtime, tmp_path):
    src = tmp_path / "big.bin"
    data = bytes(range(256)) * 300           # 76800 bytes: one full 64 KB chunk and a short one
    src.write_bytes(data)
    rt, comms = await start(start_runtime, file_in(filename=str(src), format="stream"), debug(),
                            debugMaxLength=100000)
    await rt.inject("f1", {"topic": "s"})
    got = msgs(await comms.debug(2))
    assert [len(buffer_bytes(m["payload"])) for m in got] == [65536, 76800 - 65536]
    assert b"".join(buffer_bytes(m["payload"]) for m in got) == data
    assert got[0]["parts"]["index"] == 0 and "count" not in got[0]["parts"]
    assert got[1]["parts"] == {"index": 1, "count": 2, "ch": "", "type": "buffer", "id": got[0]["parts"]["id"]}
    assert got[0]["topic"] == "s"


async def test_read_stream_of_exact_chunk_size_ends_with_empty_msg(start_runtime, tmp_path):
    src = tmp_path / "exact.bin"
    src.write_bytes(b"z" * 65536)
    rt, comms = await start(start_runtime, file_in(filename=str(src), format="stream"), debug(),
                            debugMaxLength=100000)
    await rt.inject("f1", {})
    first, last = msgs(await comms.debug(2))
    assert len(buffer_bytes(first["payload"])) == 65536
    assert "payload" not in last and last["parts"]["index"] == 1 and last["parts"]["count"] == 1


async def test_missing_file_is_an_error(start_runtime, tmp_path):
    src = tmp_path / "nope.txt"
    rt, comms = await start(start_runtime, file_in(filename=str(src)), debug(), catch(), debug("dc"))
    await rt.inject("f1", {"payload": "keep", "topic": "t"})
    [err] = msgs(await comms.debug(1, node_id="dc"))
    assert err["error"]["message"] == f"Error: ENOENT: no such file or directory, open '{src}'"
    assert err["topic"] == "t" and err["filename"] == str(src)
    assert not [m for m in comms.messages if m["topic"] == "debug" and m["data"].get("id") == "d1"]


async def test_send_error_sends_msg_without_payload(start_runtime, tmp_path):
    src = tmp_path / "nope.txt"
    rt, comms = await start(start_runtime, file_in(filename=str(src), sendError=True), debug())
    await rt.inject("f1", {"payload": "gone", "topic": "t"})
    data = await comms.debug(2)
    logged = [d for d in data if "level" in d]
    sent = [json.loads(d["msg"]) for d in data if "level" not in d]
    assert logged[0]["msg"] == f"Error: ENOENT: no such file or directory, open '{src}'"
    assert "payload" not in sent[0] and sent[0]["topic"] == "t"
    assert sent[0]["error"]["code"] == "ENOENT" and sent[0]["error"]["path"] == str(src)


async def test_legacy_node_without_send_error_field_sends_error_msg(start_runtime, tmp_path):
    node = file_in(filename=str(tmp_path / "nope.txt"))
    del node["sendError"]
    rt, comms = await start(start_runtime, node, debug())
    await rt.inject("f1", {"payload": "p"})
    data = await comms.debug(2)
    assert any("level" not in d and json.loads(d["msg"])["error"]["code"] == "ENOENT" for d in data)
