"""Many FlowRed workers running one set of flows over NATS JetStream (docs/cluster.md).

Nothing here is imported unless a cluster URL is configured (``flowred run --cluster URL`` or
``[cluster] url`` in the settings file): a single process needs no NATS. ``connection`` holds a
worker's connection and the names of its subjects and key-value buckets; ``flow_sync`` the
shared flows (deploy once), ``lease`` the leader lease (fire once), ``relay`` the debug and
status frames of every worker (see everything), ``members`` the heartbeats and the cluster's
status, ``worker`` starts them in order, ``status_cli`` is ``flowred cluster status``.
"""
