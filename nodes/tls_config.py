"""The ``tls-config`` config node: certificates and TLS options for client connections.

As Node-RED's TLS config node (nodes/core/network/05-tls.js, 05-tls.html): an http request node
that names one connects with its certificate, key, CA and options.
"""
from __future__ import annotations

import base64
import os
import ssl
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field

from flowred import Node, NodeConfig, NodeError, register
from flowred.fields import OrDefault, TrimmedText

__all__ = ["TlsConfig", "TlsConfigNode"]

MISSING_PAIR = "A certificate and its private key must be given together"


class TlsConfig(NodeConfig):
    """Node-RED's fields and defaults. ``certType``: ``files`` (paths, or the uploaded PEM
    text in the credentials ``certdata``/``keydata``/``cadata``), ``env`` (PEM text in the
    environment variables named by ``certEnv``/``keyEnv``/``caEnv``) or ``pfx`` (a PKCS#12
    file ``p12``, or the credential ``p12data`` in base64). ``passphrase`` (credential) opens
    the key."""

    certType: OrDefault[Literal["files", "env", "pfx"]] = Field("files",
                                                                description="Where the certificates come from.")
    cert: TrimmedText = Field("", description="Path of the certificate (PEM).")
    key: TrimmedText = Field("", description="Path of the private key (PEM).")
    ca: TrimmedText = Field("", description="Path of the CA certificate(s) to trust in place of the system's (PEM).")
    p12: TrimmedText = Field("", description="Path of a PKCS#12 (.pfx/.p12) file (certType pfx).")
    certEnv: TrimmedText = Field("", description="Environment variable holding the certificate (certType env).")
    keyEnv: TrimmedText = Field("", description="Environment variable holding the private key (certType env).")
    caEnv: TrimmedText = Field("", description="Environment variable holding the CA certificate(s) (certType env).")
    certname: str = Field("", description="Name of the uploaded certificate (shown only).")
    keyname: str = Field("", description="Name of the uploaded private key (shown only).")
    caname: str = Field("", description="Name of the uploaded CA certificate (shown only).")
    servername: TrimmedText = Field("",
                                    description="Server name for SNI and certificate checks, when not the URL's host.")
    alpnprotocol: TrimmedText = Field("", description="The ALPN protocol to offer, e.g. h2 or http/1.1.")
    verifyservercert: bool = Field(True, description="Verify the server's certificate (off accepts any).")


@register("tls-config", category="config", config_node=True, inputs=0, outputs=0, label="TLS config",
          credentials=("certdata", "keydata", "cadata", "p12data", "passphrase"))
