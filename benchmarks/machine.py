"""The machine and software versions a run is measured on."""
from __future__ import annotations

import os
import platform
from importlib import metadata

from .nodered import NodeRed

__all__ = ["describe"]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(node_red: NodeRed | None, load_before: float) -> dict[str, str]:
    """Label → value: CPU, cores, memory, kernel, the load average (1 min) before and after the
    run (other processes compete for the same cores), Python and package versions, Node.js
    and Node-RED."""
    info = {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_mem_gib():.1f} GiB",
        "kernel": f"{platform.system()} {platform.release()}",
        "load average (1 min) before / after": f"{load_before:.2f} / {os.getloadavg()[0]:.2f}",
        "Python": platform.python_version(),
        "FlowRed": _version("flowred"),
        "aiohttp / orjson / pydantic": " / ".join(_version(d) for d in ("aiohttp", "orjson", "pydantic")),
    }
    if node_red is not None:
        info["Node.js"] = node_red.node_version
        info["Node-RED"] = node_red.version
    return info
