"""tls-config (05-tls.js) and http proxy (06-httpproxy.js) config nodes, used by http request
against real HTTPS and HTTP servers on loopback with certificates made for the test."""
from __future__ import annotations

import datetime
import json
import ssl
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import TEST_TAB, feeder, free_port, make_node


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool = False,
          sans: list | None = None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(obj) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Pki:
    """A test CA, a server certificate for 127.0.0.1 and flowred.test, and a client certificate,
    as PEM files under ``dir`` and as text."""

    def __init__(self, dir: Path) -> None:
        ca_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
        ca = _cert("FlowRed test CA", ca_key, "FlowRed test CA", ca_key, ca=True)
        import ipaddress
        server = _cert("flowred.test", server_key, "FlowRed test CA", ca_key,
                       sans=[x509.DNSName("flowred.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        client = _cert("flowred-client", client_key, "FlowRed test CA", ca_key)
        self.files = {}
        for name, data in {"ca.pem": _pem(ca), "server.pem": _pem(server), "server-key.pem": _pem(server_key),
                           "client.pem": _pem(client), "client-key.pem": _pem(client_key)}.items():
            (dir / name).write_bytes(data)
            self.files[name] = dir / name
        self.text = {name: path.read_text() for name, path in self.files.items()}


async def _whoami(request: web.Request) -> web.Response:
    peer = request.transport.get_extra_info("peercert")
    subject = dict(item[0] for item in peer["subject"]) if peer else {}
    return web.json_response({"client": subject.get("commonName"), "host": request.headers.get("Host"),
                              "proxy_auth": request.headers.get("Proxy-Authorization")})


async def _serve(ssl_context: ssl.SSLContext | None):
    port = free_port()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _whoami)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=ssl_context).start()
    return runner, port


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
async def https(pki: Pki):
    """An HTTPS server with the test CA's certificate; it asks for (but does not require) a
    client certificate and reports the client's CN."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki.files["server.pem"], pki.files["server-key.pem"])
    ctx.load_verify_locations(pki.files["ca.pem"])
    ctx.verify_mode = ssl.CERT_OPTIONAL
    runner, port = await _serve(ctx)
    yield f"https://127.0.0.1:{port}"
    await runner.cleanup()


def tls_node(id_: str = "tls", credentials: dict | None = None, **fields) -> dict:
    node = {"id": id_, "type": "tls-config", "name": "", "cert": "", "key": "", "ca": "", "certname": "",
            "keyname": "", "caname": "", "servername": "", "verifyservercert": True, "alpnprotocol": "", **fields}
    if credentials:
        node["credentials"] = credentials
    return node


def request_node(url: str, **fields) -> dict:
    return make_node("h1", "http request", [["d1"]], **{
        "method": "GET", "ret": "obj", "paytoqs": "ignore", "url": url, "tls": "", "persist": False,
        "proxy": "", "insecureHTTPParser": False, "authType": "", "senderr": False, "headers": [], **fields})


async def call(start_runtime, *nodes: dict) -> dict:
    """Deploy ``nodes`` with a feeder into h1 and debug d1; the msg d1 shows for one inject,
    and the errors reported meanwhile."""
    debug = make_node("d1", "debug", complete="true", active=True, tosidebar=True, console=False,
                      tostatus=False, targetType="full")
    rt = await start_runtime([TEST_TAB, feeder("f1", "h1"), *nodes, debug])
    comms = await rt.comms()
    await rt.inject("f1", {})
    [out] = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("id") == "d1"
                                 and "level" not in m["data"])
    errors = [d["msg"] for d in comms.topic("debug") if d.get("level") == 20]
    return {"msg": json.loads(out["data"]["msg"]), "errors": errors}


async def test_without_a_tls_config_the_test_ca_is_not_trusted(start_runtime, https):
    got = await call(start_runtime, request_node(https + "/x"))
    assert got["msg"]["statusCode"] in ("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN",
                                        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY")


async def test_ca_file_verifies_the_server(start_runtime, https, pki):
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), tls_node(ca=str(pki.files["ca.pem"])))
    assert got["msg"]["statusCode"] == 200 and got["msg"]["payload"]["client"] is None


async def test_uploaded_certificates_in_the_credentials_give_a_client_certificate(start_runtime, https, pki):
    creds = {"certdata": pki.text["client.pem"], "keydata": pki.text["client-key.pem"], "cadata": pki.text["ca.pem"]}
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), tls_node(credentials=creds))
    assert got["msg"]["statusCode"] == 200 and got["msg"]["payload"]["client"] == "flowred-client"


async def test_certificates_from_environment_variables(start_runtime, https, pki, monkeypatch):
    monkeypatch.setenv("TEST_CERT", pki.text["client.pem"])
    monkeypatch.setenv("TEST_KEY", pki.text["client-key.pem"])
    monkeypatch.setenv("TEST_CA", pki.text["ca.pem"])
    tls = tls_node(certType="env", certEnv="TEST_CERT", keyEnv="TEST_KEY", caEnv="TEST_CA")
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), tls)
    assert got["msg"]["payload"]["client"] == "flowred-client"


async def test_pkcs12_upload_with_passphrase(start_runtime, https, pki):
    import base64

    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
    key = serialization.load_pem_private_key(pki.files["client-key.pem"].read_bytes(), None)
    cert = x509.load_pem_x509_certificate(pki.files["client.pem"].read_bytes())
    p12 = pkcs12.serialize_key_and_certificates(b"client", key, cert, None, BestAvailableEncryption(b"s3cret"))
    tls = tls_node(certType="pfx", verifyservercert=False,
                   credentials={"p12data": base64.b64encode(p12).decode(), "passphrase": "s3cret"})
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), tls)
    assert got["msg"]["payload"]["client"] == "flowred-client"


async def test_verify_off_accepts_the_certificate_and_servername_is_checked(start_runtime, https, pki):
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), tls_node(verifyservercert=False))
    assert got["msg"]["statusCode"] == 200
    wrong = tls_node(ca=str(pki.files["ca.pem"]), servername="other.test")
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), wrong)
    assert got["msg"]["statusCode"] == "ERR_TLS_CERT_ALTNAME_INVALID"
    right = tls_node(ca=str(pki.files["ca.pem"]), servername="flowred.test")
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), right)
    assert got["msg"]["statusCode"] == 200


async def test_a_certificate_without_its_key_is_an_error_on_both_nodes(start_runtime, https, pki, caplog):
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), tls_node(cert=str(pki.files["client.pem"])))
    assert got["msg"]["statusCode"] == "ERR_TLS_CONFIG"
    assert "A certificate and its private key must be given together" in got["msg"]["payload"]
    assert any("A certificate and its private key" in e for e in got["errors"])  # the request's error
    logged = [r.getMessage() for r in caplog.records if "A certificate and its private key" in r.getMessage()]
    assert any("[tls-config:tls]" in line for line in logged)  # reported on the config node at start


async def test_a_missing_file_names_the_file(start_runtime, https, tmp_path):
    got = await call(start_runtime, request_node(https + "/x", tls="tls"), tls_node(ca=str(tmp_path / "nope.pem")))
    assert got["msg"]["statusCode"] == "ERR_TLS_CONFIG" and "nope.pem" in got["msg"]["payload"]


async def test_http_proxy_node_with_credentials_and_noproxy(start_runtime):
    runner, port = await _serve(None)  # answers as the proxy, and directly
    try:
        proxy = {"id": "px", "type": "http proxy", "name": "", "url": f"http://127.0.0.1:{port}",
                 "noproxy": ["direct.invalid"], "credentials": {"username": "u", "password": "p"}}
        got = await call(start_runtime, request_node("http://flowred-proxied.invalid/x", proxy="px"), proxy)
        assert got["msg"]["payload"]["host"] == "flowred-proxied.invalid"
        assert got["msg"]["payload"]["proxy_auth"] == "Basic dTpw"
        got = await call(start_runtime, request_node("http://sub.direct.invalid/x", proxy="px"), proxy)
        assert got["msg"]["statusCode"] in ("ENOTFOUND", "EAI_AGAIN")  # not sent to the proxy
    finally:
        await runner.cleanup()
