"""A worker's connection to its cluster: one NATS connection with JetStream, and the names of
the subjects and key-value buckets the cluster's parts share.

Every worker started with the same URL and cluster name forms one cluster; the name keeps
clusters on one NATS server apart (subjects ``flowred.<name>.…``, buckets ``flowred_<name>_…``).
"""
from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from ..log import logger

__all__ = ["Cluster", "ClusterError", "ClusterOptions", "connect", "stop_quietly"]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ClusterError(Exception):
    """The cluster cannot be joined or used; the text names the URL and the cause."""


def _new_worker_id() -> str:
    return "w-" + secrets.token_hex(4)


@dataclass(frozen=True)
class ClusterOptions:
    """``url``: the NATS server (``nats://HOST:PORT``; a comma-separated list for a NATS
    cluster); ``name``: the FlowRed cluster's name (letters, digits, ``_`` and ``-``);
    ``worker_id``: this worker's id, unique in the cluster (default: random ``w-xxxxxxxx``).
    Raises ValueError for a name or id outside those characters."""

    url: str
    name: str = "flowred"
    worker_id: str = field(default_factory=_new_worker_id)

    def __post_init__(self) -> None:
        for what, value in (("cluster name", self.name), ("worker id", self.worker_id)):
            if not _NAME.match(value):
                raise ValueError(f"{what} {value!r}: use 1 to 64 letters, digits, '_' or '-'")


class Cluster:
    """This worker's connection: ``nc`` (nats.aio.client.Client), ``js`` (its JetStream
    context), ``options``. Create it with ``connect``."""

    def __init__(self, options: ClusterOptions, nc: Any, js: Any) -> None:
        self.options = options
        self.nc = nc
        self.js = js
        # the worker's cluster parts once started (flowred.cluster.worker): the leader lease,
        # the shared flows and the member list; None before (or in a bare connection)
        self.lease: Any = None
        self.flows: Any = None
        self.members: Any = None

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def worker_id(self) -> str:
        return self.options.worker_id

    def leads(self) -> bool:
        """Whether this worker holds the leader lease now (flowred.cluster.lease): scheduled
        work (inject timers, ``runOn: leader`` inputs) runs only where this is true. False
        while no lease runs."""
        lease = self.lease
        return lease is not None and lease.held

    def on_leadership(self, callback: Any) -> Any:
        """Call ``callback(leading: bool)`` now and whenever this worker gains or loses the
        lease; returns a function that stops the calls."""
        lease = self.lease
        if lease is None:
            callback(False)
            return lambda: None
        return lease.follow(callback)

    def subject(self, *parts: str) -> str:
        """A subject of this cluster: ``flowred.<name>.<parts…>``."""
        return ".".join(("flowred", self.name, *parts))

    def bucket_name(self, what: str) -> str:
        """The name of this cluster's key-value bucket or stream ``what``:
        ``flowred_<name>_<what>``."""
        return f"flowred_{self.name}_{what}"

    async def key_value(self, what: str, **config: Any) -> Any:
        """This cluster's key-value bucket ``what`` (nats.js.kv.KeyValue), created with
        ``config`` (nats.js.api.KeyValueConfig fields, e.g. ``history``, ``ttl`` in seconds) when
        it does not exist yet. Raises ClusterError when JetStream refuses."""
        from nats.js.errors import BucketNotFoundError

        bucket = self.bucket_name(what)
        try:
            return await self.js.key_value(bucket)
        except BucketNotFoundError:
            pass
        try:
            return await self.js.create_key_value(bucket=bucket, **config)
        except Exception as exc:  # another worker may have created it meanwhile
            try:
                return await self.js.key_value(bucket)
            except Exception:
                raise ClusterError(f"cannot create key-value bucket {bucket} on {self.options.url}: {exc}") from exc

    async def close(self) -> None:
        """Drain and close the connection (pending publishes are flushed)."""
        if not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception:
                await self.nc.close()


async def connect(options: ClusterOptions, *, timeout: float = 2.0, attempts: int = 3,
                  **nats_options: Any) -> Cluster:
    """Connect to ``options.url`` with JetStream: ``attempts`` tries of ``timeout`` seconds each
    (2 s apart), then, once connected, the connection reconnects by itself for as long as the
    worker runs (``nats_options`` go to ``nats.connect``). Raises ClusterError naming the URL
    when NATS cannot be reached or has no JetStream."""
    import nats

    servers = [u.strip() for u in options.url.split(",") if u.strip()]

    async def quiet(exc: Exception) -> None:
        logger.debug(f"NATS {options.url}: {exc}")

    nats_options.setdefault("error_cb", quiet)
    try:
        nc = await nats.connect(servers=servers, connect_timeout=timeout, allow_reconnect=True,
                                max_reconnect_attempts=max(attempts - 1, 0), reconnect_time_wait=2,
                                name=f"flowred {options.name} {options.worker_id}", **nats_options)
    except Exception as exc:
        raise ClusterError(f"cannot reach NATS at {options.url}: {exc or type(exc).__name__}") from exc
    nc.options["max_reconnect_attempts"] = -1  # from now on: never give up (nats-py reads it per reconnect)
    js = nc.jetstream()
    try:
        await js.account_info()
    except Exception as exc:
        await nc.close()
        raise ClusterError(f"NATS at {options.url} has no JetStream (start nats-server with -js): {exc}") from exc
    return Cluster(options, nc, js)


async def stop_quietly(task: Any = None, sub: Any = None) -> None:
    """Cancel ``task`` (an asyncio.Task, or None) and wait for it; unsubscribe ``sub`` (a NATS
    subscription, or None), ignoring a connection that is already gone. For the cluster parts'
    ``close()``."""
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if sub is not None:
        try:
            await sub.unsubscribe()
        except Exception:
            pass
