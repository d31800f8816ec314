"""A worker's connection to the cluster against a real nats-server."""
import pytest

from flowred.cluster.connection import Cluster, ClusterError, ClusterOptions, connect

from conftest import free_port


async def test_connect_names_subjects_and_buckets(nats_server):
    cluster = await connect(ClusterOptions(nats_server.url, name="blue", worker_id="w1"))
    try:
        assert isinstance(cluster, Cluster)
        assert cluster.subject("debug") == "flowred.blue.debug"
        kv = await cluster.key_value("flows", history=1)
        await kv.put("rev", b"abc")
        again = await cluster.key_value("flows")
        assert (await again.get("rev")).value == b"abc"
        assert again._name == cluster.bucket_name("flows") == "flowred_blue_flows"
    finally:
        await cluster.close()


async def test_unreachable_nats_names_the_url():
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(ClusterError, match=url.replace(".", r"\.")):
        await connect(ClusterOptions(url), timeout=0.5, attempts=2)


def test_names_are_checked():
    with pytest.raises(ValueError, match="cluster name"):
        ClusterOptions("nats://127.0.0.1:4222", name="a.b")
