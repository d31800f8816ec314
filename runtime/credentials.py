"""The credentials file, as Node-RED's runtime/lib/nodes/credentials.js.

Plaintext form: ``{"<node id>": {"field": value}}``. Encrypted form: ``{"$": ivHex + base64(ct)}``
where ``ct`` is AES-256-CTR of the plaintext JSON with ``key = sha256(secret)`` and a random
16-byte IV (32 hex chars). A file written by Node-RED with the same secret reads here, and the
other way round.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os

__all__ = ["encrypt_credentials", "decrypt_credentials", "CredentialsError"]


class CredentialsError(ValueError):
    """The credentials file cannot be decrypted with this secret (Node-RED:
    ``credentials_load_failed``)."""


def _aes_ctr(secret: str, iv: bytes):
    """AES-256-CTR with key sha256(secret), as Node-RED's credentials.js (cryptography is
    imported when a credentials file is first read or written, not at startup)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    return Cipher(algorithms.AES(hashlib.sha256(secret.encode()).digest()), modes.CTR(iv))


def encrypt_credentials(creds: dict, secret: str | bool | None) -> dict:
    """The file body for ``creds``: plaintext when ``secret`` is False/None, else ``{"$": ...}``."""
    if not secret:
        return creds
    iv = os.urandom(16)
    enc = _aes_ctr(secret, iv).encryptor()
    ct = enc.update(json.dumps(creds, separators=(",", ":"), ensure_ascii=False).encode()) + enc.finalize()
    return {"$": iv.hex() + base64.b64encode(ct).decode()}


def decrypt_credentials(body: dict, secret: str | bool | None) -> dict:
    """The credentials in a file body; raises CredentialsError on a wrong secret or bad data."""
    if "$" not in body:
        return body
    if not secret:
        raise CredentialsError("the credentials file is encrypted but no credentialSecret is set")
    data = body["$"]
    try:
        iv = bytes.fromhex(data[:32])
        dec = _aes_ctr(secret, iv).decryptor()
        plain = dec.update(base64.b64decode(data[32:])) + dec.finalize()
        creds = json.loads(plain.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CredentialsError("the credentials file cannot be decrypted with this secret "
                               f"({exc.__class__.__name__})") from None
    if not isinstance(creds, dict):
        raise CredentialsError("the credentials file does not hold an object")
    return creds
