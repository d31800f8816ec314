"""Start FlowRed worker processes (``flowred run --cluster``) on one flow file for the cluster
tests: real processes on loopback, each with its own user directory and port."""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from conftest import free_port, start_flowred


class Worker:
    """One ``flowred run`` process: ``proc``, ``url`` (http://127.0.0.1:PORT), ``worker_id``."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, worker_id: str) -> None:
        self.proc, self.url, self.worker_id = proc, url, worker_id
        self._drain = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        while await self.proc.stdout.readline():
            pass

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._drain.cancel()


async def start_workers(tmp: Path, flows: list[dict], nats_url: str, count: int, settings: str = "",
                        name: str = "test") -> list[Worker]:
    """Start ``count`` workers of cluster ``name`` running ``flows``; ``settings`` is extra
    TOML for their settings file. Started one after the other (each waits for "FlowRed is
    running"), so a failure shows that worker's output."""
    flow_file = tmp / "flows.json"
    flow_file.write_text(json.dumps(flows))
    workers = []
    try:
        for i in range(count):
            user = tmp / f"user{i}"
            user.mkdir(exist_ok=True)
            (user / "settings.toml").write_text(settings)
            port = free_port()
            proc, _ = await start_flowred(
                ["run", str(flow_file), "-u", str(user), "-p", str(port), "--no-watch",
                 "--cluster", nats_url, "--cluster-name", name, "--worker-id", f"w{i}"], {**os.environ})
            workers.append(Worker(proc, f"http://127.0.0.1:{port}", f"w{i}"))
    except BaseException:
        await stop_workers(workers)
        raise
    return workers


async def stop_workers(workers: list[Worker]) -> None:
    await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)
