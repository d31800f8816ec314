"""One worker's cluster parts, started and stopped in order around the runtime.

``flowred run --cluster URL`` (runtime.cli) calls ``join`` before the engine loads its flows
and ``ClusterWorker.started`` once the editor listens: the comms relay first (so the worker's
debug frames are marked before any editor queues them), then the leader lease (one try, so
the first worker leads before its flows start), then the shared flows (catch up with the
bucket or seed it); after the load, following the bucket and the heartbeats.
"""
from __future__ import annotations

from typing import Any

from .flow_sync import FlowSync
from .lease import Lease
from .members import Members
from .relay import Relay

__all__ = ["ClusterWorker", "join"]


class ClusterWorker:
    """The parts of one worker (``relay``, ``lease``, ``flows``, ``members``), also reachable
    from the connection (``cluster.lease`` ...)."""

    def __init__(self, cluster: Any, engine: Any) -> None:
        self.cluster = cluster
        self.engine = engine
        self.relay = Relay(cluster, engine.events, engine.settings.commsQueueLimit)
        self.lease = cluster.lease = Lease(cluster)
        self.flows = cluster.flows = FlowSync(cluster, engine)
        self.members = cluster.members = Members(cluster, engine)

    async def prepare(self) -> None:
        """Before ``engine.load()``: relay, first lease try, flows caught up or seeded."""
        await self.relay.start()
        await self.lease.acquire()
        self.lease.start()
        await self.members.open()
        await self.flows.prepare()

    def started(self, url: str) -> None:
        """After ``engine.load()``, with the URL of this worker's editor."""
        self.flows.start()
        self.members.start(url)

    async def close(self) -> None:
        """Leave: stop following, give up the lease, say ``stopped``; the connection stays
        open (the caller closes it)."""
        await self.flows.close()
        await self.lease.close()
        await self.members.close()
        await self.relay.close()


async def join(cluster: Any, engine: Any) -> ClusterWorker:
    """Start this worker's cluster parts before the engine loads (see the module docstring).
    Raises ClusterError or a NATS error when JetStream refuses a bucket."""
    worker = ClusterWorker(cluster, engine)
    await worker.prepare()
    return worker
