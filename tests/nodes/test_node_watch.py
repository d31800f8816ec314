"""watch node: a file created, changed and deleted; a directory watched recursively or not;
several names; a missing name; a redeploy stops the watcher."""
from __future__ import annotations

import asyncio
import json
import os

from conftest import TEST_TAB, make_node


def watch_node(files: str, id_: str = "w1", **fields) -> dict:
    """A watch node as Node-RED's editor exports it, overridden by ``fields``."""
    return {"id": id_, "type": "watch", "z": "t1", "name": "", "files": files, "recursive": "",
            "x": 120, "y": 80, "wires": [["d1"]], **fields}


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full", statusVal="", statusType="auto")


def catch(id_: str = "c1", target: str = "dc") -> dict:
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


async def start(start_runtime, *nodes: dict):
    rt = await start_runtime([TEST_TAB, *nodes, debug()])
    comms = await rt.comms()
    await asyncio.sleep(0.3)            # the watcher is set up
    return rt, comms


def msgs(data: list[dict]) -> list[dict]:
    return [json.loads(d["msg"]) for d in data]


async def next_msg(comms, seen: int) -> dict:
    return msgs(await comms.debug(seen + 1, timeout=3))[seen]


async def test_file_created_changed_and_deleted(start_runtime, tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("")
    other = tmp_path / "other.txt"
    rt, comms = await start(start_runtime, watch_node(str(target)))
    other.write_text("not watched")
    target.write_text("hello")
    got = await next_msg(comms, 0)
    assert got == {"_msgid": got["_msgid"], "payload": str(target), "topic": str(target), "file": "a.txt",
                   "filename": str(target), "event": "update", "size": 5, "type": "file"}
    target.write_text("hello world")
    got = await next_msg(comms, 1)
    assert got["event"] == "update" and got["size"] == 11
    target.unlink()
    got = await next_msg(comms, 2)
    assert got["event"] == "remove" and got["type"] == "none" and "size" not in got
    target.write_text("back")
    got = await next_msg(comms, 3)
    assert got["event"] == "update" and got["size"] == 4
    await asyncio.sleep(0.4)
    assert all(m["payload"] == str(target) for m in msgs(comms.topic("debug")))


async def test_directory_not_recursive_reports_entries_only(start_runtime, tmp_path):
    (tmp_path / "sub").mkdir()
    rt, comms = await start(start_runtime, watch_node(str(tmp_path)))
    (tmp_path / "sub" / "deep.txt").write_text("ignored")
    await asyncio.sleep(0.5)
    (tmp_path / "new.txt").write_text("abc")
    got = await next_msg(comms, 0)
    found = [m for m in msgs(comms.topic("debug")) if m["file"] == "new.txt"]
    assert found, got
    assert found[0]["payload"] == str(tmp_path / "new.txt") and found[0]["size"] == 3
    assert found[0]["topic"] == str(tmp_path)
    assert not [m for m in msgs(comms.topic("debug")) if m["file"] == "deep.txt"]


async def test_directory_recursive_and_tilde(start_runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "tree").mkdir()
    rt, comms = await start(start_runtime, watch_node("~/tree", recursive=True))
    (tmp_path / "tree" / "a" / "b").mkdir(parents=True)
    await asyncio.sleep(0.4)
    (tmp_path / "tree" / "a" / "b" / "leaf.txt").write_text("xy")
    expected = str(tmp_path / "tree" / "a" / "b" / "leaf.txt")
    found = []
    for _ in range(20):
        found = [m for m in msgs(comms.topic("debug")) if m["payload"] == expected]
        if found:
            break
        await asyncio.sleep(0.1)
    assert found, msgs(comms.topic("debug"))
    assert found[-1]["size"] == 2 and found[-1]["type"] == "file" and found[-1]["topic"] == "~/tree"
    dirs = [m for m in msgs(comms.topic("debug")) if m["type"] == "directory"]
    assert dirs and dirs[0]["payload"].startswith(str(tmp_path / "tree" / "a"))


async def test_several_names_topic_is_json_list(start_runtime, tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("")
    two.write_text("")
    rt, comms = await start(start_runtime, watch_node(f"{one}, {two}"))
    two.write_text("2")
    got = await next_msg(comms, 0)
    assert got["payload"] == str(two) and got["topic"] == json.dumps([str(one), str(two)], separators=(",", ":"))


async def test_missing_name_is_an_error(start_runtime, tmp_path):
    missing = tmp_path / "nope"
    rt = await start_runtime([TEST_TAB, debug()])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, watch_node(str(missing)), debug(), catch(), debug("dc")])
    [err] = msgs(await comms.debug(1, node_id="dc", timeout=3))
    assert err["payload"] == "" and err["error"]["message"] == f"Error: {missing} does not exist."


async def test_redeploy_stops_the_watcher(start_runtime, tmp_path):
    target = tmp_path / "r.txt"
    target.write_text("")
    rt, comms = await start(start_runtime, watch_node(str(target)))
    target.write_text("1")
    await next_msg(comms, 0)
    await rt.deploy([TEST_TAB, debug()])
    target.write_text("22")
    os.utime(target)
    await asyncio.sleep(0.8)
    assert len(comms.topic("debug")) == 1
    assert not [t for t in asyncio.all_tasks() if "WatchNode._watch" in repr(t.get_coro())]


async def test_missing_name_uncaught_shows_an_error_object(start_runtime, tmp_path):
    # Node-RED 5.0.7, example storage/watch/02: the sidebar shows node-watch's Error (format
    # "error"), the console the line "Error: <name> does not exist."
    missing = tmp_path / "gone"
    rt = await start_runtime([TEST_TAB, debug()])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, watch_node(str(missing)), debug()])
    [shown] = await comms.debug(1, node_id="w1", timeout=3)
    assert shown["level"] == 20 and shown["format"] == "error"
    error = json.loads(shown["msg"])
    assert error["__enc__"] is True and error["type"] == "error"
    assert error["data"]["name"] == "Error" and error["data"]["message"] == f"{missing} does not exist."
    assert error["data"]["stack"].split("\n")[0] == f"Error: {missing} does not exist."
