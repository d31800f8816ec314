"""Context: memory and localfilesystem stores (Node-RED's file layout), ``#:(store)::key``,
and the Admin API's ``GET/DELETE /context/...``."""
from __future__ import annotations

import json

from conftest import TEST_TAB, make_node

STORES = {"default": {"module": "memory"},
          "file": {"module": "localfilesystem", "config": {"flushInterval": 30}}}


def reader(id_: str, key: str, scope: str = "flow") -> dict:
    return make_node(id_, "inject", [["d1"]], props=[{"p": "payload", "v": key, "vt": scope}])


async def test_admin_api_reads_and_deletes_every_scope(start_runtime):
    flows = [TEST_TAB, reader("i1", "count"), make_node("d1", "debug")]
    rt = await start_runtime(flows)
    ctx = rt.engine.get_node("i1").context()
    ctx.global_.set("site", {"name": "lab", "n": 2})
    ctx.flow.set("count", 41)
    ctx.set("mine", "node value")

    body = await (await rt.http.get(rt.url + "/context/global")).json()
    assert body == {"default": {"site": {"msg": '{"name":"lab","n":2}', "format": "Object"}}}
    assert await (await rt.http.get(rt.url + "/context/flow/t1/count")).json() == {"msg": "41", "format": "number"}
    node = await (await rt.http.get(rt.url + "/context/node/i1")).json()
    assert node["default"]["mine"] == {"msg": "node value", "format": "string[10]"}

    resp = await rt.http.delete(rt.url + "/context/flow/t1/count")
    assert resp.status == 204
    assert await (await rt.http.get(rt.url + "/context/flow/t1/count")).json() == {"msg": "(undefined)",
                                                                                   "format": "undefined"}
    bad = await rt.http.get(rt.url + "/context/global/site?store=nope")
    assert bad.status == 400 and (await bad.json())["code"] == "invalid_store"
    assert (await rt.http.get(rt.url + "/context/node/unknown-node")).status == 404


async def test_localfilesystem_store_survives_a_restart_in_node_red_s_layout(start_runtime, tmp_path):
    flows = [TEST_TAB, reader("i1", "#:(file)::count"), make_node("d1", "debug")]
    rt = await start_runtime(flows, contextStorage=STORES)
    settings = await (await rt.http.get(rt.url + "/settings")).json()
    assert settings["context"] == {"default": "default", "stores": ["default", "file"]}
    ctx = rt.engine.get_node("i1").context()
    ctx.flow.set("#:(file)::count", 7)
    ctx.global_.set("shared", [1, 2], store="file")
    ctx.set("#:(file)::own", True)
    ctx.flow.set("volatile", "memory only")
    await rt.close()

    folder = tmp_path / "user" / "context"
    assert json.loads((folder / "t1" / "flow.json").read_text()) == {"count": 7}
    assert json.loads((folder / "global" / "global.json").read_text()) == {"shared": [1, 2]}
    assert json.loads((folder / "t1" / "i1.json").read_text()) == {"own": True}

    rt2 = await start_runtime(flows, contextStorage=STORES)
    comms = await rt2.comms()
    await rt2.inject("i1")
    [data] = await comms.debug(1)
    assert data["msg"] == "7" and data["format"] == "number"
    body = await (await rt2.http.get(rt2.url + "/context/flow/t1")).json()
    assert body == {"default": {}, "file": {"count": {"msg": "7", "format": "number"}}}
    value = await (await rt2.http.get(rt2.url + "/context/global/shared?store=file")).json()
    assert value == {"msg": "[1,2]", "format": "array[2]", "store": "file"}


async def test_unknown_context_module_is_a_clear_error(tmp_path):
    import pytest

    from flowred.context import ContextManager

    with pytest.raises(ValueError, match="unknown module 'redis'"):
        ContextManager.from_settings({"default": {"module": "redis"}}, tmp_path)
