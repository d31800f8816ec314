"""The credentials file in Node-RED's format (runtime/lib/nodes/credentials.js): written by an
independent implementation of Node-RED's algorithm and read by FlowRed, and the other way."""
from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conftest import TEST_TAB

SECRET = "a-node-red-credential-secret"
HOST = {"id": "sh1", "type": "Service Host", "apiBase": "http://127.0.0.1:9/v1", "apiBaseType": "str",
        "secureApiKeyValueType": "cred", "name": "host"}


def node_red_encrypt(creds: dict, secret: str) -> dict:
    """What Node-RED writes: iv hex + base64 of aes-256-ctr(JSON.stringify(creds)), key sha256(secret)."""
    iv = os.urandom(16)
    key = hashlib.sha256(secret.encode()).digest()
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return {"$": iv.hex() + base64.b64encode(enc.update(json.dumps(creds).encode()) + enc.finalize()).decode()}


def node_red_decrypt(body: dict, secret: str) -> dict:
    data = body["$"]
    dec = Cipher(algorithms.AES(hashlib.sha256(secret.encode()).digest()),
                 modes.CTR(bytes.fromhex(data[:32]))).decryptor()
    return json.loads(dec.update(base64.b64decode(data[32:])) + dec.finalize())


async def test_a_node_red_credentials_file_loads_and_flowred_writes_one_node_red_reads(start_runtime, tmp_path):
    (tmp_path / "flows.json").write_text(json.dumps([TEST_TAB, HOST]))
    (tmp_path / "flows_cred.json").write_text(
        json.dumps(node_red_encrypt({"sh1": {"secureApiKeyValue": "sk-from-node-red"}}, SECRET)))
    rt = await start_runtime(None, credentialSecret=SECRET)
    assert rt.engine.get_node("sh1").credentials == {"secureApiKeyValue": "sk-from-node-red"}
    assert await (await rt.http.get(rt.url + "/credentials/Service Host/sh1")).json() == {"has_secureApiKeyValue": True}

    await rt.deploy([TEST_TAB, {**HOST, "credentials": {"secureApiKeyValue": "sk-changed-in-flowred"}}])
    written = json.loads((tmp_path / "flows_cred.json").read_text())
    assert list(written) == ["$"]
    assert node_red_decrypt(written, SECRET) == {"sh1": {"secureApiKeyValue": "sk-changed-in-flowred"}}
    assert "sk-changed" not in (tmp_path / "flows.json").read_text()


async def test_a_wrong_secret_is_a_clear_error_and_nothing_is_overwritten(start_runtime, tmp_path):
    flows_text = json.dumps([TEST_TAB, HOST])
    creds_text = json.dumps(node_red_encrypt({"sh1": {"secureApiKeyValue": "sk-x"}}, SECRET))
    (tmp_path / "flows.json").write_text(flows_text)
    (tmp_path / "flows_cred.json").write_text(creds_text)
    rt = await start_runtime(None, credentialSecret="not-the-secret")
    comms = await rt.comms()
    # the flows load and start without the credentials (tests/test_nothing_lost.py has more)
    [notice] = await comms.wait_for(lambda m: m["topic"] == "notification/storage-warning")
    assert notice["data"]["error"] == "credentials_load_failed" and "credentials" in notice["data"]["text"]
    assert (await (await rt.http.get(rt.url + "/flows/state")).json()) == {"state": "start"}
    assert (tmp_path / "flows.json").read_text() == flows_text
    assert (tmp_path / "flows_cred.json").read_text() == creds_text


async def test_credential_secret_false_writes_plaintext(start_runtime, tmp_path):
    rt = await start_runtime([TEST_TAB], credentialSecret=False)
    await rt.deploy([TEST_TAB, {**HOST, "credentials": {"secureApiKeyValue": "sk-plain"}}])
    assert json.loads((tmp_path / "flows_cred.json").read_text()) == {"sh1": {"secureApiKeyValue": "sk-plain"}}
