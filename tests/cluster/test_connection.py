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


async def test_flowred_run_joins_and_refuses_an_unreachable_cluster(nats_server, tmp_path):
    import asyncio
    import os

    from conftest import FLOWRED, start_flowred

    env = {**os.environ}
    args = ["run", str(tmp_path / "flows.json"), "-u", str(tmp_path), "-p", str(free_port()), "--no-watch"]
    proc, out = await start_flowred(args + ["--cluster", nats_server.url, "--worker-id", "alpha"], env)
    try:
        assert "worker alpha" in out and nats_server.url in out
    finally:
        proc.terminate()
        await proc.wait()
    dead = f"nats://127.0.0.1:{free_port()}"
    bad = await asyncio.create_subprocess_exec(FLOWRED, *args, "--cluster", dead, env=env,
                                               stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    text = (await asyncio.wait_for(bad.communicate(), 60))[0].decode()
    assert bad.returncode == 1
    assert f"Cannot join the cluster: cannot reach NATS at {dead}" in text


async def test_a_nats_context_store_that_cannot_connect_is_a_clear_error(tmp_path):
    import asyncio
    import os

    from conftest import FLOWRED

    dead = f"nats://127.0.0.1:{free_port()}"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[contextStorage.default]\nmodule = "nats"\nconfig = {{ url = "{dead}" }}\n')
    proc = await asyncio.create_subprocess_exec(
        FLOWRED, "run", str(tmp_path / "flows.json"), "-u", str(tmp_path), "-s", str(settings),
        "-p", str(free_port()), "--no-watch", env={**os.environ},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    text = (await asyncio.wait_for(proc.communicate(), 60))[0].decode()
    assert proc.returncode == 1, text
    assert "Cannot open the context store" in text and dead in text
    assert "Traceback" not in text
