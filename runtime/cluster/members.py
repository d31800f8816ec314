"""The cluster's workers: each worker's heartbeat in a JetStream key-value bucket, and the
status ``GET /cluster`` and ``flowred cluster status`` show.

The bucket ``flowred_<name>_workers`` (entries expire after ``TTL`` seconds) holds one key per
worker, its id, with JSON ``{"id", "url" (its editor), "started", "heartbeat" (ms since the
epoch), "state": "running" | "stopped", "rev" (the flows it runs)}``, written every ``BEAT``
seconds. A worker that stopped cleanly says ``stopped``; one that died stops beating, shows
as ``missing`` after ``MISSING`` seconds and disappears when its entry expires.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from ..log import logger

__all__ = ["Members", "cluster_status", "BEAT", "MISSING", "TTL"]

BEAT = 1.0      # seconds between heartbeats
MISSING = 5.0   # seconds without a heartbeat after which a worker is shown as missing
TTL = 30.0      # seconds after its last heartbeat a worker's entry is forgotten
TIMEOUT = 2.0


class Members:
    """This worker's heartbeat: ``start(url)`` once the editor listens, ``close()``;
    ``status()`` → the cluster's status dict (see ``cluster_status``)."""

    def __init__(self, cluster: Any, engine: Any) -> None:
        self.cluster = cluster
        self.engine = engine
        self.kv: Any = None
        self.url = ""
        self.started = int(time.time() * 1000)
        self._task: asyncio.Task | None = None

    async def open(self) -> None:
        """Open (or create) the heartbeat bucket; raises ClusterError when JetStream refuses."""
        self.kv = await self.cluster.key_value("workers", history=1, ttl=TTL)

    def start(self, url: str) -> None:
        """Beat every BEAT seconds, naming ``url`` as this worker's editor."""
        self.url = url
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Stop beating and say ``stopped`` (when NATS can be reached)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.kv is not None and self.cluster.nc.is_connected:
            try:
                await asyncio.wait_for(self._beat("stopped"), TIMEOUT)
            except Exception as exc:
                logger.debug(f"Cluster: last heartbeat not sent: {exc}")

    async def status(self) -> dict:
        """The cluster's status as this worker sees it; ``workers`` is empty while NATS is
        away (``connected`` false)."""
        lease = self.cluster.lease
        return await cluster_status(self.cluster, self.kv, lease.kv if lease is not None else None,
                                    me=self.cluster.worker_id)

    async def _run(self) -> None:
        while True:
            try:
                if self.cluster.nc.is_connected:
                    await asyncio.wait_for(self._beat("running"), TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.debug(f"Cluster heartbeat: {type(exc).__name__}: {exc}")
            await asyncio.sleep(BEAT)

    async def _beat(self, state: str) -> None:
        me = self.cluster.worker_id
        body = {"id": me, "url": self.url, "started": self.started, "heartbeat": int(time.time() * 1000),
                "state": state, "rev": self.engine.rev}
        await self.kv.put(me, json.dumps(body).encode())


async def cluster_status(cluster: Any, workers_kv: Any, leader_kv: Any, me: str | None = None) -> dict:
    """``{"enabled": true, "name", "url" (NATS), "connected", "worker" (this worker's id, or
    None outside a worker), "leader" (id or None), "workers": [{"id", "state": "running" |
    "missing" | "stopped", "heartbeat" (ms), "age" (s since it), "url", "rev", "started"}]}``,
    workers sorted by id."""
    out: dict[str, Any] = {"enabled": True, "name": cluster.name, "url": cluster.options.url,
                           "connected": bool(cluster.nc.is_connected), "worker": me, "leader": None, "workers": []}
    if not out["connected"]:
        return out
    now = time.time() * 1000
    if leader_kv is not None:
        try:
            entry = await asyncio.wait_for(leader_kv.get("leader"), TIMEOUT)
            out["leader"] = entry.value.decode() if entry.value else None
        except Exception:
            pass
    if workers_kv is not None:
        try:
            keys = await asyncio.wait_for(workers_kv.keys(), TIMEOUT)
        except Exception:
            keys = []  # nats-py raises NoKeysError for an empty bucket
        for key in sorted(keys):
            try:
                body = json.loads((await asyncio.wait_for(workers_kv.get(key), TIMEOUT)).value)
            except Exception:
                continue
            age = max(0.0, (now - float(body.get("heartbeat", 0))) / 1000)
            state = body.get("state", "running")
            if state == "running" and age > MISSING:
                state = "missing"
            out["workers"].append({"id": body.get("id", key), "state": state, "heartbeat": body.get("heartbeat"),
                                   "age": round(age, 3), "url": body.get("url", ""), "rev": body.get("rev"),
                                   "started": body.get("started")})
    return out
