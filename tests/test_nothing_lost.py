"""No deploy, bad file or redeploy erases a user's flows, credentials or msgs silently:
unreadable credentials files (wrong secret, corrupt JSON) load the flows without them and are
kept aside, the flow-file watcher does not read an empty write as "delete every flow", a
redeploy says which in-flight msgs it dropped, a reload flushes the file context store, and
the OpenAI emulator's request log is bounded and masks API keys."""
from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
from aiohttp import web
from test_credentials import HOST, SECRET, node_red_decrypt, node_red_encrypt

from conftest import EMULATOR_KEY, TEST_TAB, feeder, free_port, full_debug, make_node

INJECT = make_node("i1", "inject", [["d1"]], props=[{"p": "payload", "v": "hi", "vt": "str"}])
FLOWS = [TEST_TAB, HOST, INJECT, full_debug("d1")]
CRED_URL = "/credentials/Service Host/sh1"


def _backup(tmp_path, name: str):
    return tmp_path / f".{name}.backup"


async def _notice(comms, topic: str = "notification/storage-warning", text: str = "") -> dict:
    found = await comms.wait_for(lambda m: m["topic"] == topic and text in m["data"].get("text", ""))
    return found[-1]["data"]


# --- 1. unreadable credentials --------------------------------------------------------------

async def test_a_wrong_secret_loads_and_starts_the_flows_without_credentials_and_says_how_to_fix_it(
        start_runtime, tmp_path, caplog):
    caplog.set_level(logging.INFO, "flowred")
    creds_text = json.dumps(node_red_encrypt({"sh1": {"secureApiKeyValue": "sk-x"}}, SECRET))
    (tmp_path / "flows.json").write_text(json.dumps(FLOWS))
    (tmp_path / "flows_cred.json").write_text(creds_text)
    rt = await start_runtime(None, credentialSecret="not-the-secret")
    comms = await rt.comms()

    assert await (await rt.http.get(rt.url + "/flows")).json() == FLOWS
    assert await (await rt.http.get(rt.url + "/flows/state")).json() == {"state": "start"}
    assert await rt.inject("i1") == (200, "OK")
    assert json.loads((await comms.debug(1))[0]["msg"])["payload"] == "hi"
    assert await (await rt.http.get(rt.url + CRED_URL)).json() == {}
    notice = await _notice(comms)
    assert notice["type"] == "warning" and notice["error"] == "credentials_load_failed"
    assert notice["nodes"] == ["sh1"]
    assert "credentialSecret" in notice["text"] and "sh1" in notice["text"]
    log = caplog.text
    assert "flows_cred.json" in log and "credentialSecret" in log and "sh1" in log

    # a later deploy writes the credentials it has, but keeps the unreadable file aside
    added = {**HOST, "id": "sh2", "credentials": {"secureApiKeyValue": "sk-new"}}
    await rt.deploy(FLOWS + [added])
    [aside] = list(tmp_path.glob("flows_cred.json.unreadable-*"))
    assert aside.read_text() == creds_text
    assert node_red_decrypt(json.loads((tmp_path / "flows_cred.json").read_text()), "not-the-secret") == \
        {"sh2": {"secureApiKeyValue": "sk-new"}}
    kept = await _notice(comms, text=aside.name)
    assert kept["type"] == "warning" and aside.name in caplog.text
    # the file set aside is not backed up over, nor set aside twice
    await rt.deploy(FLOWS + [added])
    assert list(tmp_path.glob("flows_cred.json.unreadable-*")) == [aside] and aside.read_text() == creds_text


async def test_a_corrupt_credentials_file_falls_back_to_its_backup(start_runtime, tmp_path, caplog):
    caplog.set_level(logging.INFO, "flowred")
    good = json.dumps(node_red_encrypt({"sh1": {"secureApiKeyValue": "sk-backed-up"}}, SECRET))
    (tmp_path / "flows.json").write_text(json.dumps(FLOWS))
    (tmp_path / "flows_cred.json").write_text('{"$": "trunc')
    _backup(tmp_path, "flows_cred.json").write_text(good)
    rt = await start_runtime(None, credentialSecret=SECRET)
    comms = await rt.comms()

    assert await (await rt.http.get(rt.url + CRED_URL)).json() == {"has_secureApiKeyValue": True}
    assert await (await rt.http.get(rt.url + "/flows/state")).json() == {"state": "start"}
    notice = await _notice(comms)
    assert ".flows_cred.json.backup" in notice["text"] and notice["nodes"] == []
    assert ".flows_cred.json.backup" in caplog.text

    await rt.deploy(FLOWS)
    [aside] = list(tmp_path.glob("flows_cred.json.unreadable-*"))
    assert aside.read_text() == '{"$": "trunc'
    written = node_red_decrypt(json.loads((tmp_path / "flows_cred.json").read_text()), SECRET)
    assert written == {"sh1": {"secureApiKeyValue": "sk-backed-up"}}
    assert _backup(tmp_path, "flows_cred.json").read_text() == good  # the valid backup is not overwritten


