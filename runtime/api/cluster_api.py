"""``GET /cluster``: the workers of this runtime's cluster, its leader and name (FlowRed's own;
Node-RED has no cluster).

In a cluster: ``{"enabled": true, "name", "url" (NATS), "connected", "worker" (this worker's
id), "leader", "workers": [{"id", "state", "heartbeat", "age", "url", "rev", "started"}]}``
(flowred.cluster.members.cluster_status). A runtime running alone answers 200
``{"enabled": false}``, so a script can ask any FlowRed the same question.
"""
from __future__ import annotations

from aiohttp import web

__all__ = ["add_cluster_route"]


def add_cluster_route(app: web.Application, engine, root: str) -> None:
    """Mount ``GET /cluster`` under ``root``."""

    async def get_cluster(request: web.Request) -> web.Response:
        cluster = engine.cluster
        if cluster is None or cluster.members is None:
            return web.json_response({"enabled": False})
        return web.json_response(await cluster.members.status())

    app.router.add_get(root + "/cluster", get_cluster)