class TlsConfigNode(Node):
    """TLS settings shared by the nodes that name this one (http request, websocket client, tcp).

    The certificate and key come from files (read when the flows start), from the uploaded
    PEM text kept in the credentials file, from environment variables, or from a PKCS#12
    file or upload. A CA replaces the system's trusted certificates, as in Node.js. "Verify
    server certificate" off accepts any certificate; the server name is used for SNI and the
    certificate check; the ALPN protocol is offered in the handshake.

    Errors: a certificate without its key (or a key without its certificate), a file that
    cannot be read or a certificate/key/passphrase that does not load is reported on this node
    when the flows start, and each request through it fails with that text (Node-RED would go
    on without the certificates).
    """

    Config = TlsConfig

    def __init__(self, config: TlsConfig, flow) -> None:
        super().__init__(config, flow)
        self._context: ssl.SSLContext | None = None
        self._server_context: ssl.SSLContext | None = None
        self._problem: str | None = None

    def start(self) -> None:
        try:
            self.ssl_context()
        except NodeError as exc:
            self.error(str(exc))

    @property
    def servername(self) -> str | None:
        """The server name to send (SNI) and check, or None for the URL's host."""
        return self.config.servername or None

    def ssl_context(self) -> ssl.SSLContext:
        """The client SSLContext, built once. Raises NodeError saying what is wrong."""
        if self._context is None:
            if self._problem is None:
                try:
                    self._context = self._build()
                except (OSError, ValueError, ssl.SSLError, NodeError) as exc:
                    self._problem = f"TLS config {self.name or self.id}: {_reason(exc)}"
            if self._problem is not None:
                raise NodeError(self._problem)
        return self._context

    def server_ssl_context(self) -> ssl.SSLContext:
        """An SSLContext for a server listening with this node's certificate and key (tcp in /
        tcp out as a server); with a CA, client certificates are checked against it when a
        client sends one. Raises NodeError saying what is wrong (no certificate, files,
        passphrase)."""
        if self._server_context is None:
            try:
                cert, key, ca = self._material()
                if not cert:
                    raise NodeError("a server needs a certificate and its private key")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                _load_chain(ctx, cert, key, self.credentials.get("passphrase") or None)
                if ca:
                    ctx.load_verify_locations(cadata=ca.decode() if isinstance(ca, bytes) else ca)
                    ctx.verify_mode = ssl.CERT_OPTIONAL
                if self.config.alpnprotocol:
                    ctx.set_alpn_protocols([self.config.alpnprotocol])
                self._server_context = ctx
            except (OSError, ValueError, ssl.SSLError, NodeError) as exc:
                raise NodeError(f"TLS config {self.name or self.id}: {_reason(exc)}") from None
        return self._server_context

    def _build(self) -> ssl.SSLContext:
        cfg = self.config
        cert, key, ca = self._material()
        if ca:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # as Node.js: the CA replaces the defaults
            ctx.load_verify_locations(cadata=ca.decode() if isinstance(ca, bytes) else ca)
        else:
            ctx = ssl.create_default_context()
        if cert:
            _load_chain(ctx, cert, key, self.credentials.get("passphrase") or None)
        if cfg.alpnprotocol:
            ctx.set_alpn_protocols([cfg.alpnprotocol])
        if not cfg.verifyservercert:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _material(self) -> tuple[bytes | None, bytes | None, bytes | None]:
        """(certificate, key, CA) as PEM bytes from files, env variables, uploads or PKCS#12."""
        cfg, creds = self.config, self.credentials
        if cfg.certType == "pfx":
            if cfg.p12:
                return (*_from_pkcs12(Path(cfg.p12).read_bytes(), creds.get("passphrase")), None)
            if creds.get("p12data"):
                return (*_from_pkcs12(base64.b64decode(creds["p12data"]), creds.get("passphrase")), None)
            return None, None, None
        if cfg.certType == "env":
            cert, key, ca = (self.get_env(name).encode() if name and self.get_env(name) else None
                             for name in (cfg.certEnv, cfg.keyEnv, cfg.caEnv))
        elif cfg.cert or cfg.key or cfg.ca:
            cert, key, ca = (Path(p).read_bytes() if p else None for p in (cfg.cert, cfg.key, cfg.ca))
        else:
            cert, key, ca = (str(creds[f]).encode() if creds.get(f) else None
                             for f in ("certdata", "keydata", "cadata"))
        if bool(cert) != bool(key):
            raise NodeError(MISSING_PAIR)
        return cert, key, ca


def _load_chain(ctx: ssl.SSLContext, cert: bytes, key: bytes | None, passphrase: str | None) -> None:
    """``load_cert_chain`` from PEM bytes: Python's ssl reads them from files only, so they go
    through a private temporary directory that is removed at once."""
    with tempfile.TemporaryDirectory(prefix="flowred-tls-") as tmp:
        cert_file, key_file = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        for path, data in ((cert_file, cert), (key_file, key)):
            if data:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
        ctx.load_cert_chain(cert_file, key_file if key else None, password=passphrase)


def _from_pkcs12(data: bytes, passphrase: str | None) -> tuple[bytes, bytes]:
    """(certificate chain, key) as PEM from a PKCS#12 archive (cryptography)."""
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12

    key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase.encode() if passphrase else None)
    if key is None or cert is None:
        raise NodeError("the PKCS#12 file holds no certificate and key")
    chain = b"".join(c.public_bytes(Encoding.PEM) for c in [cert, *(extra or [])])
    return chain, key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"cannot read {exc.filename}: {exc.strerror}"
    if isinstance(exc, ssl.SSLError):
        return f"the certificate, key or passphrase does not load ({exc.reason or exc})"
    return str(exc)
