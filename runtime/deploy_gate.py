"""Why a deploy can be refused before anything changes, whoever runs the flows.

The engine raises these from ``Engine.deploy``; the Admin API turns them into its answers
(``status``, ``code``, the text as ``message``). A single process raises only DeployConflict
(a stale ``rev``); a cluster worker (flowred.cluster.flow_sync) also raises it when the shared
flows moved since this worker applied them, and DeployUnavailable while it cannot reach NATS.
"""
from __future__ import annotations

__all__ = ["DeployRefused", "DeployConflict", "DeployUnavailable"]


class DeployRefused(Exception):
    """A deploy refused before anything changed: ``status`` (HTTP), ``code``, the text."""

    status = 400
    code = "deploy_refused"


class DeployConflict(DeployRefused):
    """The flows changed since the deployer read them: Node-RED's 409 ``version_mismatch``."""

    status = 409
    code = "version_mismatch"


class DeployUnavailable(DeployRefused):
    """The cluster cannot take the deploy now (NATS unreachable): 503, nothing changed, the
    deploy can be sent again later."""

    status = 503
    code = "cluster_unavailable"
