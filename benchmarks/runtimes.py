"""Starting a runtime (FlowRed or Node-RED) as a child process and watching it.

The child's stdout and stderr are read line by line into ``<dir>/runtime.log``; the moment the
line "Started flows" appears is the end of startup. Memory comes from ``/proc/<pid>/status``:
``VmRSS`` (now) and ``VmHWM`` (the peak since the process started).
"""
from __future__ import annotations

import asyncio
import compileall
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .nodered import NodeRed, settings_js
from .paths import ROOT, flowred_command

__all__ = ["Runtime", "RuntimeProcess", "flowred", "node_red", "free_port", "proc_mib", "cpu_seconds",
           "descendants"]

STARTED = "Started flows"
START_TIMEOUT = 120.0  # seconds


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_mib(pid: int, key: str = "VmRSS") -> float:
    """A ``/proc/<pid>/status`` memory figure (``VmRSS``, ``VmHWM``) in MiB; 0 once it exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """The process ids of ``pid``'s children, their children and so on (``/proc/<pid>/task/*/children``)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process used so far, from ``/proc/<pid>/stat``; 0 once it exited."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Runtime:
    """How to start one runtime on a flow file."""

    name: str
    node_red: NodeRed | None = None
    launcher: tuple[str, ...] = ()
    """FlowRed only: what runs ``flowred.cli`` in place of the ``flowred`` script (a profiler)."""
    options: tuple[str, ...] = ()
    """FlowRed only: more ``flowred run`` options (e.g. ``--loop uvloop``)."""

    def argv(self, flow_file: Path, user_dir: Path, port: int) -> list[str]:
        """The command line serving ``flow_file`` on ``port`` with ``user_dir``."""
        if self.node_red is None:
            command = list(self.launcher) or [str(flowred_command())]
            return [*command, "run", str(flow_file), "--userDir", str(user_dir), "--port", str(port),
                    *self.options]
        settings = user_dir / "settings.js"
        settings.write_text(settings_js(flow_file))
        return [str(self.node_red.node), str(self.node_red.red_js), "--settings", str(settings),
                "--userDir", str(user_dir), "--port", str(port), str(flow_file)]

    async def start(self, flows: list, user_dir: Path, env: dict[str, str] | None = None,
                    wait: bool = True) -> "RuntimeProcess":
        """Write ``flows`` to ``user_dir/flows.json``, start the runtime on a free port and
        (with ``wait``) return once its flows are started."""
        user_dir.mkdir(parents=True, exist_ok=True)
        flow_file = user_dir / "flows.json"
        flow_file.write_text(json.dumps(flows))
        port = free_port()
        proc = await RuntimeProcess.spawn(self.name, self.argv(flow_file, user_dir, port), port,
                                          user_dir / "runtime.log", env)
        if wait:
            await proc.wait_started()
        return proc


def flowred(loop: str = "asyncio") -> Runtime:
    """FlowRed, the ``flowred`` script of this environment, its packages compiled to bytecode
    first as ``pip install`` does (an editable install run with PYTHONDONTWRITEBYTECODE would
    otherwise compile every module again at each start)."""
    for package in ("runtime", "nodes", "openai_emulator"):
        compileall.compile_dir(ROOT / package, quiet=1)
    return Runtime("FlowRed", options=("--loop", loop) if loop != "asyncio" else ())


def node_red(installed: NodeRed) -> Runtime:
    """Node-RED from the suite's cache."""
    return Runtime("Node-RED", installed)


@dataclass
class RuntimeProcess:
    """A running runtime: ``pid``, ``port``, ``url``, the start time and the log."""

    name: str
    proc: asyncio.subprocess.Process
    port: int
    t0: float
    log_path: Path
    started_at: float | None = None
    _started: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task | None = None
    line_sink: Callable[[bytes], None] | None = None
    """Optional: called with each line the runtime writes, as it arrives (the log file is buffered)."""

    @classmethod
    async def spawn(cls, name: str, argv: list[str], port: int, log_path: Path,
                    env: dict[str, str] | None) -> "RuntimeProcess":
        """Start ``argv`` with its output going through the log reader."""
        full_env = {**os.environ, **(env or {})}
        t0 = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT, env=full_env,
                                                    limit=1 << 24)
        self = cls(name, proc, port, t0, log_path)
        self._reader = asyncio.get_running_loop().create_task(self._read_log())
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _read_log(self) -> None:
        with open(self.log_path, "wb") as log:
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    break
                if self.started_at is None and STARTED.encode() in line:
                    self.started_at = time.perf_counter()
                    self._started.set()
                log.write(line)
                if self.line_sink is not None:
                    self.line_sink(line)
        self._started.set()  # the process ended: wake anyone waiting

    def log_tail(self, lines: int = 15) -> str:
        """The last lines the runtime wrote."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def wait_started(self, timeout: float = START_TIMEOUT) -> float:
        """Seconds from spawn to the "Started flows" line; RuntimeError when the process ends
        or the line does not come in time."""
        try:
            await asyncio.wait_for(self._started.wait(), timeout)
        except asyncio.TimeoutError:
            await self.stop()
            raise RuntimeError(
                f"{self.name} did not start its flows within {timeout:.0f} s:\n{self.log_tail()}") from None
        if self.started_at is None:
            await self.stop()
            raise RuntimeError(f"{self.name} exited before starting its flows:\n{self.log_tail()}")
        return self.started_at - self.t0

    def rss_mib(self) -> float:
        """Resident memory now, MiB."""
        return proc_mib(self.pid, "VmRSS")

    def cpu_seconds(self) -> float:
        """CPU time used so far (user + system), seconds."""
        return cpu_seconds(self.pid)

    def peak_rss_mib(self) -> float:
        """Peak resident memory since the start (VmHWM), MiB."""
        return proc_mib(self.pid, "VmHWM")

    def tree_cpu_seconds(self) -> float:
        """CPU time used so far by the process and its live descendants, seconds."""
        return sum(cpu_seconds(pid) for pid in (self.pid, *descendants(self.pid)))

    def tree_peak_rss_mib(self) -> float:
        """The peak resident memory (VmHWM) of the process and of each of its descendants
        (worker processes), summed, MiB: an upper bound of the tree's peak."""
        return sum(proc_mib(pid, "VmHWM") for pid in (self.pid, *descendants(self.pid)))

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            await self._reader
