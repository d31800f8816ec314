"""``flowred cluster status --cluster URL [--cluster-name NAME]``: the cluster's workers, leader
and name, read from its key-value buckets without starting a runtime; prints the JSON that
``GET /cluster`` answers (with ``worker`` null)."""
from __future__ import annotations

import json
import sys

from .connection import ClusterError, ClusterOptions, connect
from .members import cluster_status

__all__ = ["print_status"]


async def print_status(url: str, name: str) -> int:
    """Print the status; returns the exit status (1 when NATS cannot be reached)."""
    try:
        cluster = await connect(ClusterOptions(url, name=name, worker_id="status"), timeout=2.0, attempts=1)
    except (ClusterError, ValueError) as exc:
        print(f"flowred cluster status: {exc}", file=sys.stderr)
        return 1
    try:
        workers = await _bucket(cluster, "workers")
        leader = await _bucket(cluster, "leader")
        status = await cluster_status(cluster, workers, leader)
    finally:
        await cluster.close()
    print(json.dumps(status, indent=2))
    return 0


async def _bucket(cluster, what: str):
    """The bucket if it exists (this command never creates one), else None."""
    try:
        return await cluster.js.key_value(cluster.bucket_name(what))
    except Exception:
        return None
