"""Many FlowRed workers running one set of flows over NATS JetStream.

Nothing here is imported unless a cluster URL is configured (``flowred run --cluster URL`` or
``[cluster] url`` in the settings file): a single process needs no NATS. ``connection`` holds a
worker's connection and the names of its subjects and key-value buckets.
"""
