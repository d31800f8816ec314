"""Deploy once: the cluster's flows live in one JetStream key-value entry, and every worker
runs what it holds.

The bucket ``flowred_<name>_flows`` keeps key ``current``: JSON
``{"flows": [...], "rev": <sha256 of the flows>, "credentials": <credentials file body>,
"mode": <deployment type>, "worker": <id of the deploying worker>, "time": <ms>}``. The
credentials are encrypted as ``flows_cred.json`` is (runtime.credentials: AES-256-CTR with
``credentialSecret``), so every worker of a cluster needs the same ``credentialSecret``.

A deploy on any worker (Admin API, editor, flow-file edit) is written with compare-and-set
on the entry's revision this worker last applied (``kv.update(last=...)``): when another
worker deployed meanwhile the write fails and the deploy is a 409 ``version_mismatch``, so two
editors never overwrite each other silently. Each worker learns of a new entry from a core
NATS subscription on the bucket's subject (and a poll every ``POLL`` seconds, which also
catches up after an outage), applies it with the deploying worker's deployment type, and
saves it to its own flow file, so a restart without NATS runs the last flows. While NATS
cannot be reached a deploy is refused with 503 before anything changes.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from ..credentials import CredentialsError, decrypt_credentials, encrypt_credentials
from ..deploy_gate import DeployConflict, DeployUnavailable
from ..loader import FlowFileError
from ..log import logger
from .connection import stop_quietly

__all__ = ["FlowSync", "KEY", "POLL"]

KEY = "current"
POLL = 2.0
"""Seconds between checks of the shared entry besides the change notifications."""
TIMEOUT = 3.0
"""Seconds a KV request may take before the cluster counts as unreachable."""


class FlowSync:
    """The shared flows of one worker: ``prepare()`` before the engine loads (catch up or
    seed), ``start()`` after (follow changes), ``share()`` from ``Engine.deploy``,
    ``close()``. ``applied`` is the KV revision of the flows running here (0: none)."""

    def __init__(self, cluster: Any, engine: Any) -> None:
        self.cluster = cluster
        self.engine = engine
        self.kv: Any = None
        self.applied = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._sub: Any = None

    @property
    def _secret(self) -> str | bool | None:
        storage = self.engine.storage
        return storage.secret if storage is not None else None

    async def prepare(self) -> None:
        """Before the engine loads its flow file: write the bucket's flows to it (a worker
        that joins runs the cluster's flows), or seed an empty bucket with the local flows."""
        self.kv = await self.cluster.key_value("flows", history=5)
        entry = await self._get()
        storage = self.engine.storage
        if entry is None and storage is not None:
            try:
                nodes, creds = storage.load()
            except FlowFileError as exc:
                logger.error(f"Cluster: the local flow file cannot seed the cluster's flows: {exc}")
                return
            from ..engine import flows_rev

            try:
                self.applied = await self.kv.create(KEY, self._encode(nodes, creds, "full", flows_rev(nodes)))
                logger.info(f"Cluster: seeded the cluster's flows from {storage.flow_file}")
                return
            except Exception as exc:  # another worker seeded first: take its flows
                logger.debug(f"Cluster: seeding refused ({exc}); reading the cluster's flows")
                entry = await self._get()
        if entry is not None:
            decoded = self._decode(entry)
            if decoded is not None and storage is not None:
                nodes, creds, _mode = decoded
                storage.save(nodes, creds if creds is not None else None)
                logger.info(f"Cluster: took the cluster's flows (revision {entry.revision})")
            self.applied = entry.revision

    def start(self) -> None:
        """Follow the bucket: apply each newer entry until ``close()``."""
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def share(self, nodes: list[dict], creds: dict, mode: str) -> None:
        """Store a deploy made on this worker (called by Engine.deploy under its lock, before
        it applies the flows). Raises DeployConflict when the shared flows moved since this
        worker applied them, DeployUnavailable when NATS cannot take it."""
        from ..engine import flows_rev

        if self.kv is None or not self.cluster.nc.is_connected:
            raise DeployUnavailable(f"the cluster's NATS server ({self.cluster.options.url}) cannot be reached: "
                                    "the deploy was not applied anywhere; deploy again when it is back")
        value = self._encode(nodes, creds, mode, flows_rev(nodes))
        try:
            self.applied = await asyncio.wait_for(self.kv.update(KEY, value, last=self.applied), TIMEOUT)
        except Exception as exc:
            from nats.js.errors import KeyWrongLastSequenceError

            if isinstance(exc, KeyWrongLastSequenceError):
                self._wake.set()
                raise DeployConflict("the flows were changed on another worker of the cluster since they "
                                     "were read here") from None
            raise DeployUnavailable(f"the cluster's NATS server ({self.cluster.options.url}) did not take the "
                                    f"deploy ({type(exc).__name__}); deploy again when it is back") from None

    async def close(self) -> None:
        """Stop following the bucket (the shared flows stay as they are)."""
        task, sub, self._task, self._sub = self._task, self._sub, None, None
        await stop_quietly(task, sub)

    # -- following the bucket ---------------------------------------------------------------
    async def _follow(self) -> None:
        async def changed(_msg: Any) -> None:
            self._wake.set()

        # the KV's own subject: core NATS delivers every write to it, and resubscribes by
        # itself after a reconnect
        self._sub = await self.cluster.nc.subscribe(f"$KV.{self.cluster.bucket_name('flows')}.{KEY}", cb=changed)
        while True:
            try:
                await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS away: the next poll tries again
                logger.debug(f"Cluster: cannot read the shared flows: {type(exc).__name__}: {exc}")
            try:
                await asyncio.wait_for(self._wake.wait(), POLL)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def _catch_up(self) -> None:
        if not self.cluster.nc.is_connected:
            return
        entry = await self._get()
        if entry is None or entry.revision <= self.applied:
            return
        decoded = self._decode(entry)
        if decoded is None:
            self.applied = entry.revision
            return
        nodes, creds, mode = decoded
        engine = self.engine
        try:
            if creds is None:  # unreadable: keep the credentials this worker has
                await engine.deploy(nodes, None, mode=mode, share=False)
            else:
                await engine.deploy(nodes, creds, replace_credentials=True, mode=mode, share=False)
        except Exception as exc:
            logger.error(f"Cluster: the flows of revision {entry.revision} cannot run here: {exc}")
        self.applied = max(self.applied, entry.revision)
        logger.info(f"Cluster: applied the flows deployed on {self._worker_of(entry)} (revision {entry.revision})")

    async def _get(self) -> Any:
        from nats.js.errors import KeyNotFoundError

        try:
            entry = await asyncio.wait_for(self.kv.get(KEY), TIMEOUT)
        except KeyNotFoundError:
            return None
        return entry if entry.value else None

    # -- the entry's value ------------------------------------------------------------------
    def _encode(self, nodes: list[dict], creds: dict, mode: str, rev: str) -> bytes:
        body = {"flows": nodes, "rev": rev, "credentials": encrypt_credentials(creds, self._secret),
                "mode": mode, "worker": self.cluster.worker_id, "time": int(time.time() * 1000)}
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def _decode(self, entry: Any) -> tuple[list[dict], dict | None, str] | None:
        """``(nodes, credentials or None when unreadable, mode)``, or None (logged) for an
        entry that is not FlowRed's."""
        try:
            body = json.loads(entry.value)
            nodes = body["flows"]
            if not isinstance(nodes, list):
                raise ValueError("flows is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            logger.error(f"Cluster: the shared flows (revision {entry.revision}) are not readable: {exc}")
            return None
        creds: dict | None
        try:
            raw = body.get("credentials") or {}
            creds = decrypt_credentials(raw, self._secret if "$" in raw else None)
        except CredentialsError as exc:
            logger.error(f"Cluster: the shared credentials cannot be read here ({exc}): every worker of a cluster "
                         "needs the same credentialSecret; this worker keeps the credentials it has")
            creds = None
        mode = body.get("mode") if body.get("mode") in ("full", "nodes", "flows") else "full"
        return nodes, creds, mode

    @staticmethod
    def _worker_of(entry: Any) -> str:
        try:
            return str(json.loads(entry.value).get("worker", "?"))
        except ValueError:
            return "?"
