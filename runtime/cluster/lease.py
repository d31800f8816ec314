"""Fire once: the leader lease, one key in a JetStream key-value bucket whose entries expire.

The bucket ``flowred_<name>_leader`` has a TTL of ``TTL`` seconds (the stream's max age); its
key ``leader`` holds the leading worker's id. A worker without the lease tries to create the
key every ``POLL`` seconds (it exists while a leader renews it); the leader renews it every
``RENEW`` seconds with compare-and-set on its own revision, and deletes it when it stops, so
another worker takes over at once. When the leader dies (``kill -9``) the key expires after
``TTL`` seconds and the next try of another worker wins: a takeover within TTL + POLL.

No double fire: the leader counts its lease from the moment it *sent* the create or renewal
(the server's timestamp of that write is later, so the key lives at least until then +
TTL), and stops counting itself leader ``MARGIN`` seconds before that end. A leader that
cannot renew in time (NATS away, a stalled loop) has stopped firing before the key can expire
and another worker can take it.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

from ..log import logger

__all__ = ["Lease", "TTL", "RENEW", "POLL", "MARGIN"]

TTL = 3.0      # seconds a lease lives without renewal
RENEW = 0.75   # seconds between renewals by the leader
POLL = 0.5     # seconds between takeover tries of the other workers
MARGIN = 0.75  # seconds before the lease's end at which the leader stops counting itself leader
KEY = "leader"
TIMEOUT = 1.0  # seconds one KV request may take


class Lease:
    """This worker's view of the lease: ``held`` (leader now), ``leader`` (the id last seen,
    or None), ``follow(callback)``, ``start()``/``acquire()``, ``close()``."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self.kv: Any = None
        self.leader: str | None = None
        self._leading = False
        self._until = 0.0       # time.monotonic() after which this worker no longer leads
        self._revision = 0
        self._followers: list[Callable[[bool], None]] = []
        self._task: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None

    @property
    def held(self) -> bool:
        """Whether this worker leads now (a lease whose safe end has not passed)."""
        return self._leading and time.monotonic() < self._until

    def follow(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Call ``callback(held)`` now and on every change; returns the function that stops it."""
        self._followers.append(callback)
        callback(self.held)
        return lambda: self._followers.remove(callback) if callback in self._followers else None

    async def acquire(self) -> None:
        """Open the bucket and try once to take the lease (the first worker leads before its
        flows start, so an inject's ``once`` fires there)."""
        self.kv = await self.cluster.key_value("leader", history=1, ttl=TTL)
        await self._step()

    def start(self) -> None:
        """Keep renewing or trying until ``close()``."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Stop; a leader gives the lease up at once (deletes the key)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        was = self._leading
        self._set(False)
        if was and self.kv is not None and self.cluster.nc.is_connected:
            try:
                await asyncio.wait_for(self.kv.delete(KEY, last=self._revision), TIMEOUT)
            except Exception as exc:
                logger.debug(f"Cluster: could not give up the lease: {exc}")

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.debug(f"Cluster lease: {type(exc).__name__}: {exc}")
            pause = RENEW if self._leading else POLL
            if self._leading:
                pause = max(0.0, min(pause, self._until - time.monotonic()))
            await asyncio.sleep(pause)

    async def _step(self) -> None:
        from nats.js.errors import KeyWrongLastSequenceError

        me = self.cluster.worker_id
        if self._leading and time.monotonic() >= self._until:
            logger.warning("Cluster: the leader lease could not be renewed in time; this worker stops leading")
            self._set(False)
        sent = time.monotonic()
        if not self.cluster.nc.is_connected:
            return
        try:
            if self._leading or self._revision:
                # renew; or take back a lapsed lease whose key nobody wrote since (still ours)
                try:
                    self._revision = await asyncio.wait_for(
                        self.kv.update(KEY, me.encode(), last=self._revision), TIMEOUT)
                except KeyWrongLastSequenceError:
                    self._revision = 0
                    raise
                if not self._leading:
                    logger.info(f"Cluster: worker {me} is the leader again")
            else:
                self._revision = await asyncio.wait_for(self.kv.create(KEY, me.encode()), TIMEOUT)
                logger.info(f"Cluster: worker {me} is the leader")
        except KeyWrongLastSequenceError:
            if self._leading:
                logger.warning("Cluster: another worker holds the leader lease; this worker stops leading")
                self._set(False)
            await self._read_leader()
            return
        except Exception:
            if self._leading:  # keep leading until the safe end; the next step tries again
                return
            raise
        self.leader = me
        self._until = sent + TTL - MARGIN
        self._set(True)

    async def _read_leader(self) -> None:
        try:
            entry = await asyncio.wait_for(self.kv.get(KEY), TIMEOUT)
            self.leader = entry.value.decode() if entry.value else None
        except Exception:
            self.leader = None

    def _set(self, leading: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if leading:
            # followers hear of the loss at the lease's safe end even if the loop is late
            self._timer = asyncio.get_running_loop().call_at(
                asyncio.get_running_loop().time() + max(0.0, self._until - time.monotonic()), self._expired)
        if leading == self._leading:
            return
        self._leading = leading
        if not leading and self.leader == self.cluster.worker_id:
            self.leader = None
        for callback in list(self._followers):
            try:
                callback(leading)
            except Exception as exc:
                logger.error(f"Cluster: a leadership follower failed: {exc}")

    def _expired(self) -> None:
        self._timer = None
        if self._leading and time.monotonic() >= self._until:
            logger.warning("Cluster: the leader lease ran out before it was renewed; this worker stops leading")
            self._set(False)
