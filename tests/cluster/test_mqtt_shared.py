"""mqtt in in a cluster: every worker subscribes with a shared subscription, so the broker hands
each message to one worker. Needs a broker with shared subscriptions: Mosquitto (Debian's
``mosquitto`` package); amqtt, the other tests' broker, has none."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest

from .conftest import wait_until
from conftest import free_port

MOSQUITTO = shutil.which("mosquitto") or next((p for p in ("/usr/sbin/mosquitto",) if Path(p).exists()), None)
pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="needs mosquitto (apt-get install mosquitto)")


@pytest.fixture
def mosquitto():
    port = free_port()
    proc = subprocess.Popen([MOSQUITTO, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield port
    proc.terminate()
    proc.wait(5)


async def test_each_mqtt_message_is_handled_by_one_worker(start_workers, mosquitto):
    import aiomqtt

    flows = [{"id": "t1", "type": "tab", "label": "mqtt"},
             {"id": "b1", "type": "mqtt-broker", "broker": "127.0.0.1", "port": str(mosquitto), "clientid": "fixed"},
             {"id": "m1", "type": "mqtt in", "z": "t1", "topic": "orders/#", "qos": "1", "datatype": "utf8",
              "broker": "b1", "wires": [["d1"]]},
             {"id": "d1", "type": "debug", "z": "t1", "active": True, "tosidebar": True, "complete": "false",
              "wires": []}]
    w1, w2 = await start_workers(2, flows)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(w1.url + "/comms")
        await ws.send_json({"subscribe": "#"})
        frames: list[dict] = []

        async def read() -> None:
            async for frame in ws:
                frames.extend(json.loads(frame.data))

        reader = asyncio.get_running_loop().create_task(read())
        try:
            def connected() -> bool:  # both workers' mqtt in nodes (their own clientids) are connected
                return {f["data"].get("worker", "w1") for f in frames
                        if f["topic"] == "status/m1" and f["data"].get("text") == "connected"} == {"w1", "w2"}

            async with aiomqtt.Client("127.0.0.1", mosquitto) as client:
                await wait_until(connected, timeout=20)
                await asyncio.sleep(0.5)  # the subscriptions follow the connects
                for n in range(20):
                    await client.publish(f"orders/{n}", str(n), qos=1)

                def debug() -> list[dict]:
                    return [f["data"] for f in frames if f["topic"] == "debug" and f["data"].get("id") == "d1"]

                await wait_until(lambda: len(debug()) >= 20, timeout=10)
                await asyncio.sleep(1)  # any second copy would arrive by now
        finally:
            reader.cancel()
            await ws.close()
    got = debug()
    assert sorted(int(d["msg"]) for d in got) == list(range(20))  # each message exactly once
    print("per worker:", {w: sum(d["worker"] == w for d in got) for w in ("w1", "w2")})