async def test_no_readable_backup_either_reports_every_node_without_credentials(start_runtime, tmp_path):
    host2 = {**HOST, "id": "sh2"}
    (tmp_path / "flows.json").write_text(json.dumps(FLOWS + [host2]))
    (tmp_path / "flows_cred.json").write_text("not json at all")
    _backup(tmp_path, "flows_cred.json").write_text(json.dumps(node_red_encrypt({"sh1": {"k": "v"}}, "other")))
    rt = await start_runtime(None, credentialSecret=SECRET)
    comms = await rt.comms()
    notice = await _notice(comms)
    assert notice["nodes"] == ["sh1", "sh2"]
    assert "restore" in notice["text"] and "backup" in notice["text"]
    assert await (await rt.http.get(rt.url + "/flows")).json() == FLOWS + [host2]


async def test_an_emptied_runtime_config_takes_the_generated_secret_from_its_backup(start_runtime, tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / ".config.runtime.json").write_text("")
    _backup(user, ".config.runtime.json").write_text(json.dumps({"_credentialSecret": SECRET}))
    (tmp_path / "flows.json").write_text(json.dumps(FLOWS))
    (tmp_path / "flows_cred.json").write_text(json.dumps(node_red_encrypt({"sh1": {"secureApiKeyValue": "k"}}, SECRET)))
    rt = await start_runtime(None)
    assert await (await rt.http.get(rt.url + CRED_URL)).json() == {"has_secureApiKeyValue": True}


async def test_deploys_keep_node_red_style_backups_of_flows_and_credentials(start_runtime, tmp_path):
    rt = await start_runtime([TEST_TAB], credentialSecret=SECRET)
    first = [TEST_TAB, {**HOST, "credentials": {"secureApiKeyValue": "sk-1"}}]
    await rt.deploy(first)
    await rt.deploy([TEST_TAB, {**HOST, "name": "renamed", "credentials": {"secureApiKeyValue": "sk-2"}}])
    assert json.loads(_backup(tmp_path, "flows.json").read_text()) == [TEST_TAB, HOST]
    backup = node_red_decrypt(json.loads(_backup(tmp_path, "flows_cred.json").read_text()), SECRET)
    assert backup == {"sh1": {"secureApiKeyValue": "sk-1"}}
    assert not list(tmp_path.glob("*.$$$")) and not list(tmp_path.glob(".*.$$$"))


async def test_a_malformed_flow_file_is_kept_aside_by_the_next_deploy_not_overwritten(start_runtime, tmp_path):
    broken = '[{"id": "i1", "type": "inject",, }]'
    rt = await start_runtime(broken)
    comms = await rt.comms()
    await rt.deploy(FLOWS[:1])
    [aside] = list(tmp_path.glob("flows.json.unreadable-*"))
    assert aside.read_text() == broken
    assert aside.name in (await _notice(comms, text=aside.name))["text"]
    assert not _backup(tmp_path, "flows.json").exists()  # a broken file is never a backup
    await rt.deploy(FLOWS[:1])
    assert list(tmp_path.glob("flows.json.unreadable-*")) == [aside]


async def test_a_flow_file_fixed_by_hand_before_the_deploy_is_not_set_aside(start_runtime, tmp_path):
    rt = await start_runtime('[{"id": "i1",')
    (tmp_path / "flows.json").write_text(json.dumps(FLOWS[:1]))
    await rt.deploy([])
    assert not list(tmp_path.glob("flows.json.unreadable-*"))
    assert json.loads(_backup(tmp_path, "flows.json").read_text()) == FLOWS[:1]


# --- 3. the flow-file watcher ---------------------------------------------------------------

async def _deploys(comms) -> list[str]:
    return [d["revision"] for d in comms.topic("notification/runtime-deploy")]


async def test_an_empty_flow_file_is_a_partial_write_not_an_empty_flow_set(start_runtime, tmp_path):
    from flowred.engine import flows_rev

    rt = await start_runtime(FLOWS[:1] + FLOWS[2:], watchFlowFile=True)
    comms = await rt.comms()
    flow_file = tmp_path / "flows.json"
    await asyncio.sleep(0.5)  # the watcher is up
    # an editor's save: truncate, then the new content a moment later
    changed = [TEST_TAB, {**INJECT, "name": "after"}, full_debug("d1")]
    flow_file.write_text("")
    await asyncio.sleep(0.1)
    flow_file.write_text(json.dumps(changed))
    await comms.wait_for(lambda m: m["topic"] == "notification/runtime-deploy"
                         and m["data"]["revision"] == flows_rev(changed), timeout=20)
    assert flows_rev([]) not in await _deploys(comms)

    # a file that stays empty is refused, and the running flows stay
    flow_file.write_text("")
    error = await _notice(comms, "notification/flow-file-error", "empty")
    assert error["type"] == "error" and "[]" in error["text"]
    assert await (await rt.http.get(rt.url + "/flows")).json() == changed
    assert await rt.inject("i1") == (200, "OK")
    assert flows_rev([]) not in await _deploys(comms)

    # valid JSON [] is a real empty flow set
    flow_file.write_text("[]")
    await comms.wait_for(lambda m: m["topic"] == "notification/runtime-deploy"
                         and m["data"]["revision"] == flows_rev([]), timeout=20)
    assert await (await rt.http.get(rt.url + "/flows")).json() == []


async def test_invalid_utf8_is_reported_with_its_byte_position_and_the_watcher_keeps_running(start_runtime, tmp_path):
    from flowred.engine import flows_rev

    rt = await start_runtime(FLOWS[:1], watchFlowFile=True)
    comms = await rt.comms()
    flow_file = tmp_path / "flows.json"
    await asyncio.sleep(0.5)
    flow_file.write_bytes(b'[{"id": "t1", "type": "tab", "label": "caf\xe9"}]')
    error = await _notice(comms, "notification/flow-file-error", "UTF-8")
    assert "byte 42" in error["text"], error["text"]
    good = [TEST_TAB, INJECT, full_debug("d1")]
    flow_file.write_text(json.dumps(good))
    await comms.wait_for(lambda m: m["topic"] == "notification/runtime-deploy"
                         and m["data"]["revision"] == flows_rev(good), timeout=20)
    assert await rt.inject("i1") == (200, "OK")


# --- 4. a redeploy drops in-flight msgs, and says so --------------------------------------

async def test_a_full_redeploy_during_an_http_request_warns_once_per_dropped_msg(start_runtime):
    arrived, release = asyncio.Queue(), asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await arrived.put(request.path)
        await release.wait()
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/hang", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        node = make_node("h1", "http request", [["d1"]], method="GET", ret="txt", paytoqs="ignore",
                         url=f"http://127.0.0.1:{port}/hang", tls="", persist=False, proxy="", authType="",
                         senderr=False, headers=[])
        flows = [TEST_TAB, feeder("f1", "h1"), node, full_debug("d1")]
        rt = await start_runtime(flows)
        comms = await rt.comms()
        await rt.inject("f1", {"payload": 1})
        await rt.inject("f1", {"payload": 2})
        for _ in range(2):
            await asyncio.wait_for(arrived.get(), 10)
        await rt.deploy(flows)
        warned = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("id") == "h1", count=2)
        for w in warned:
            assert w["data"]["level"] == 30 and "msg dropped" in w["data"]["msg"]
            assert "redeployed" in w["data"]["msg"]
        await asyncio.sleep(0.3)
        assert len([m for m in comms.topic("debug") if m.get("id") == "h1"]) == 2
    finally:
        release.set()
        await runner.cleanup()


# --- 5. a reload deploy flushes the file context store -----------------------------------

async def test_a_reload_deploy_loses_no_file_context_write(start_runtime, tmp_path):
    stores = {"default": {"module": "memory"},
              "file": {"module": "localfilesystem", "config": {"flushInterval": 30}}}
    folder = tmp_path / "user" / "context" / "t1"
    folder.mkdir(parents=True)
    (folder / "flow.json").write_text(json.dumps({"count": 1}))
    setter = make_node("c1", "change", [[]], rules=[{"t": "set", "p": "#:(file)::count", "pt": "flow",
                                                     "to": "payload", "tot": "msg"}])
    rt = await start_runtime([TEST_TAB, feeder("f1", "c1"), setter], contextStorage=stores)
    url = rt.url + "/context/flow/t1/count?store=file"
    assert (await (await rt.http.get(url)).json())["msg"] == "1"
    await rt.inject("f1", {"payload": 2})
    for _ in range(100):
        if (await (await rt.http.get(url)).json())["msg"] == "2":
            break
        await asyncio.sleep(0.05)
    resp = await rt.http.post(rt.url + "/flows", json=[], headers={"Node-RED-Deployment-Type": "reload"})
    assert resp.status == 204
    assert (await (await rt.http.get(url)).json())["msg"] == "2"
    assert json.loads((folder / "flow.json").read_text()) == {"count": 2}


# --- 6. the OpenAI emulator's request log ---------------------------------------------------

async def test_the_emulator_request_log_is_bounded_and_masks_api_keys(emulator):
    url = f"http://127.0.0.1:{emulator.port}"
    auth = {"Authorization": f"Bearer {EMULATOR_KEY}", "api-key": EMULATOR_KEY}
    async with aiohttp.ClientSession() as http:
        for i in range(1010):
            async with http.get(f"{url}/v1/models?n={i}", headers=auth) as resp:
                assert resp.status == 200
        resp = await http.get(url + "/__emulator/requests")
        text = await resp.text()
    listed = json.loads(text)
    assert len(listed) == 1000 and len(emulator.requests) == 1000
    assert listed[0]["query"] == {"n": "10"} and listed[-1]["query"] == {"n": "1009"}
    assert EMULATOR_KEY not in text and "0123456789" not in text
    assert listed[-1]["headers"]["authorization"] == "Bearer sk-test-emulator-key-...6789"
    assert listed[-1]["headers"]["api-key"] == "sk-test-emulator-key-...6789"
